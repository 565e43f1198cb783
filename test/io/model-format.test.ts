import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  AdaLIN, CAMAttention, createDiscriminator, createGenerator, LayerInstanceNorm, loadLayersModelFromDir, ReflectionPad2D,
  saveLayersModelToDir, SpectralNormConv2D,
} from '../../src';
import { describeEachBackend, useBackend } from '../helpers/backends';

let root = '';
beforeAll(async () => { root = await mkdtemp(join(tmpdir(), 'ugatit-model-format-')); });
afterAll(async () => { await rm(root, { recursive: true, force: true }); });

const values = (t: tf.Tensor) => Array.from(t.dataSync());

/** Every weight, trainable or not, by name. */
function weightsByName(model: tfl.LayersModel): Record<string, number[]> {
  return Object.fromEntries(model.weights.map((w) => [w.originalName, values(w.read())]));
}

function expectSameOutputs(a: tfl.LayersModel, b: tfl.LayersModel, x: tf.Tensor, kwargs?: { training: boolean }): void {
  tf.tidy(() => {
    const run = (m: tfl.LayersModel) => (kwargs ? m.apply(x, kwargs) : m.predict(x)) as tf.Tensor[];
    const [oa, ob] = [run(a), run(b)];
    expect(ob.length).toBe(oa.length);
    oa.forEach((t, i) => expect(values(ob[i]), `output ${i}`).toEqual(values(t)));
  });
}

describeEachBackend('our model format (model.json + weights.bin) on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it.each([true, false])('a generator (light %s) round-trips with its custom layers and identical outputs', async (light) => {
    const before = tf.memory().numTensors;
    const gen = createGenerator({ ngf: 3, nBlocks: 2, imgSize: 16, light, name: 'genA2B' });
    const dir = join(root, `${backend}-gen-${light}`);
    await saveLayersModelToDir(gen, dir);
    const loaded = await loadLayersModelFromDir(dir);
    expect(loaded.name).toBe('genA2B');
    expect(loaded.getLayer('stem_pad')).toBeInstanceOf(ReflectionPad2D);
    expect(loaded.getLayer('cam')).toBeInstanceOf(CAMAttention);
    expect(loaded.getLayer('dec_res_1_1_norm')).toBeInstanceOf(AdaLIN);
    expect(loaded.getLayer('up_1_norm')).toBeInstanceOf(LayerInstanceNorm);
    expect(weightsByName(loaded)).toEqual(weightsByName(gen));
    const x = tf.randomUniform([2, 16, 16, 3], -1, 1, 'float32', 4);
    expectSameOutputs(gen, loaded, x);
    x.dispose();
    gen.dispose();
    loaded.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a discriminator keeps its spectral-norm u, v after a training-mode call', async () => {
    const before = tf.memory().numTensors;
    const dis = createDiscriminator({ ndf: 2, nLayers: 5, name: 'disLA' });
    const x = tf.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 5);
    const initial = weightsByName(dis);
    tf.dispose(dis.apply(x, { training: true }) as tf.Tensor[]);
    const trained = weightsByName(dis);
    const stateNames = Object.keys(trained).filter((k) => /\/(u|v|gap_fc_u|gap_fc_v|gmp_fc_u|gmp_fc_v)$/.test(k));
    expect(stateNames.length).toBe(2 * 5 + 4);
    expect(stateNames.every((k) => dis.weights.find((w) => w.originalName === k)!.trainable === false)).toBe(true);
    expect(stateNames.some((k) => trained[k].join() !== initial[k].join())).toBe(true);

    const dir = join(root, `${backend}-dis`);
    await saveLayersModelToDir(dis, dir);
    const loaded = await loadLayersModelFromDir(dir);
    expect(loaded.getLayer('conv_1')).toBeInstanceOf(SpectralNormConv2D);
    expect(weightsByName(loaded)).toEqual(trained);
    expectSameOutputs(dis, loaded, x);
    // The state continues identically: one more training-mode call on both.
    expectSameOutputs(dis, loaded, x, { training: true });
    expect(weightsByName(loaded)).toEqual(weightsByName(dis));
    x.dispose();
    dis.dispose();
    loaded.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
