import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLayersModelFromDir, loadTFCheckpoint, networkFlavor, saveLayersModelToDir } from '../../src';
import type { NamedTensors, NetworkName, TFCheckpointModels } from '../../src';
import { describeEachBackend, useBackend } from '../helpers/backends';
import { expectCloseRelativeToMax, worstDifference } from '../helpers/fixtures';
import { TF_CASES, tfCheckpointDir, tfForward, tfManifest } from '../helpers/tf-fixtures';

// Fixture README: each output within 1e-4 × its max |value|, shapes exactly; u_after within 1e-5.
const FORWARD_TOL = 1e-4;
const U_TOL = 1e-5;

const GENERATORS = [['genA2B', 'generator_B', 'input.A'], ['genB2A', 'generator_A', 'input.B']] as const;
const DISCRIMINATORS = [
  ['disGA', 'discriminator_A', 'global', 'input.A'], ['disLA', 'discriminator_A', 'local', 'input.A'],
  ['disGB', 'discriminator_B', 'global', 'input.B'], ['disLB', 'discriminator_B', 'local', 'input.B'],
] as const;

/** Ours keeps the batch and channel axes of the heatmap; the official one is squeezed. Same values, same order. */
function expectSqueezedClose(ours: tf.Tensor, golden: tf.Tensor, label: string): void {
  tf.tidy(() => {
    const squeezed = tf.squeeze(ours);
    expect(squeezed.shape, `${label} shape`).toEqual(golden.shape);
    expectCloseRelativeToMax(squeezed, golden, FORWARD_TOL, label);
  });
}

describeEachBackend('official TensorFlow checkpoints on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  describe.each(TF_CASES)('%s', (name) => {
    const { config, tensors } = tfManifest.cases[name]!;
    let golden: NamedTensors;
    let nets: TFCheckpointModels;
    let before = 0;
    beforeAll(async () => {
      before = tf.memory().numTensors;
      golden = tfForward(name);
      nets = await loadTFCheckpoint(tfCheckpointDir(name), config.light ? { imgSize: config.img_size } : {});
    });
    afterAll(() => {
      tf.dispose(Object.values(golden));
      for (const n of ['genA2B', 'genB2A', 'disGA', 'disGB', 'disLA', 'disLB'] as const) nets[n]?.dispose();
      expect(tf.memory().numTensors, 'tensors left').toBe(before);
    });

    it('reads the configuration off the variables and the folder name', () => {
      expect(nets.config).toMatchObject({
        flavor: 'tf', light: config.light, ch: config.ch, nRes: config.n_res, nDis: config.n_dis, imgSize: config.img_size,
        imgSizeFromWeights: !config.light, imgCh: 3, smoothing: true, step: 1000000,
      });
      expect(nets.config.modelDir?.dataset).toBe('selfie2anime');
      for (const n of ['genA2B', 'disLB'] as const) expect(networkFlavor(nets[n]!)).toBe('tf');
    });

    it.each(GENERATORS)('%s reproduces %s: image, CAM logit, heatmap', (net, scope, input) => {
      const outputs = tf.tidy(() => nets[net].predict(golden[input]!) as tf.Tensor[]);
      const [image, camLogit, heatmap] = outputs as [tf.Tensor, tf.Tensor, tf.Tensor];
      expect(image.shape).toEqual(tensors[`${scope}.image`]!.shape);
      expectCloseRelativeToMax(image, golden[`${scope}.image`]!, FORWARD_TOL, `${scope}.image`);
      expectCloseRelativeToMax(camLogit, golden[`${scope}.cam_logit`]!, FORWARD_TOL, `${scope}.cam_logit`);
      expect(heatmap.shape).toEqual([config.batch, config.img_size / 4, config.img_size / 4, 1]);
      expectSqueezedClose(heatmap, golden[`${scope}.heatmap`]!, `${scope}.heatmap`);
      tf.dispose(outputs);
    });

    it.each(DISCRIMINATORS)('%s reproduces %s/%s and advances every u by one power iteration', (net, scope, branch, input) => {
      const prefix = `${scope}.${branch}`;
      const model = nets[net as NetworkName]!;
      const outputs = tf.tidy(() => model.predict(golden[input]!) as tf.Tensor[]);
      const [logit, camLogit, heatmap] = outputs as [tf.Tensor, tf.Tensor, tf.Tensor];
      expect(logit.shape).toEqual(tensors[`${prefix}.logit`]!.shape);
      expectCloseRelativeToMax(logit, golden[`${prefix}.logit`]!, FORWARD_TOL, `${prefix}.logit`);
      expectCloseRelativeToMax(camLogit, golden[`${prefix}.cam_logit`]!, FORWARD_TOL, `${prefix}.cam_logit`);
      expect(heatmap.shape.slice(1, 3)).toEqual(logit.shape.slice(1, 3));
      expectSqueezedClose(heatmap, golden[`${prefix}.heatmap`]!, `${prefix}.heatmap`);
      // The official u after that forward, for every spectral-norm layer of this branch.
      const uRows = nets.plan.rows.filter((r) => r.network === net && r.transform === 'vector');
      expect(uRows.length).toBe(Object.keys(golden).filter((k) => k.startsWith(`u_after.${scope}/${branch}/`)).length);
      for (const row of uRows) {
        const [layer, weight] = row.weight.split('/') as [string, string];
        const u = model.getLayer(layer).weights.find((w) => w.originalName.endsWith(`/${weight}`))!.read();
        const d = tf.tidy(() => worstDifference(tf.reshape(u, [1, -1]), golden[`u_after.${row.tfName}`]!));
        expect(d.worst, `u_after.${row.tfName}`).toBeLessThanOrEqual(U_TOL);
      }
      // No evaluation mode: a second forward starts from the new u, so the outputs move as
      // much as the official second forward's did (manifest: second_forward_vs_first).
      const second = tf.tidy(() => model.predict(golden[input]!) as tf.Tensor[]);
      const moved = (tfManifest.cases[name] as unknown as { spectral_norm: { second_forward_vs_first: Record<string, { max_abs_diff: number; max_abs_ref: number }> } })
        .spectral_norm.second_forward_vs_first[`${prefix}.cam_logit`]!;
      const ours = worstDifference(second[1]!, camLogit).worst;
      expect(Math.abs(ours - moved.max_abs_diff)).toBeLessThanOrEqual(2 * FORWARD_TOL * moved.max_abs_ref);
      expect(ours).toBeGreaterThan(10 * FORWARD_TOL * moved.max_abs_ref);
      tf.dispose([...outputs, ...second]);
    });

    it('saves and loads back as model.json with the same outputs (flavour and state kept)', async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'ugatit-tf-flavour-'));
      try {
        for (const [net, input] of [['genB2A', 'input.B'], ['disGA', 'input.A']] as const) {
          await saveLayersModelToDir(nets[net]!, path.join(dir, net));
          const back = await loadLayersModelFromDir(path.join(dir, net));
          expect(networkFlavor(back)).toBe('tf');
          tf.tidy(() => {
            const a = nets[net]!.predict(golden[input]!) as tf.Tensor[];
            const b = back.predict(golden[input]!) as tf.Tensor[];
            a.forEach((t, i) => expect(Array.from(b[i]!.dataSync()), `${net} output ${i}`).toEqual(Array.from(t.dataSync())));
          });
          back.dispose();
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
});
