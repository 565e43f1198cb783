import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../helpers/backends';
import { disposeNetworks, tempDir, tinyNetworks, weightValues, writeSyntheticDomains } from '../helpers/tiny-training';
import { decodeImage, disposeTrainerState, findLatestCheckpoint, loadTrainingCheckpoint, runTraining, saveNetworks, UGATITError, UGATITTrainer } from '../../src';
import type { TrainingRunOptions } from '../../src';

const readLog = async (out: string) => (await fs.readFile(path.join(out, 'log.jsonl'), 'utf8'))
  .trim().split('\n').map((l) => JSON.parse(l) as Record<string, number | boolean>);
const withoutTime = (rows: Record<string, unknown>[]) => rows.map(({ seconds: _, ...rest }) => rest);

/** Makes the `n`-th call of `trainer.step` from now on see NaN images (a transient fault). */
function poisonStep(trainer: UGATITTrainer, n: number, seen: { weightsBefore?: Record<string, Float32Array> }) {
  const original = trainer.step.bind(trainer);
  let calls = 0;
  trainer.step = async (a, b, o) => {
    if (++calls !== n) return original(a, b, o);
    seen.weightsBefore = weightValues(trainer.networks);
    const nanA = tf.mul(a, NaN) as tf.Tensor4D;
    try {
      return await original(nanA, b, o);
    } finally {
      nanA.dispose();
    }
  };
}

