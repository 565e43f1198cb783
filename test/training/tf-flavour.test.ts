import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, expect, it } from 'vitest';
import { loadTFCheckpoint, NETWORK_NAMES, UGATITTrainer } from '../../src';
import type { NetworkName, UGATITNetworks } from '../../src';
import { describeEachBackend, useBackend } from '../helpers/backends';
import { randomBatch } from '../helpers/tiny-training';
import { tfCheckpointDir } from '../helpers/tf-fixtures';

const isGenerator = (n: NetworkName) => n.startsWith('gen');
// A bias in front of an instance norm is removed by its mean: its gradient is zero up to rounding.
// Light generators take any size: 24 px, the global discriminator's smallest, keeps the cpu backend quick.
const SIZE = 24;
const cancelledByNorm = /^(stem_conv|down_\d_conv|enc_res_\d_\d_conv)\/bias$/;

describeEachBackend('fine-tuning the official TensorFlow networks on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('a trainer step on the light-64 checkpoint: finite losses, a gradient for every weight, ρ in [0, 1], u advanced, nothing leaked', { timeout: 120_000 }, async () => {
    const before = tf.memory().numTensors;
    const loaded = await loadTFCheckpoint(tfCheckpointDir('light-64'), { imgSize: SIZE });
    const nets = Object.fromEntries(NETWORK_NAMES.map((n) => [n, loaded[n]!])) as unknown as UGATITNetworks;
    const initial = Object.fromEntries(NETWORK_NAMES.map((n) => [n, nets[n].getWeights().map((w) => w.dataSync().slice())]));
    const trainer = new UGATITTrainer(nets, { iterations: 10, lr: 1e-4 });
    const seen = new Map<string, { finite: boolean; max: number }>();
    {
      const [a, b] = [randomBatch(1, SIZE, 10), randomBatch(1, SIZE, 20)];
      const { losses } = await trainer.step(a, b, {
        onGradients: (_phase, grads) => {
          for (const [network, map] of Object.entries(grads)) {
            for (const [weight, g] of Object.entries(map)) {
              const values = g.dataSync();
              let max = 0;
              let finite = true;
              for (const v of values) { finite &&= Number.isFinite(v); max = Math.max(max, Math.abs(v)); }
              seen.set(`${network}/${weight}`, { finite, max: Math.max(max, seen.get(`${network}/${weight}`)?.max ?? 0) });
            }
          }
        },
      });
      for (const [k, v] of Object.entries(losses)) expect(Number.isFinite(v), k).toBe(true);
      tf.dispose([a, b]);
    }
    for (const n of NETWORK_NAMES) {
      for (const w of nets[n].trainableWeights) {
        const g = seen.get(`${n}/${w.originalName}`);
        expect(g, `${n}/${w.originalName} got no gradient`).toBeDefined();
        expect(g!.finite, `${n}/${w.originalName}`).toBe(true);
        if (!(isGenerator(n) && cancelledByNorm.test(w.originalName))) expect(g!.max, `${n}/${w.originalName}`).toBeGreaterThan(0);
      }
      // Every trainable weight moved, and every discriminator u (non-trainable) advanced.
      const after = nets[n].getWeights();
      const moved = nets[n].weights.filter((w, i) => Array.from(after[i]!.dataSync()).some((v, k) => v !== initial[n]![i]![k]));
      const movedNames = new Set(moved.map((w) => w.originalName));
      for (const w of nets[n].trainableWeights) expect(movedNames.has(w.originalName), `${n}/${w.originalName} did not move`).toBe(true);
      if (!isGenerator(n)) expect(nets[n].weights.filter((w) => /(\/|_)u$/.test(w.originalName) && movedNames.has(w.originalName)).length).toBeGreaterThan(0);
      for (const w of nets[n].weights.filter((x) => /\/rho$/.test(x.originalName))) {
        const r = w.read().dataSync();
        expect(Math.min(...r), w.originalName).toBeGreaterThanOrEqual(0);
        expect(Math.max(...r), w.originalName).toBeLessThanOrEqual(1);
      }
    }
    trainer.dispose();
    for (const n of NETWORK_NAMES) nets[n].dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
