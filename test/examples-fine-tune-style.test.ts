import * as tf from '@tensorflow/tfjs-core';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as fineTuneStyle } from '../examples/fine-tune-style';
import { decodeImage, encodePNG, loadLayersModelFromDir, saveNetworks, tensorToImage } from '../src';
import { disposeNetworks, tinyNetworks } from './helpers/tiny-training';

let dir: string;
let stemBefore: Float32Array;

/** A small synthetic unpaired set: A = warm colour noise, B = grey noise, 24 px (the loader resizes). */
async function writeSyntheticData(root: string): Promise<void> {
  for (const [split, n] of [['trainA', 4], ['trainB', 4], ['testA', 3], ['testB', 3]] as const) {
    await fs.mkdir(path.join(root, split), { recursive: true });
    for (let i = 0; i < n; i++) {
      const img = tf.tidy(() => {
        const noise = tf.randomUniform([24, 24, 3], -1, 1, 'float32', 17 * i + split.length);
        if (split.endsWith('A')) return tf.mul(noise, tf.tensor1d([1, 0.5, 0.2]));
        return tf.tile(tf.slice(noise, [0, 0, 0], [-1, -1, 1]), [1, 1, 3]);
      }) as tf.Tensor3D;
      await fs.writeFile(path.join(root, split, `${i}.png`), encodePNG(tensorToImage(img)));
      img.dispose();
    }
  }
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ugatit-ft-style-'));
  await tf.setBackend('cpu');
  // A tiny weights folder with all six networks at 96 px (the global discriminator's minimum).
  const nets = tinyNetworks({ size: 96, ndf: 2, globalLayers: 7, localLayers: 5 });
  await saveNetworks(path.join(dir, 'weights'), nets);
  disposeNetworks(nets);
  const stem = await loadLayersModelFromDir(path.join(dir, 'weights', 'genA2B'));
  stemBefore = stem.getLayer('stem_conv').getWeights()[0]!.dataSync() as Float32Array;
  stem.dispose();
  await writeSyntheticData(path.join(dir, 'data'));
});
afterAll(async () => { await fs.rm(dir, { recursive: true, force: true }); });

describe('examples/fine-tune-style', () => {
  it('measures, fine-tunes two steps with frozen encoders, writes grid, metrics and checkpoint', async () => {
    const before = tf.memory().numTensors;
    const out = path.join(dir, 'out');
    const r = await fineTuneStyle({
      data: path.join(dir, 'data'), weights: path.join(dir, 'weights'), steps: 2, out, freezeEncoders: true,
      evalCount: 3, classifierCount: 4, gridCount: 2, backend: 'wasm',
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.gLosses).toHaveLength(2);
    expect([...r.gLosses, ...r.dLosses].every(Number.isFinite)).toBe(true);
    expect(r.secondsPerStep).toBeGreaterThan(0);
    for (const m of [r.before, r.after]) {
      expect(m.a2bClassifiedB).toBeGreaterThanOrEqual(0);
      expect(m.a2bClassifiedB).toBeLessThanOrEqual(1);
      expect(m.cycleL1A).toBeGreaterThan(0);
    }
    // Rows: input A, A→B before, A→B′ after; two columns of 96 px.
    const grid = decodeImage(new Uint8Array(await fs.readFile(r.grid)));
    expect([grid.width, grid.height]).toEqual([2 * 96, 3 * 96]);
    const metrics = JSON.parse(await fs.readFile(r.metrics, 'utf8')) as { steps: number; after: unknown };
    expect(metrics.steps).toBe(2);
    expect(metrics.after).toEqual(r.after);
    expect(path.basename(r.checkpoint)).toBe('ckpt-00000002');
    const tuned = await loadLayersModelFromDir(path.join(r.checkpoint, 'genA2B'));
    expect(Array.from(tuned.getLayer('stem_conv').getWeights()[0]!.dataSync())).toEqual(Array.from(stemBefore));
    tuned.dispose();
  });

  it('names the missing networks of a generators-only folder', async () => {
    const partial = path.join(dir, 'partial');
    await fs.cp(path.join(dir, 'weights', 'genA2B'), path.join(partial, 'genA2B'), { recursive: true });
    await fs.cp(path.join(dir, 'weights', 'genB2A'), path.join(partial, 'genB2A'), { recursive: true });
    await expect(fineTuneStyle({ data: path.join(dir, 'data'), weights: partial, steps: 1, out: path.join(dir, 'o2') }))
      .rejects.toThrow(/no disGA\/model\.json, disGB\/model\.json, disLA\/model\.json, disLB\/model\.json; expected a weights folder with the six networks/);
  });
});
