import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UGATITTrainer, exportWeights, listPretrained, loadPretrained, saveTrainingCheckpoint } from '../../src';
import { float16BitsToFloat32, float32ToFloat16Bits } from '../../src/io';
import { useBackend } from '../helpers/backends';
import { disposeNetworks, tinyNetworks } from '../helpers/tiny-training';

let dir: string;

beforeAll(async () => {
  await useBackend('cpu');
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ugatit-weights-'));
  const nets = tinyNetworks({ size: 16, ndf: 2, globalLayers: 7, localLayers: 5 });
  const trainer = new UGATITTrainer(nets, { iterations: 10 });
  await saveTrainingCheckpoint(path.join(dir, 'run'), nets, trainer.getState(), { config: { size: 16, ngf: 4 } });
  trainer.dispose();
  disposeNetworks(nets);
});
afterAll(async () => { await fs.rm(dir, { recursive: true, force: true }); });

describe('float16 storage', () => {
  it('rounds to nearest even and round-trips every half value', () => {
    expect(float32ToFloat16Bits(1)).toBe(0x3c00);
    expect(float32ToFloat16Bits(-2)).toBe(0xc000);
    expect(float32ToFloat16Bits(65520)).toBe(0x7c00); // overflows to Inf
    expect(float32ToFloat16Bits(2 ** -25)).toBe(0); // ties to even (0)
    expect(float32ToFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(float32ToFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(NaN)))).toBe(true);
    for (let h = 0; h < 0x10000; h++) {
      if ((h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0) continue;
      expect(float32ToFloat16Bits(float16BitsToFloat32(h))).toBe(h);
    }
  });
});

describe('exportWeights and loadPretrained', () => {
  it('exports a checkpoint float32 and float16 with provenance; both load by name and agree', async () => {
    const base = path.join(dir, 'weights');
    const r32 = await exportWeights({ from: path.join(dir, 'run'), out: path.join(base, 'tiny'), command: 'test' });
    const r16 = await exportWeights({ from: path.join(dir, 'run'), out: path.join(base, 'tiny16'), float16: true });
    expect(r16.bytes.genA2B * 2).toBe(r32.bytes.genA2B);
    expect(r32.provenance).toMatchObject({ iteration: 0, config: { size: 16, ngf: 4 }, command: 'test', dtype: 'float32' });
    expect(await listPretrained({ baseUrl: base })).toEqual(['tiny', 'tiny16']);

    const before = tf.memory().numTensors;
    const a = await loadPretrained('tiny', { baseUrl: base });
    const b = await loadPretrained('tiny16', { baseUrl: base, direction: 'a2b' });
    expect(b.genB2A).toBeUndefined();
    expect(a.provenance?.iteration).toBe(0);
    // The browser path: plain tfjs decodes the float16 manifest itself.
    const json = JSON.parse(await fs.readFile(path.join(base, 'tiny16', 'genA2B', 'model.json'), 'utf8'));
    const bin = await fs.readFile(path.join(base, 'tiny16', 'genA2B', 'weights.bin'));
    const c = await tfl.loadLayersModel(tf.io.fromMemory({
      modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights,
      weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
    }));
    const [d32, d16, dBrowser] = tf.tidy(() => {
      const x = tf.randomUniform([1, 16, 16, 3], -1, 1, 'float32', 5);
      const [y32] = a.genA2B!.predict(x) as tf.Tensor[];
      const [y16] = b.genA2B!.predict(x) as tf.Tensor[];
      const [yc] = c.predict(x) as tf.Tensor[];
      return [tf.max(tf.abs(tf.sub(y32!, y16!))).dataSync()[0]!, tf.max(tf.abs(y16!)).dataSync()[0]!, tf.max(tf.abs(tf.sub(y16!, yc!))).dataSync()[0]!];
    });
    expect(d32).toBeLessThan(5e-3);
    expect(d16).toBeGreaterThan(0);
    expect(dBrowser).toBe(0);
    [a.genA2B, a.genB2A, b.genA2B, c].forEach((m) => m!.dispose());
    expect(tf.memory().numTensors).toBe(before);
  });

  it('loads the discriminators with discriminators: true, from a folder exported with them', async () => {
    const base = path.join(dir, 'weights6');
    await exportWeights({ from: path.join(dir, 'run'), out: path.join(base, 'six'), float16: true, discriminators: true });
    await exportWeights({ from: path.join(dir, 'run'), out: path.join(base, 'two'), float16: true });
    const before = tf.memory().numTensors;
    const six = await loadPretrained('six', { baseUrl: base, discriminators: true });
    expect(Object.keys(six).filter((k) => /^(gen|dis)[A-Z]/.test(k)).sort()).toEqual(['disGA', 'disGB', 'disLA', 'disLB', 'genA2B', 'genB2A']);
    expect(six.discriminatorsSource).toBe(path.join(base, 'six'));
    expect(six.disGA!.outputs.length).toBe(3); // logit, CAM logit, heatmap
    // Without the option only the generators are read.
    const gens = await loadPretrained('six', { baseUrl: base });
    expect(gens.disGA).toBeUndefined();
    disposeNetworks(six);
    disposeNetworks(gens);
    // A folder of generators only names what is missing, and leaks nothing it loaded first.
    await expect(loadPretrained('two', { baseUrl: base, discriminators: true }))
      .rejects.toThrow(/two: no disGA\/model\.json, disGB\/model\.json, disLA\/model\.json, disLB\/model\.json; expected the four discriminators/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('in a clone of the repository, the provided avatars come with their discriminators', async () => {
    const before = tf.memory().numTensors;
    const all = await loadPretrained('avatars', { discriminators: true });
    const folder = path.resolve(__dirname, '../../weights/avatars');
    expect(all.source).toBe(folder);
    expect(all.discriminatorsSource).toBe(folder);
    const nets = [all.genA2B, all.genB2A, all.disGA, all.disGB, all.disLA, all.disLB];
    expect(nets.every((m) => m instanceof tfl.LayersModel)).toBe(true);
    disposeNetworks(all);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names what is missing or wrong', async () => {
    await expect(loadPretrained('nope', { baseUrl: path.join(dir, 'weights') })).rejects.toThrow(/no weights named "nope".*available: tiny, tiny16/);
    await expect(loadPretrained('../etc')).rejects.toThrow(/invalid weights name/);
    await expect(loadPretrained('tiny', { baseUrl: path.join(dir, 'weights'), direction: 'x' as 'a2b' })).rejects.toThrow(/direction must be/);
    await expect(exportWeights({ from: path.join(dir, 'empty'), out: path.join(dir, 'x') })).rejects.toThrow(/no complete training checkpoint/);
  });
});
