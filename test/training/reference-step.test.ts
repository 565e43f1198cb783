import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, useBackend } from '../helpers/backends';
import { expectCloseRelativeToMax, manifest, readFixture, toNHWC, withPrefix } from '../helpers/fixtures';
import { buildReferenceNetworks, disposeNetworks, gradientsInTorchLayout } from '../helpers/reference-training';
import { exportTorchStateDict, NETWORK_NAMES, UGATITTrainer } from '../../src';
import type { NamedTensors, NetworkName, StepLosses } from '../../src';

// Tolerances of the fixture README.
const LOSS_REL_TOL = 1e-4;
const GRAD_TOL = { 1: 1e-3, 2: 0.1 } as const;
const STATE_TOL = {
  1: { all: 1e-5, most: 2e-6, mostShare: 0.9999 },
  2: { all: 2e-4, most: 5e-6, mostShare: 0.99 },
} as const;

function compareStates(actual: NamedTensors, expected: NamedTensors, step: 1 | 2, counts: { above: number; total: number }, label: string) {
  const tol = STATE_TOL[step];
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  for (const key of Object.keys(expected)) {
    const a = actual[key].dataSync();
    const e = expected[key].dataSync();
    for (let i = 0; i < e.length; i++) {
      const d = Math.abs(a[i] - e[i]);
      if (!(d <= tol.all)) throw new Error(`${label}.${key}[${i}]: |Δ| ${d} > ${tol.all} (${a[i]} vs ${e[i]})`);
      if (d > tol.most) counts.above++;
    }
    counts.total += e.length;
  }
}

describe.each(BACKENDS)('two reference training iterations on %s', (backend) => {
  let fixture: NamedTensors;
  beforeAll(async () => {
    await useBackend(backend);
    fixture = readFixture('train-step.safetensors');
  });
  afterAll(() => tf.dispose(Object.values(fixture)));

  it('matches every loss term, gradient, parameter and buffer of the official trainer', { timeout: 900_000 }, async () => {
    const c = manifest['train-step'].config;
    const nets = buildReferenceNetworks(fixture);
    const trainer = new UGATITTrainer(nets, {
      lr: c.lr, betas: c.betas, weightDecay: c.weight_decay, iterations: c.iteration, decay: c.decay_flag,
      advWeight: c.adv_weight, cycleWeight: c.cycle_weight, identityWeight: c.identity_weight, camWeight: c.cam_weight,
    });
    for (const step of [1, 2] as const) {
      const realA = toNHWC(fixture[`step${step}.real_A`]) as tf.Tensor4D;
      const realB = toNHWC(fixture[`step${step}.real_B`]) as tf.Tensor4D;
      const result = await trainer.step(realA, realB, {
        onGradients: (phase, grads) => {
          const tag = phase === 'discriminator' ? 'grad_d' : 'grad_g';
          for (const net of Object.keys(grads) as NetworkName[]) {
            const ours = gradientsInTorchLayout(nets[net], grads[net]);
            const expected = withPrefix(fixture, `step${step}.${tag}.${net}`);
            expect(Object.keys(ours).sort()).toEqual(Object.keys(expected).sort());
            for (const key of Object.keys(expected)) {
              expectCloseRelativeToMax(ours[key], expected[key], GRAD_TOL[step], `step${step}.${tag}.${net}.${key}`);
            }
            tf.dispose(Object.values(ours));
          }
        },
      });
      tf.dispose([realA, realB]);
      const expectedLosses = manifest['train-step'].losses[`step${step}`] as StepLosses;
      for (const [name, value] of Object.entries(expectedLosses)) {
        const ours = result.losses[name as keyof StepLosses];
        expect(Math.abs(ours - value) / Math.abs(value), `step${step} ${name}: ${ours} vs ${value}`).toBeLessThanOrEqual(LOSS_REL_TOL);
      }
      const counts = { above: 0, total: 0 };
      for (const net of NETWORK_NAMES) {
        const state = exportTorchStateDict(nets[net]);
        compareStates(state, withPrefix(fixture, `step${step}.state.${net}`), step, counts, `step${step}.state.${net}`);
        tf.dispose(Object.values(state));
      }
      const share = 1 - counts.above / counts.total;
      expect(share, `step${step}: ${counts.above} of ${counts.total} elements above ${STATE_TOL[step].most}`)
        .toBeGreaterThanOrEqual(STATE_TOL[step].mostShare);
    }
    trainer.dispose();
    disposeNetworks(nets);
  });
});
