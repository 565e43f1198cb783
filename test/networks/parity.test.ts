import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachBackend, useBackend } from '../helpers/backends';
import { expectCloseRelativeToMax, manifest, readFixture, toNCHW, toNHWC, withPrefix } from '../helpers/fixtures';
import { createDiscriminator, createGenerator, exportTorchStateDict, loadTorchStateDict } from '../../src';
import type { NamedTensors } from '../../src';

// Within 1e-5 × the tensor's max |value|: every backend stays under 3e-6 on these fixtures
// (as float32 PyTorch does, fixture README); the README's loosest bracket is 1e-4.
const FORWARD_TOL = 1e-5;

describeEachBackend('forward parity with the PyTorch reference on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  describe.each(['generator-light', 'generator-full'])('%s', (name) => {
    let fixture: NamedTensors;
    beforeAll(() => { fixture = readFixture(`${name}.safetensors`); });
    afterAll(() => tf.dispose(Object.values(fixture)));

    it('reproduces image, CAM logit and heatmap', () => {
      const { config, batch } = manifest[name];
      const before = tf.memory().numTensors;
      const gen = createGenerator({
        inputChannels: config.input_nc, outputChannels: config.output_nc, ngf: config.ngf,
        nBlocks: config.n_blocks, imgSize: config.img_size, light: config.light,
      });
      loadTorchStateDict(gen, withPrefix(fixture, 'state'));
      const [image, camLogit, heatmap] = tf.tidy(() => gen.predict(toNHWC(fixture.input)) as tf.Tensor[]);
      expect(image.shape).toEqual([batch, config.img_size, config.img_size, config.output_nc]);
      tf.tidy(() => {
        expectCloseRelativeToMax(toNCHW(image), fixture['output.image'], FORWARD_TOL, 'image');
        expectCloseRelativeToMax(camLogit, fixture['output.cam_logit'], FORWARD_TOL, 'cam_logit');
        expectCloseRelativeToMax(toNCHW(heatmap), fixture['output.heatmap'], FORWARD_TOL, 'heatmap');
      });
      tf.dispose([image, camLogit, heatmap]);
      gen.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  });

  describe.each(['discriminator-global', 'discriminator-local'])('%s', (name) => {
    let fixture: NamedTensors;
    beforeAll(() => { fixture = readFixture(`${name}.safetensors`); });
    afterAll(() => tf.dispose(Object.values(fixture)));

    const build = () => {
      const { config } = manifest[name];
      const dis = createDiscriminator({ inputChannels: config.input_nc, ndf: config.ndf, nLayers: config.n_layers });
      loadTorchStateDict(dis, withPrefix(fixture, 'state'));
      return dis;
    };
    const check = (outputs: tf.Tensor[], prefix: string) => tf.tidy(() => {
      const [logit, camLogit, heatmap] = outputs;
      expectCloseRelativeToMax(toNCHW(logit), fixture[`${prefix}.logit`], FORWARD_TOL, `${prefix}.logit`);
      expectCloseRelativeToMax(camLogit, fixture[`${prefix}.cam_logit`], FORWARD_TOL, `${prefix}.cam_logit`);
      expectCloseRelativeToMax(toNCHW(heatmap), fixture[`${prefix}.heatmap`], FORWARD_TOL, `${prefix}.heatmap`);
    });

    it('reproduces the eval-mode outputs with the stored u, v', () => {
      const dis = build();
      const outputs = tf.tidy(() => dis.predict(toNHWC(fixture.input)) as tf.Tensor[]);
      check(outputs, 'eval.output');
      tf.dispose(outputs);
      dis.dispose();
    });

    it('reproduces a training-mode call and the updated u, v', () => {
      const dis = build();
      const outputs = tf.tidy(() => dis.apply(toNHWC(fixture.input), { training: true }) as tf.Tensor[]);
      check(outputs, 'train.output');
      tf.dispose(outputs);
      const after = exportTorchStateDict(dis);
      const expected = withPrefix(fixture, 'train.state_after');
      expect(Object.keys(after).sort()).toEqual(Object.keys(expected).sort());
      for (const key of Object.keys(expected)) expectCloseRelativeToMax(after[key], expected[key], FORWARD_TOL, key);
      tf.dispose(Object.values(after));
      dis.dispose();
    });
  });
});
