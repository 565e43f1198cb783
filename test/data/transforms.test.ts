import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachBackend, useBackend } from '../helpers/backends';
import { RNG } from '../../src/data/rng';
import { testTransform, trainTransform } from '../../src/data/augment';
import { imageToTensor, resizeBilinear, tensorToImage } from '../../src/data/tensor-image';
import type { DecodedImage } from '../../src/data/image-codec';
import { UGATITConfigError } from '../../src/errors';

function testImage(w: number, h: number): DecodedImage {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set([x * 7 % 256, y * 11 % 256, (x + y) % 256], (y * w + x) * 3);
  return { width: w, height: h, channels: 3, data };
}

describe('RNG', () => {
  it('is deterministic, seed-sensitive and resumable from its state', () => {
    const a = new RNG(123);
    const b = new RNG(123);
    const xs = Array.from({ length: 20 }, () => a.next());
    expect(Array.from({ length: 20 }, () => b.next())).toEqual(xs);
    expect(new RNG(124).next()).not.toBe(xs[0]);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const state = JSON.parse(JSON.stringify(a.getState()));
    const c = RNG.fromState(state);
    expect(Array.from({ length: 10 }, () => c.int(7))).toEqual(Array.from({ length: 10 }, () => a.int(7)));
    expect(new RNG(-5).next()).not.toBe(new RNG(5).next());
  });

  it('int is uniform-ish and in range; shuffle is a permutation', () => {
    const r = new RNG(1);
    const counts = new Array(5).fill(0);
    for (let i = 0; i < 5000; i++) counts[r.int(5)]++;
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(120);
    const p = r.shuffle(Array.from({ length: 50 }, (_, i) => i));
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(p).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('rejects bad seeds and states', () => {
    expect(() => new RNG(0.5)).toThrow(UGATITConfigError);
    expect(() => RNG.fromState([0, 0, 0, 0])).toThrow(/four uint32 words/);
    expect(() => RNG.fromState([1, 2, 3])).toThrow(UGATITConfigError);
    expect(() => new RNG(1).int(0)).toThrow(/n must be an integer/);
  });
});

describeEachBackend('image tensors and transforms on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });
  afterAll(() => {
    tf.disposeVariables();
  });

  it('imageToTensor / tensorToImage round trip exactly, clip and handle [0, 1]', () => {
    const before = tf.memory().numTensors;
    const img = testImage(5, 3);
    const t = imageToTensor(img);
    expect(t.shape).toEqual([3, 5, 3]);
    expect(t.dtype).toBe('float32');
    const v = t.dataSync();
    expect(Math.min(...v)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...v)).toBeLessThanOrEqual(1);
    expect(tensorToImage(t)).toEqual(img);
    t.dispose();
    const clipped = tf.tensor3d([-3, 0, 3, 0.5, 1, 0], [1, 2, 3]);
    expect(Array.from(tensorToImage(clipped, [0, 1]).data)).toEqual([0, 0, 255, 128, 255, 0]);
    clipped.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('trainTransform: shape, range, determinism given the seed, no leaks', () => {
    const img = testImage(40, 30);
    const before = tf.memory().numTensors;
    const run = (seed: number): Float32Array => {
      const t = trainTransform(img, 16, new RNG(seed), { jitter: 6 });
      expect(t.shape).toEqual([16, 16, 3]);
      const d = t.dataSync() as Float32Array;
      t.dispose();
      return d;
    };
    const a = run(7);
    expect(Array.from(run(7))).toEqual(Array.from(a));
    const differs = [1, 2, 3, 4, 5].some((s) => run(s).some((x, i) => x !== a[i]));
    expect(differs).toBe(true);
    expect(Math.min(...a)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...a)).toBeLessThanOrEqual(1);
    // quantised like PIL's 8-bit output: every value is k/127.5 − 1 (up to float32 rounding)
    for (const x of a) expect(Math.abs((x + 1) * 127.5 - Math.round((x + 1) * 127.5))).toBeLessThan(1e-3);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('trainTransform equals flip → resize (S+jitter)² → crop → normalise, with the draws in torchvision order', () => {
    const img = testImage(12, 10);
    const seed = 3;
    const probe = new RNG(seed);
    const flip = probe.next() < 0.5;
    const top = probe.int(5);
    const left = probe.int(5);
    const got = trainTransform(img, 8, new RNG(seed), { jitter: 4 });
    const want = tf.tidy(() => {
      let px = tf.tensor3d(Array.from(img.data), [10, 12, 3], 'float32');
      if (flip) px = tf.reverse(px, 1);
      const r = tf.round(tf.image.resizeBilinear(px, [12, 12], false, true));
      return tf.sub(tf.div(tf.slice(r, [top, left, 0], [8, 8, 3]), 127.5), 1);
    });
    expect(Array.from(got.dataSync()).map((x, i) => Math.abs(x - want.dataSync()[i]!)).every((d) => d < 1e-6)).toBe(true);
    // p = 1 always flips: the crop of a flipped image differs from p = 0
    const f1 = trainTransform(img, 8, new RNG(9), { jitter: 4, flipProbability: 1 });
    const f0 = trainTransform(img, 8, new RNG(9), { jitter: 4, flipProbability: 0 });
    expect(Array.from(f1.dataSync())).not.toEqual(Array.from(f0.dataSync()));
    tf.dispose([got, want, f1, f0]);
  });

  it('testTransform resizes to S² and leaves an S² image unchanged', () => {
    const before = tf.memory().numTensors;
    const img = testImage(8, 8);
    const same = testTransform(img, 8);
    expect(tensorToImage(same)).toEqual(img);
    const small = testTransform(testImage(20, 10), 6);
    expect(small.shape).toEqual([6, 6, 3]);
    const r = resizeBilinear(same, [4, 2]);
    expect(r.shape).toEqual([4, 2, 3]);
    tf.dispose([same, small, r]);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => testTransform(img, 0)).toThrow(/size must be a positive integer, received 0/);
  });
});
