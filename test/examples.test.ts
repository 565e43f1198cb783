import * as tf from '@tensorflow/tfjs-core';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as convertPytorch } from '../examples/convert-pytorch';
import { main as customTranslator } from '../examples/custom-translator';
import { main as fineTune } from '../examples/fine-tune';
import { main as translateNode } from '../examples/translate-node';
import { UGATITTrainer, decodeImage, exportWeights, saveTrainingCheckpoint } from '../src';
import { disposeNetworks, tinyNetworks } from './helpers/tiny-training';

const ROOT = path.resolve(__dirname, '..');
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ugatit-examples-'));
  // A tiny "pretrained" run at 96 px, the smallest size the global discriminator accepts.
  await tf.setBackend('cpu');
  const nets = tinyNetworks({ size: 96, ndf: 2, globalLayers: 7, localLayers: 5 });
  const trainer = new UGATITTrainer(nets, { iterations: 10 });
  await saveTrainingCheckpoint(path.join(dir, 'run'), nets, trainer.getState(), { config: { size: 96, ngf: 4, ndf: 2 } });
  trainer.dispose();
  disposeNetworks(nets);
  await exportWeights({ from: path.join(dir, 'run'), out: path.join(dir, 'weights') });
  for (const [split, domain] of [['trainA', 'A'], ['trainB', 'B'], ['testA', 'A'], ['testB', 'B']]) {
    await fs.mkdir(path.join(dir, 'data', split!), { recursive: true });
    for (const f of ['00000.png', '00001.png']) await fs.copyFile(path.join(ROOT, 'examples/samples', domain!, f), path.join(dir, 'data', split!, f));
  }
});
afterAll(async () => { await fs.rm(dir, { recursive: true, force: true }); });

describe('examples', () => {
  it('custom-translator: a generator composed from our blocks trains and translates', async () => {
    const before = tf.memory().numTensors;
    const r = await customTranslator({ size: 16, width: 4, steps: 2 });
    expect(r.losses).toHaveLength(2);
    expect(r.losses.every(Number.isFinite)).toBe(true);
    expect(r.outputShape).toEqual([1, 16, 16, 3]);
    expect(r.heatmapShape).toEqual([1, 8, 8, 1]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('translate-node: writes translations and attention overlays', async () => {
    const files = await translateNode({ input: path.join(ROOT, 'examples/samples/B'), out: path.join(dir, 'tr'), weights: path.join(dir, 'weights'), direction: 'b2a' });
    expect(files).toHaveLength(8);
    const img = decodeImage(await fs.readFile(files[1]!));
    expect([img.width, img.height]).toEqual([128, 128]);
  });

  it('convert-pytorch: converts the reference checkpoint, translates and exports back', async () => {
    const r = await convertPytorch({ checkpoint: path.join(ROOT, 'test/fixtures/pytorch-reference/train-step-init.zip.pt'), out: path.join(dir, 'conv'), imgSize: 32 });
    expect(r.networks).toHaveLength(6);
    expect(r.translated).toEqual([1, 32, 32, 3]);
    expect((await fs.stat(r.safetensors)).size).toBeGreaterThan(0);
  });

  it('fine-tune: two steps from a checkpoint with frozen encoders', async () => {
    const r = await fineTune({ data: path.join(dir, 'data'), weights: path.join(dir, 'run'), steps: 2, out: path.join(dir, 'ft'), backend: 'wasm' });
    expect(r.gLosses).toHaveLength(2);
    expect(r.gLosses.every(Number.isFinite)).toBe(true);
    expect(r.frozenUnchanged).toBe(true);
    expect(path.basename(r.checkpoint)).toBe('ckpt-00000002');
  });

  it('fine-tune: from generator-only weights, fresh discriminators', async () => {
    const r = await fineTune({ data: path.join(dir, 'data'), weights: path.join(dir, 'weights'), steps: 1, out: path.join(dir, 'ft2'), backend: 'wasm' });
    expect(r.dLosses).toHaveLength(1);
    expect(r.frozenUnchanged).toBe(true);
  });
});
