import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { trainCommand } from '../../src/cli/train-command';
import { resolveGenerator } from '../../src/cli/weights';
import { useBackend } from '../helpers/backends';
import { disposeNetworks, tempDir, tinyNetworks, writeSyntheticDomains } from '../helpers/tiny-training';
import { exportWeights, GeneratorAverage, loadLayersModelFromDir, loadTrainingCheckpoint, runTraining, disposeTrainerState } from '../../src';
import type { GeneratorPair, TrainingRunOptions, UGATITNetworks } from '../../src';

/** Every weight of both generators, float64, keyed `<network>/<weight>`. */
function generatorValues(nets: GeneratorPair): Record<string, Float64Array> {
  const out: Record<string, Float64Array> = {};
  for (const n of ['genA2B', 'genB2A'] as const) for (const w of nets[n].weights) out[`${n}/${w.originalName}`] = Float64Array.from(w.read().dataSync());
  return out;
}

const maxDifference = (a: Record<string, ArrayLike<number>>, b: Record<string, ArrayLike<number>>) => {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  let worst = 0;
  for (const k of Object.keys(a)) for (let i = 0; i < a[k]!.length; i++) worst = Math.max(worst, Math.abs(a[k]![i]! - b[k]![i]!));
  return worst;
};

async function loadAverage(out: string): Promise<GeneratorPair> {
  const loaded = await loadTrainingCheckpoint(out);
  disposeTrainerState(loaded.state);
  disposeNetworks(loaded.networks);
  expect(loaded.average, `${loaded.path} holds an average`).toBeDefined();
  return loaded.average!;
}

describe('GeneratorAverage', () => {
  beforeAll(() => useBackend('cpu'));

  it('starts as a copy of the generators and refuses a decay outside [0, 1)', () => {
    const nets = tinyNetworks({ seed: 2 });
    const average = new GeneratorAverage(nets, 0.9);
    expect(maxDifference(generatorValues(average.networks), generatorValues(nets))).toBe(0);
    expect(average.networks.genA2B).not.toBe(nets.genA2B);
    for (const decay of [1, -0.1, NaN]) expect(() => new GeneratorAverage(nets, decay)).toThrow(`decay must be in [0, 1), received ${decay}`);
    average.dispose();
    disposeNetworks(nets);
  });

  it('refuses averaged generators that do not match the trained ones', () => {
    const nets = tinyNetworks({ ngf: 4 });
    const other = tinyNetworks({ ngf: 2 });
    expect(() => new GeneratorAverage(nets, 0.9, { genA2B: other.genA2B, genB2A: other.genB2A }))
      .toThrow("the averaged genA2B does not have the trained genA2B's weights");
    disposeNetworks(nets);
    disposeNetworks(other);
  });
});

