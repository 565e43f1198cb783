import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, expect, it } from 'vitest';
import { describeEachBackend, useBackend } from '../helpers/backends';
import { kid, polynomialKernel, unbiasedMMD2 } from '../../src/metrics/kid';
import { RNG } from '../../src/data/rng';

/** Rows of Gaussian-ish features (sum of uniforms), shifted by `shift` in every dimension. */
function features(n: number, d: number, seed: number, shift = 0): number[][] {
  const rng = new RNG(seed);
  return Array.from({ length: n }, () => Array.from({ length: d }, () => rng.next() + rng.next() + rng.next() - 1.5 + shift));
}

/** The formula written out in float64, term by term: the reference the tensor code must match. */
function mmd2Reference(x: number[][], y: number[][]): number {
  const d = x[0]!.length;
  const k = (a: number[], b: number[]) => (a.reduce((s, ai, i) => s + ai * b[i]!, 0) / d + 1) ** 3;
  const m = x.length;
  const n = y.length;
  let xx = 0;
  let yy = 0;
  let xy = 0;
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) if (i !== j) xx += k(x[i]!, x[j]!);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) yy += k(y[i]!, y[j]!);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) xy += k(x[i]!, y[j]!);
  return xx / (m * (m - 1)) + yy / (n * (n - 1)) - (2 * xy) / (m * n);
}

describeEachBackend('kid on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('computes the cubic kernel (x·y/d + 1)³', () => {
    const x = tf.tensor2d([[1, 2], [0, -1]]);
    const y = tf.tensor2d([[3, 1]]);
    const k = polynomialKernel(x, y);
    // (1·3 + 2·1) / 2 + 1 = 3.5 and (0·3 − 1·1) / 2 + 1 = 0.5, cubed.
    expect(Array.from(k.dataSync())).toEqual([3.5 ** 3, 0.5 ** 3]);
    tf.dispose([x, y, k]);
  });

  it('matches a float64 implementation of the unbiased MMD² formula, for unequal set sizes', () => {
    const xs = features(23, 7, 1);
    const ys = features(31, 7, 2, 0.3);
    const x = tf.tensor2d(xs);
    const y = tf.tensor2d(ys);
    const before = tf.memory().numTensors;
    const got = unbiasedMMD2(x, y);
    expect(tf.memory().numTensors).toBe(before);
    const want = mmd2Reference(xs, ys);
    expect(want).toBeGreaterThan(0.01);
    expect(Math.abs(got - want)).toBeLessThan(1e-5 * Math.abs(want) + 1e-7);
    tf.dispose([x, y]);
  });

  it('is the mean over subsets of the formula on each subset (one subset of everything = the formula)', () => {
    const xs = features(20, 5, 3);
    const ys = features(20, 5, 4, 0.5);
    const r = kid(xs, ys, { subsets: 1, subsetSize: 20 });
    const want = mmd2Reference(xs, ys);
    expect(r.values).toHaveLength(1);
    expect(Math.abs(r.mean - want)).toBeLessThan(1e-5 * want);
    expect(r.std).toBe(0);
  });

  it('is ≈ 0 for two samples of one distribution and clearly positive for shifted ones', () => {
    const a = features(200, 16, 5);
    const b = features(200, 16, 6);
    const shifted = features(200, 16, 7, 0.25);
    const same = kid(a, b, { subsets: 20, subsetSize: 100, seed: 1 });
    const apart = kid(a, shifted, { subsets: 20, subsetSize: 100, seed: 1 });
    // Unbiased: the same-distribution estimate scatters around 0, within a few standard errors.
    expect(Math.abs(same.mean)).toBeLessThan(3 * same.std);
    expect(apart.mean).toBeGreaterThan(10 * Math.abs(same.mean));
    expect(apart.mean).toBeGreaterThan(3 * apart.std);
    // The population standard deviation of the reported values.
    const m = apart.values.reduce((s, v) => s + v, 0) / apart.values.length;
    expect(apart.std).toBeCloseTo(Math.sqrt(apart.values.reduce((s, v) => s + (v - m) ** 2, 0) / apart.values.length), 12);
  });

  it('takes tensors or arrays alike, is reproducible for a seed, and leaks no tensors', () => {
    const xs = features(40, 6, 8);
    const ys = features(50, 6, 9, 0.2);
    const x = tf.tensor2d(xs);
    const y = tf.tensor2d(ys);
    const before = tf.memory().numTensors;
    const fromTensors = kid(x, y, { subsets: 5, subsetSize: 30, seed: 3 });
    expect(tf.memory().numTensors).toBe(before);
    const fromArrays = kid(xs, ys, { subsets: 5, subsetSize: 30, seed: 3 });
    expect(fromArrays.values).toEqual(fromTensors.values);
    const otherSeed = kid(xs, ys, { subsets: 5, subsetSize: 30, seed: 4 });
    expect(otherSeed.values).not.toEqual(fromTensors.values);
    expect(x.isDisposed || y.isDisposed).toBe(false);
    tf.dispose([x, y]);
  });

  it('names the bad value when the inputs cannot be compared', () => {
    const before = tf.memory().numTensors;
    expect(() => kid(features(10, 4, 1), features(10, 5, 2))).toThrow(/dimensions differ: \[10, 4\] vs \[10, 5\]/);
    expect(() => kid(features(10, 4, 1), features(8, 4, 2), { subsetSize: 9 })).toThrow(/subsetSize .* \(10 and 8 rows\), received 9/);
    expect(() => kid(features(10, 4, 1), features(10, 4, 2), { subsets: 0 })).toThrow(/subsets must be a positive integer, received 0/);
    expect(() => kid([[1, 2], [3]], features(10, 2, 2))).toThrow(/row 1 has 1/);
    const t = tf.zeros([2, 2, 2]) as unknown as tf.Tensor2D;
    expect(() => kid(t, features(10, 2, 2))).toThrow(/featuresX must be \[n, d\] feature rows, received shape \[2, 2, 2\]/);
    t.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
