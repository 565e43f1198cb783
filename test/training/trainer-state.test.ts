import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachBackend, useBackend } from '../helpers/backends';
import { disposeNetworks, randomBatch, tempDir, tinyNetworks, weightValues } from '../helpers/tiny-training';
import {
  disposeTrainerState, loadTrainingCheckpoint, NETWORK_NAMES, saveTrainingCheckpoint, UGATITTrainer,
} from '../../src';
import type { StepResult, TrainerOptions, TrainerState } from '../../src';

// Small enough for the cpu backend, whose Conv2DBackpropFilter is slow.
const SIZE = 24;
const TINY = { size: SIZE, ngf: 2, ndf: 2 };
const batches = (n: number) => Array.from({ length: n }, (_, i) => [randomBatch(1, SIZE, 100 + i), randomBatch(1, SIZE, 200 + i)] as const);

function expectSameWeights(a: Record<string, Float32Array>, b: Record<string, Float32Array>) {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  for (const k of Object.keys(a)) expect(Buffer.from(a[k]!.buffer).equals(Buffer.from(b[k]!.buffer)), k).toBe(true);
}

function stateValues(s: TrainerState) {
  const flat = (m: tf.NamedTensorMap) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, Array.from(v.dataSync())]));
  return {
    iteration: s.iteration, lr: s.lr,
    g: { steps: s.generatorOptimizer.steps, m: flat(s.generatorOptimizer.expAvg), v: flat(s.generatorOptimizer.expAvgSq) },
    d: { steps: s.discriminatorOptimizer.steps, m: flat(s.discriminatorOptimizer.expAvg), v: flat(s.discriminatorOptimizer.expAvgSq) },
  };
}

describeEachBackend('UGATITTrainer state on %s', (backend) => {
  beforeAll(async () => { await useBackend(backend); });
  const data = { batches: [] as ReturnType<typeof batches> };
  beforeAll(() => { data.batches = batches(6); });
  afterAll(() => tf.dispose(data.batches.flat()));
  const options: TrainerOptions = { lr: 2e-3, iterations: 4, decay: true };

  it('4 steps straight equal 2 steps, save, load into fresh objects, 2 steps (bit for bit)', { timeout: 60_000 }, async () => {
    const straightNets = tinyNetworks({ ...TINY, seed: 7 });
    const straight = new UGATITTrainer(straightNets, options);
    const straightLosses: StepResult['losses'][] = [];
    for (const [a, b] of data.batches.slice(0, 4)) straightLosses.push((await straight.step(a, b)).losses);

    const firstNets = tinyNetworks({ ...TINY, seed: 7 });
    const first = new UGATITTrainer(firstNets, options);
    for (const [a, b] of data.batches.slice(0, 2)) await first.step(a, b);
    const dir = await tempDir('resume');
    const saving = first.getState();
    await saveTrainingCheckpoint(dir, firstNets, saving, { note: 'two' });
    disposeTrainerState(saving);
    first.dispose();
    disposeNetworks(firstNets);

    const loaded = await loadTrainingCheckpoint(dir);
    expect(loaded.extra).toEqual({ note: 'two' });
    const resumed = new UGATITTrainer(loaded.networks, options);
    resumed.setState(loaded.state);
    disposeTrainerState(loaded.state);
    expect(resumed.iteration).toBe(2);
    const resumedLosses: StepResult['losses'][] = [];
    for (const [a, b] of data.batches.slice(2, 4)) resumedLosses.push((await resumed.step(a, b)).losses);

    expect(resumedLosses).toEqual(straightLosses.slice(2));
    expectSameWeights(weightValues(resumed.networks), weightValues(straightNets));
    const [s1, s2] = [straight.getState(), resumed.getState()];
    expect(stateValues(s2)).toEqual(stateValues(s1));
    disposeTrainerState(s1);
    disposeTrainerState(s2);
    for (const t of [straight, resumed]) { t.dispose(); disposeNetworks(t.networks); }
  });

  it('leaks no tensor across 5 steps after the first', { timeout: 60_000 }, async () => {
    const nets = tinyNetworks(TINY);
    const trainer = new UGATITTrainer(nets, options);
    const [a0, b0] = data.batches[0]!;
    await trainer.step(a0, b0);
    const before = tf.memory().numTensors;
    for (const [a, b] of data.batches.slice(1, 6)) await trainer.step(a, b);
    expect(tf.memory().numTensors).toBe(before);
    trainer.dispose();
    disposeNetworks(nets);
  });

});