describe('runTraining with averageDecay on wasm', () => {
  const SIZE = 24;
  let data: string;
  const base = (out: string, networks?: UGATITNetworks): TrainingRunOptions => ({
    data, out, size: SIZE, globalLayers: 5, localLayers: 3, iterations: 4, lr: 2e-3, seed: 3, sampleEvery: 0, saveEvery: 0,
    networks: networks ?? tinyNetworks({ size: SIZE, ngf: 2, ndf: 2, seed: 11 }),
  });
  beforeAll(async () => {
    await useBackend('wasm');
    data = await tempDir('average-data');
    await writeSyntheticDomains(data, { side: 32, train: 3, test: 1, seed: 1 });
  });

  it('keeps average ← decay · average + (1 − decay) · weights after every step, in the checkpoint', { timeout: 60_000 }, async () => {
    const out = await tempDir('average-run');
    const networks = tinyNetworks({ size: SIZE, ngf: 2, ndf: 2, seed: 11 });
    const decay = 0.7;
    let expected = generatorValues(networks);
    const trainer = await runTraining({
      ...base(out, networks), averageDecay: decay,
      onStep: (_, t) => {
        const now = generatorValues(t.networks);
        expected = Object.fromEntries(Object.entries(expected).map(([k, a]) => [k, a.map((x, i) => decay * x + (1 - decay) * now[k]![i]!)]));
      },
    });
    const average = await loadAverage(out);
    expect(maxDifference(generatorValues(average), expected)).toBeLessThan(1e-6);
    // Not vacuous: four steps moved the weights well away from their average.
    expect(maxDifference(generatorValues(average), generatorValues(trainer.networks))).toBeGreaterThan(1e-4);
    trainer.dispose();
    disposeNetworks(trainer.networks);
    disposeNetworks({ ...average } as UGATITNetworks);
  });

  it('resumes the average exactly: 4 iterations equal 2, stop, resume, 2 more', { timeout: 60_000 }, async () => {
    const straightOut = await tempDir('average-straight');
    const straight = await runTraining({ ...base(straightOut), averageDecay: 0.7 });
    const splitOut = await tempDir('average-split');
    const stop = new AbortController();
    const first = await runTraining({ ...base(splitOut), averageDecay: 0.7, signal: stop.signal, onStep: (r) => { if (r.iteration === 2) stop.abort(); } });
    expect(first.iteration).toBe(2);
    const resumed = await runTraining({ ...base(splitOut), networks: undefined, resume: true });
    expect(resumed.iteration).toBe(4);
    const [a, b] = [await loadAverage(straightOut), await loadAverage(splitOut)];
    expect(maxDifference(generatorValues(a), generatorValues(b))).toBe(0);
    for (const t of [straight, first, resumed]) { t.dispose(); disposeNetworks(t.networks); }
    for (const p of [a, b]) { p.genA2B.dispose(); p.genB2A.dispose(); }
  });

  it('given when resuming a run without one, starts the average from the resumed weights', { timeout: 60_000 }, async () => {
    const out = await tempDir('average-late');
    const first = await runTraining({ ...base(out), iterations: 2 });
    const atTwo = generatorValues(first.networks);
    const messages: string[] = [];
    const resumed = await runTraining({ ...base(out), networks: undefined, resume: true, iterations: 3, averageDecay: 0.25, log: (m) => messages.push(m) });
    expect(messages).toContain('generator average (decay 0.25) starts from the resumed weights');
    const atThree = generatorValues(resumed.networks);
    const expected = Object.fromEntries(Object.entries(atTwo).map(([k, a]) => [k, a.map((x, i) => 0.25 * x + 0.75 * atThree[k]![i]!)]));
    const average = await loadAverage(out);
    expect(maxDifference(generatorValues(average), expected)).toBeLessThan(1e-6);
    for (const t of [first, resumed]) { t.dispose(); disposeNetworks(t.networks); }
    average.genA2B.dispose();
    average.genB2A.dispose();
  });

  it('exportWeights({ average: true }) ships the averaged generators, and refuses a run without them', { timeout: 60_000 }, async () => {
    const out = await tempDir('average-export');
    (await runTraining({ ...base(out), iterations: 2, averageDecay: 0.5 })).dispose();
    const weights = await tempDir('average-weights');
    const result = await exportWeights({ from: out, out: weights, average: true });
    expect(result.provenance.generators).toBe('average (decay 0.5)');
    const average = await loadAverage(out);
    const exported = { genA2B: await loadLayersModelFromDir(path.join(weights, 'genA2B')), genB2A: await loadLayersModelFromDir(path.join(weights, 'genB2A')) };
    expect(maxDifference(generatorValues(exported), generatorValues(average))).toBe(0);
    // `ugatit-tf translate --weights <checkpoint>/average` translates with them too.
    const { generator } = await resolveGenerator(path.join(result.checkpoint, 'average'), 'a2b');
    expect(maxDifference(generatorValues({ genA2B: generator, genB2A: exported.genB2A }), generatorValues(average))).toBe(0);
    generator.dispose();
    const plain = await tempDir('average-none');
    (await runTraining({ ...base(plain), iterations: 1 })).dispose();
    await expect(exportWeights({ from: plain, out: weights, average: true })).rejects.toThrow('holds no averaged generators (average/)');
    expect(JSON.parse(await fs.readFile(path.join(weights, 'provenance.json'), 'utf8')).generators).toBe('average (decay 0.5)');
    for (const p of [average, exported]) { p.genA2B.dispose(); p.genB2A.dispose(); }
  });

  it('train --average takes a decay in [0, 1) and names a bad one', async () => {
    await expect(trainCommand(['--data', data, '--average', '1'])).rejects.toThrow('train: --average must be a decay in [0, 1), received 1');
    const options = base(await tempDir('average-bad'));
    await expect(runTraining({ ...options, averageDecay: 1.5 })).rejects.toThrow('runTraining: averageDecay must be in [0, 1), received 1.5');
    disposeNetworks(options.networks!);
  });
});
