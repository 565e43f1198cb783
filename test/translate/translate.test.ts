import * as tf from '@tensorflow/tfjs-core';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  batchToImages, createDiscriminator, createGenerator, decodeImage, discriminatorAttention, encodePNG, translate,
} from '../../src';
import { useBackend } from '../helpers/backends';

const SIZE = 16;
let gen: ReturnType<typeof createGenerator>;
let dir: string;

beforeAll(async () => {
  await useBackend('cpu');
  gen = createGenerator({ ngf: 4, nBlocks: 1, imgSize: SIZE, light: true, name: 'genA2B' });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ugatit-translate-'));
});
afterAll(async () => {
  gen.dispose();
  await fs.rm(dir, { recursive: true, force: true });
});

function rgbPng(w: number, h: number, channels: 3 | 4 = 3): Uint8Array {
  const data = new Uint8Array(w * h * channels).map((_, i) => (i * 37) % 256);
  return encodePNG({ width: w, height: h, channels, data });
}

const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
const reduce = (t: tf.Tensor, fn: 'min' | 'max'): number => tf.tidy(() => tf[fn](t).dataSync()[0]!);

async function leakFree<T>(fn: () => Promise<T>): Promise<T> {
  const before = tf.memory().numTensors;
  const r = await fn();
  expect(tf.memory().numTensors).toBe(before);
  return r;
}