// Backend-independent bookkeeping: checked on wasm only, to keep the file fast.
describe('UGATITTrainer schedule and freezing on wasm', () => {
  const data = { batches: [] as ReturnType<typeof batches> };
  beforeAll(async () => {
    await useBackend('wasm');
    data.batches = batches(5);
  });
  afterAll(() => tf.dispose(data.batches.flat()));

  it('follows the reference lr schedule, stopping at 0', { timeout: 60_000 }, async () => {
    // Reference: if decay_flag and step > iteration // 2: lr -= lr0 / (iteration // 2), once per step.
    const schedule = (lr0: number, iterations: number) => {
      const half = Math.floor(iterations / 2);
      const out: number[] = [];
      let lr = lr0;
      for (let step = 1; step <= iterations; step++) {
        if (step > half) lr = Math.max(0, lr - lr0 / half);
        out.push(lr);
      }
      return out;
    };
    expect(schedule(1e-3, 4)).toEqual([1e-3, 1e-3, 5e-4, 0]);
    for (const iterations of [4, 5]) {
      const nets = tinyNetworks(TINY);
      const trainer = new UGATITTrainer(nets, { lr: 1e-3, iterations });
      const used: number[] = [];
      for (const [a, b] of data.batches.slice(0, iterations)) used.push((await trainer.step(a, b)).lr);
      expect(used).toEqual(schedule(1e-3, iterations));
      trainer.dispose();
      disposeNetworks(nets);
    }
    const flat = tinyNetworks(TINY);
    const noDecay = new UGATITTrainer(flat, { lr: 1e-3, iterations: 2, decay: false });
    for (const [a, b] of data.batches.slice(0, 2)) expect((await noDecay.step(a, b)).lr).toBe(1e-3);
    noDecay.dispose();
    disposeNetworks(flat);
  });

  it('applies the decayed lr in Adam: three steps checked against a plain-JS update', { timeout: 60_000 }, async () => {
    const lr0 = 1e-2;
    const nets = tinyNetworks(TINY);
    const trainer = new UGATITTrainer(nets, { lr: lr0, iterations: 4, weightDecay: 1e-4 });
    const expectedLr = [lr0, lr0, lr0 / 2];
    let worst = 0;
    for (const [step, [a, b]] of data.batches.slice(0, 3).entries()) {
      const before = weightValues(nets);
      const result = await trainer.step(a, b);
      expect(result.lr).toBe(expectedLr[step]);
      const after = weightValues(nets);
      const state = trainer.getState();
      for (const opt of [state.generatorOptimizer, state.discriminatorOptimizer]) {
        for (const [key, t] of Object.entries(opt.steps)) {
          if (key.endsWith('/rho')) continue; // clipped to [0, 1] after the update
          const m = opt.expAvg[key]!.dataSync();
          const v = opt.expAvgSq[key]!.dataSync();
          const bc1 = 1 - 0.5 ** t;
          const bc2 = Math.sqrt(1 - 0.999 ** t);
          const p0 = before[key]!;
          const p1 = after[key]!;
          for (let i = 0; i < p0.length; i++) {
            const expected = p0[i]! - (result.lr / bc1) * m[i]! / (Math.sqrt(v[i]!) / bc2 + 1e-8);
            worst = Math.max(worst, Math.abs(p1[i]! - expected) / (1e-6 + Math.abs(expected) * 1e-6));
          }
        }
      }
      disposeTrainerState(state);
    }
    // A wrong lr would be off by ~lr per element; we allow float32 rounding only.
    expect(worst).toBeLessThan(20);
    trainer.dispose();
    disposeNetworks(nets);
  });

  it('freezes the named parts bit for bit and lets the lr setter drive both optimizers', { timeout: 60_000 }, async () => {
    const nets = tinyNetworks(TINY);
    const trainer = new UGATITTrainer(nets, { lr: 1e-3, iterations: 10, freeze: ['disGA', /^gen(A2B|B2A)\/(stem|down_|enc_res_)/] });
    const trainable = new Set(NETWORK_NAMES.flatMap((n) => nets[n].trainableWeights.map((w) => `${n}/${w.originalName}`)));
    const frozen = (k: string) => k.startsWith('disGA/') || /^gen(A2B|B2A)\/(stem|down_|enc_res_)/.test(k);
    const before = weightValues(nets);
    for (const [a, b] of data.batches.slice(0, 2)) await trainer.step(a, b);
    const after = weightValues(nets);
    const same = (k: string) => Buffer.from(before[k]!.buffer).equals(Buffer.from(after[k]!.buffer));
    const frozenKeys = [...trainable].filter(frozen);
    const freeKeys = [...trainable].filter((k) => !frozen(k) && !k.endsWith('/rho'));
    expect(frozenKeys.length).toBeGreaterThan(10);
    for (const k of frozenKeys) expect(same(k), k).toBe(true);
    for (const k of freeKeys) expect(same(k), k).toBe(false);

    trainer.lr = 0;
    expect(trainer.lr).toBe(0);
    const held = weightValues(nets);
    const [a, b] = data.batches[2]!;
    expect((await trainer.step(a, b)).lr).toBe(0);
    const now = weightValues(nets);
    for (const k of trainable) expect(Buffer.from(now[k]!.buffer).equals(Buffer.from(held[k]!.buffer)), k).toBe(true);
    trainer.dispose();
    disposeNetworks(nets);
  });
});