describe('runTraining on wasm', () => {
  const SIZE = 24;
  let data: string;
  const base = (out: string): TrainingRunOptions => ({
    data, out, size: SIZE, globalLayers: 5, localLayers: 3, iterations: 4, lr: 2e-3, seed: 3,
    sampleEvery: 0, saveEvery: 0, networks: tinyNetworks({ size: SIZE, ngf: 2, ndf: 2, seed: 11 }),
  });
  beforeAll(async () => {
    await useBackend('wasm');
    data = await tempDir('run-data');
    // 3 images per domain: the 2-step split falls inside an epoch and the run crosses into a reshuffled one.
    await writeSyntheticDomains(data, { side: 32, train: 3, test: 1, seed: 1 });
  });

  it('4 iterations in one go equal 2, stop, resume, 2 more (data order, RNG and lr decay included)', { timeout: 60_000 }, async () => {
    const straightOut = await tempDir('run-straight');
    const straight = await runTraining(base(straightOut));
    const splitOut = await tempDir('run-split');
    const stop = new AbortController();
    const first = await runTraining({ ...base(splitOut), signal: stop.signal, onStep: (r) => { if (r.iteration === 2) stop.abort(); } });
    expect(first.iteration).toBe(2);
    expect(path.basename((await findLatestCheckpoint(splitOut))!)).toBe('ckpt-00000002');
    const messages: string[] = [];
    const resumed = await runTraining({ ...base(splitOut), networks: undefined, resume: true, log: (m) => messages.push(m) });
    expect(messages[0]).toMatch(/resumed from .*ckpt-00000002 at iteration 2/);
    expect(resumed.iteration).toBe(4);
    const [a, b] = [withoutTime(await readLog(straightOut)), withoutTime(await readLog(splitOut))];
    expect(a.map((r) => r.iteration)).toEqual([1, 2, 3, 4]);
    expect(a.map((r) => r.lr)).toEqual([2e-3, 2e-3, 1e-3, 0]);
    expect(b).toEqual(a);
    const [wa, wb] = [weightValues(straight.networks), weightValues(resumed.networks)];
    for (const k of Object.keys(wa)) expect(Buffer.from(wb[k]!.buffer).equals(Buffer.from(wa[k]!.buffer)), k).toBe(true);
    for (const t of [straight, first, resumed]) { t.dispose(); disposeNetworks(t.networks); }
  });

  it('a resumed run with more iterations restarts the decay from the new schedule (the last run had reached lr 0)', { timeout: 60_000 }, async () => {
    const out = await tempDir('run-extend');
    (await runTraining(base(out))).dispose();
    const messages: string[] = [];
    const extended = await runTraining({ ...base(out), networks: undefined, resume: true, iterations: 8, log: (m) => messages.push(m) });
    expect(messages).toContain('iterations 4 → 8: learning rate 2.000e-3 from iteration 4 of the new schedule');
    const rows = await readLog(out);
    expect(rows.map((r) => r.iteration)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(rows.map((r) => r.lr)).toEqual([2e-3, 2e-3, 1e-3, 0, 1.5e-3, 1e-3, 5e-4, 0]);
    extended.dispose();
    disposeNetworks(extended.networks);
  });

  it('a resumed run keeps its own checkpoint cadence and count unless given', { timeout: 60_000 }, async () => {
    const out = await tempDir('run-cadence');
    const checkpoints = async () => (await fs.readdir(out)).filter((f) => f.startsWith('ckpt-')).sort();
    (await runTraining({ ...base(out), iterations: 2, saveEvery: 1, keep: 10 })).dispose();
    const resume = { ...base(out), networks: undefined, resume: true, saveEvery: undefined, sampleEvery: undefined };
    const resumed = await runTraining({ ...resume, iterations: 4 });
    expect(await checkpoints()).toEqual(['ckpt-00000001', 'ckpt-00000002', 'ckpt-00000003', 'ckpt-00000004']);
    resumed.dispose();
    disposeNetworks(resumed.networks);
    const again = await runTraining({ ...resume, iterations: 5, keep: 2 });
    expect(await checkpoints()).toEqual(['ckpt-00000004', 'ckpt-00000005']);
    again.dispose();
    disposeNetworks(again.networks);
  });

  it('a resumed run drops the log rows of iterations done after the checkpoint it resumes from', { timeout: 60_000 }, async () => {
    const out = await tempDir('run-log');
    const stop = new AbortController();
    (await runTraining({ ...base(out), signal: stop.signal, onStep: (r) => { if (r.iteration === 2) stop.abort(); } })).dispose();
    // As if the process had been killed after logging iteration 3 but before its checkpoint.
    const logged = await fs.readFile(path.join(out, 'log.jsonl'), 'utf8');
    await fs.appendFile(path.join(out, 'log.jsonl'), `${logged.trim().split('\n')[1]!.replace('"iteration":2', '"iteration":3')}\n`);
    const resumed = await runTraining({ ...base(out), networks: undefined, resume: true });
    expect((await readLog(out)).map((r) => r.iteration)).toEqual([1, 2, 3, 4]);
    resumed.dispose();
    disposeNetworks(resumed.networks);
  });

  it('starts from a weights folder holding all six networks (init), with fresh optimizers', { timeout: 60_000 }, async () => {
    const nets = tinyNetworks({ size: SIZE, ngf: 2, ndf: 2, seed: 5 });
    const folder = await tempDir('init-weights');
    await saveNetworks(folder, nets);
    const before = weightValues(nets);
    const messages: string[] = [];
    const trainer = await runTraining({ ...base(await tempDir('run-init')), networks: undefined, init: folder, iterations: 1, log: (m) => messages.push(m) });
    expect(messages[0]).toBe(`initialised from ${folder}`);
    expect(trainer.iteration).toBe(1);
    const after = weightValues(trainer.networks);
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    // Same starting point: one Adam step moves each weight by at most about lr (2e-3); spectral-norm
    // u, v (unit vectors) move freely in a training call.
    for (const k of Object.keys(before)) {
      const d = Math.max(...after[k]!.map((v, i) => Math.abs(v - before[k]![i]!)));
      expect(d, k).toBeLessThan(/_?[uv]$/.test(k) ? 2 : 3e-3);
    }
    trainer.dispose(); disposeNetworks(trainer.networks); disposeNetworks(nets);
  });

  it("stops on a non-finite loss naming the iteration and the terms, keeping the last checkpoint", { timeout: 60_000 }, async () => {
    const out = await tempDir('run-nan-stop');
    const before = tf.memory().numTensors;
    let trainer: UGATITTrainer | undefined;
    const run = runTraining({
      ...base(out), saveEvery: 2,
      onStep: (r, t) => { trainer = t; if (r.iteration === 2) poisonStep(t, 1, {}); },
    });
    await expect(run).rejects.toThrow(UGATITError);
    await expect(run).rejects.toThrow(/diverged at iteration 3: non-finite .*D_GA=NaN.*G_recon_A=NaN.*last checkpoint .* is intact/);
    const saved = await fs.readFile(path.join(out, 'ckpt-00000002', 'state.json'), 'utf8');
    expect((await fs.readdir(out)).filter((f) => f.startsWith('ckpt-'))).toEqual(['ckpt-00000002']);
    const loaded = await loadTrainingCheckpoint(out);
    expect(loaded.state.iteration).toBe(2);
    expect(await fs.readFile(path.join(loaded.path, 'state.json'), 'utf8')).toBe(saved);
    expect((await readLog(out)).map((r) => r.iteration)).toEqual([1, 2]);
    trainer!.dispose();
    disposeNetworks(trainer!.networks);
    disposeNetworks(loaded.networks);
    disposeTrainerState(loaded.state);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("with onNonFinite 'skip' restores weights, u/v and optimizer state and goes on", { timeout: 60_000 }, async () => {
    const out = await tempDir('run-nan-skip');
    const seen: { weightsBefore?: Record<string, Float32Array> } = {};
    let afterSkip: Record<string, Float32Array> | undefined;
    let optimizerAtSkip: unknown;
    const messages: string[] = [];
    const trainer = await runTraining({
      ...base(out), onNonFinite: 'skip', log: (m) => messages.push(m),
      onStep: (r, t) => {
        if (r.iteration === 2) {
          const s = t.getState();
          optimizerAtSkip = JSON.stringify(s.generatorOptimizer.steps);
          disposeTrainerState(s);
          poisonStep(t, 1, seen);
          // Wrap once more to catch the weights the step after the skip starts from.
          const poisoned = t.step.bind(t);
          let calls = 0;
          t.step = async (a, b, o) => {
            if (++calls === 2) {
              afterSkip = weightValues(t.networks);
              const s2 = t.getState();
              expect(JSON.stringify(s2.generatorOptimizer.steps)).toBe(optimizerAtSkip);
              expect(s2.iteration).toBe(2);
              disposeTrainerState(s2);
            }
            return poisoned(a, b, o);
          };
        }
      },
    });
    expect(trainer.iteration).toBe(4);
    expect(messages.some((m) => /skipped iteration 3: non-finite .*restored/.test(m))).toBe(true);
    expect(seen.weightsBefore && afterSkip).toBeTruthy();
    for (const k of Object.keys(seen.weightsBefore!)) {
      expect(Buffer.from(afterSkip![k]!.buffer).equals(Buffer.from(seen.weightsBefore![k]!.buffer)), k).toBe(true);
    }
    const rows = await readLog(out);
    expect(rows.map((r) => [r.iteration, r.skipped ?? false])).toEqual([[1, false], [2, false], [3, true], [3, false], [4, false]]);
    for (const r of rows.filter((x) => !x.skipped)) expect(Number.isFinite(r.G_loss)).toBe(true);
    const loaded = await loadTrainingCheckpoint(out);
    expect(loaded.state.iteration).toBe(4);
    disposeNetworks(loaded.networks);
    disposeTrainerState(loaded.state);
    trainer.dispose();
    disposeNetworks(trainer.networks);
  });

  it('learns synthetic domains end to end: the cycle loss falls; samples and log are written', { timeout: 90_000 }, async () => {
    // Two 32 px images per domain (red squares, blue discs), both in every batch, and a lower CAM
    // weight, so that a few dozen steps suffice for the reconstruction to improve clearly (the
    // last 5 steps average about 0.45× the first 5 here); everything is seeded.
    const e2eData = await tempDir('e2e-data');
    await writeSyntheticDomains(e2eData, { side: 32, train: 2, test: 2, seed: 3 });
    const out = await tempDir('e2e-out');
    const steps = 30;
    const cycle: number[] = [];
    const trainer = await runTraining({
      data: e2eData, out, size: 32, globalLayers: 5, localLayers: 3, iterations: steps, lr: 4e-3, decay: false, camWeight: 10, seed: 2, batchSize: 2,
      networks: tinyNetworks({ size: 32, ngf: 4, ndf: 4, seed: 5 }), sampleEvery: 15, saveEvery: 0, sampleCount: 2,
      onStep: (r) => cycle.push((r.losses.G_recon_A + r.losses.G_recon_B) / 2),
    });
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const [early, late] = [mean(cycle.slice(0, 5)), mean(cycle.slice(-5))];
    expect(late, `cycle loss ${early} → ${late}`).toBeLessThan(0.7 * early);
    const samples = (await fs.readdir(path.join(out, 'samples'))).sort();
    expect(samples).toEqual(['A2B_0000015.png', 'A2B_0000030.png', 'B2A_0000015.png', 'B2A_0000030.png']);
    const sheet = decodeImage(new Uint8Array(await fs.readFile(path.join(out, 'samples', 'A2B_0000030.png'))));
    expect([sheet.width, sheet.height]).toEqual([2 * 32, 7 * 32]);
    const rows = await readLog(out);
    expect(rows).toHaveLength(steps);
    expect(Object.keys(rows[0]!)).toEqual(expect.arrayContaining(['iteration', 'seconds', 'lr', 'D_loss', 'G_loss', 'G_recon_A', 'G_cam_B']));
    expect(path.basename((await findLatestCheckpoint(out))!)).toBe('ckpt-00000030');
    trainer.dispose();
    disposeNetworks(trainer.networks);
  });
});