describe('translate', () => {
  it('returns image, raw heatmap, JET heatmap and overlay at the input size, without leaks', async () => {
    await leakFree(async () => {
      const x = tf.randomUniform([2, 20, 28, 3], -1, 1) as tf.Tensor4D;
      const r = await translate(gen, x);
      expect(r.image.shape).toEqual([2, 20, 28, 3]);
      expect(r.heatmap.shape).toEqual([2, SIZE / 4, SIZE / 4, 1]);
      expect(r.heatmapImage.shape).toEqual([2, 20, 28, 3]);
      expect(r.overlay.shape).toEqual([2, 20, 28, 3]);
      expect(r.camLogit.shape).toEqual([2, 2]);
      const [lo, hi] = [reduce(r.overlay, 'min'), reduce(r.overlay, 'max')];
      expect(lo).toBeGreaterThanOrEqual(0);
      expect(hi).toBeLessThanOrEqual(1);
      expect(tf.tidy(() => tf.max(tf.abs(r.image)).dataSync()[0]!)).toBeLessThanOrEqual(1);
      x.dispose();
      r.dispose();
    });
  });

  it('treats int32 tensors as 0–255 pixels and float32 as [−1, 1]: both give the same result', async () => {
    await leakFree(async () => {
      const px = tf.tidy(() => tf.cast(tf.floor(tf.mul(tf.randomUniform([SIZE, SIZE, 3], 0, 1, 'float32', 3), 256)), 'int32')) as tf.Tensor3D;
      const fl = tf.tidy(() => tf.div(tf.sub(tf.div(tf.cast(px, 'float32'), 255), 0.5), 0.5)) as tf.Tensor3D;
      const a = await translate(gen, px);
      const b = await translate(gen, fl);
      expect(a.image.shape).toEqual([1, SIZE, SIZE, 3]);
      expect(maxAbsDiff(a.image, b.image)).toBeLessThan(1e-4);
      tf.dispose([px, fl]);
      a.dispose();
      b.dispose();
    });
  });

  it('reads PNG bytes and paths, grey and RGBA (composited over white), odd sizes', async () => {
    const file = path.join(dir, 'odd.png');
    await fs.writeFile(file, rgbPng(13, 7));
    await leakFree(async () => {
      const fromPath = await translate(gen, file);
      const fromBytes = await translate(gen, await fs.readFile(file));
      expect(fromPath.image.shape).toEqual([1, 7, 13, 3]);
      expect(maxAbsDiff(fromPath.image, fromBytes.image)).toBe(0);
      fromPath.dispose();
      fromBytes.dispose();

      const grey = tf.fill([9, 11, 1], 128, 'int32') as tf.Tensor3D;
      const rgb = tf.fill([9, 11, 3], 128, 'int32') as tf.Tensor3D;
      const g = await translate(gen, grey);
      const c = await translate(gen, rgb);
      expect(maxAbsDiff(g.image, c.image)).toBe(0);
      // Fully transparent RGBA = white.
      const rgba = tf.tidy(() => tf.concat([tf.fill([9, 11, 3], 7, 'int32'), tf.fill([9, 11, 1], 0, 'int32')], 2)) as tf.Tensor3D;
      const white = tf.fill([9, 11, 3], 255, 'int32') as tf.Tensor3D;
      const t = await translate(gen, rgba);
      const w = await translate(gen, white);
      expect(maxAbsDiff(t.image, w.image)).toBe(0);
      tf.dispose([grey, rgb, rgba, white]);
      [g, c, t, w].forEach((r) => r.dispose());
      const rgbaPng = await translate(gen, rgbPng(5, 6, 4));
      expect(rgbaPng.image.shape).toEqual([1, 6, 5, 3]);
      rgbaPng.dispose();
    });
  });

  it('batches arrays of inputs; mixed sizes come back at the model size unless outputSize is set', async () => {
    await leakFree(async () => {
      const a = tf.zeros([10, 12, 3], 'int32') as tf.Tensor3D;
      const r = await translate(gen, [a, rgbPng(30, 20)]);
      expect(r.image.shape).toEqual([2, SIZE, SIZE, 3]);
      r.dispose();
      const s = await translate(gen, [a, a], { outputSize: [5, 9] });
      expect(s.overlay.shape).toEqual([2, 5, 9, 3]);
      s.dispose();
      a.dispose();
    });
  });

  it('batchToImages gives 8-bit images that encode to PNGs', async () => {
    const r = await translate(gen, rgbPng(8, 8));
    const [img] = batchToImages(r.image);
    const [over] = batchToImages(r.overlay, [0, 1]);
    r.dispose();
    expect(decodeImage(encodePNG(img!)).width).toBe(8);
    expect(over!.data.length).toBe(8 * 8 * 3);
  });

  it('rejects bad inputs with one clear message', async () => {
    await expect(translate(gen, tf.zeros([4, 4, 2]) as tf.Tensor3D)).rejects.toThrow(/1, 3 or 4 channels, received 2/);
    await expect(translate(gen, tf.zeros([4, 4]) as unknown as tf.Tensor3D)).rejects.toThrow(/\[h, w, c\] or \[n, h, w, c\]/);
    await expect(translate(gen, new Uint8Array([1, 2, 3]))).rejects.toThrow(/image bytes/);
    await expect(translate(gen, path.join(dir, 'missing.png'))).rejects.toThrow(/missing\.png/);
    await expect(translate(gen, 42 as unknown as string)).rejects.toThrow(/unsupported input number/);
    await expect(translate(gen, [])).rejects.toThrow(/empty list/);
  });
});

describe('discriminatorAttention', () => {
  it('returns logits, CAM heatmap, JET image and overlay at the input size without leaks', async () => {
    const dis = createDiscriminator({ ndf: 2, nLayers: 5, name: 'disLB' });
    await leakFree(async () => {
      const x = tf.randomUniform([2, 30, 30, 3], -1, 1) as tf.Tensor4D;
      const r = await discriminatorAttention(dis, x);
      expect(r.camLogit.shape).toEqual([2, 2]);
      expect(r.heatmap.shape[0]).toBe(2);
      expect(r.heatmapImage.shape).toEqual([2, 30, 30, 3]);
      expect(r.overlay.shape).toEqual([2, 30, 30, 3]);
      expect(r.logit.shape[3]).toBe(1);
      r.dispose();
      x.dispose();
    });
    dis.dispose();
  });
});
