/**
 * Kernel inception distance (Bińkowski et al., "Demystifying MMD GANs", ICLR 2018): the
 * unbiased estimate of the squared maximum mean discrepancy between two sets of feature
 * vectors under the cubic polynomial kernel, averaged over random subsets. The feature
 * extractor is the caller's.
 *
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import { RNG } from '../data/rng';
import { UGATITConfigError } from '../errors';

/** Feature vectors, one per row: a `[n, d]` tensor or `n` arrays of length `d`. */
export type FeatureRows = tf.Tensor2D | ReadonlyArray<ArrayLike<number>>;

/** Options of {@link kid}. */
export interface KIDOptions {
  /** Number of random subsets the estimate is averaged over. Default 100. */
  subsets?: number;
  /**
   * Vectors drawn (without replacement) from each set for one subset. Default
   * `min(1000, nX, nY)`, as in the reference implementation; must be at least 2.
   */
  subsetSize?: number;
  /** Seed of the subset draws. Default 0. */
  seed?: number;
}

/** What {@link kid} returns. */
export interface KIDResult {
  /** Mean of the per-subset estimates: the KID. Multiply by 100 for the scale papers report. */
  mean: number;
  /** Standard deviation of the per-subset estimates (population, as the reference implementation). */
  std: number;
  /** The per-subset unbiased MMD² estimates. */
  values: number[];
}

function toTensor(rows: FeatureRows, name: string): tf.Tensor2D {
  if (rows instanceof tf.Tensor) {
    if (rows.rank !== 2) throw new UGATITConfigError(`kid: ${name} must be [n, d] feature rows, received shape [${rows.shape.join(', ')}]`);
    return tf.cast(rows, 'float32');
  }
  const n = rows.length;
  const d = n > 0 ? rows[0]!.length : 0;
  const flat = new Float32Array(n * d);
  rows.forEach((row, i) => {
    if (row.length !== d) throw new UGATITConfigError(`kid: ${name} rows must all have length ${d}, row ${i} has ${row.length}`);
    for (let j = 0; j < d; j++) flat[i * d + j] = row[j]!;
  });
  return tf.tensor2d(flat, [n, d]);
}

function sum64(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return s;
}

/**
 * The cubic polynomial kernel of KID between every row of `x` and every row of `y`:
 * `k(a, b) = (a·b / d + 1)³`, with `d` the feature dimension. Returns a new `[nX, nY]` tensor.
 */
export function polynomialKernel(x: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const d = x.shape[1];
    return tf.pow(tf.add(tf.div(tf.matMul(x, y, false, true), d), 1), 3) as tf.Tensor2D;
  });
}

/**
 * Unbiased estimate of MMD² between the rows of `x` and of `y` (at least two rows each,
 * same dimension) under {@link polynomialKernel}:
 *
 * `Σ_{i≠j} k(xᵢ,xⱼ) / (m(m−1)) + Σ_{i≠j} k(yᵢ,yⱼ) / (n(n−1)) − 2 Σ_{i,j} k(xᵢ,yⱼ) / (mn)`.
 *
 * It can be slightly negative when the two sets come from the same distribution. The kernel
 * matrices are summed row by row on the backend and the row sums in float64 here, since the
 * three terms are large and nearly cancel.
 */
export function unbiasedMMD2(x: tf.Tensor2D, y: tf.Tensor2D): number {
  const m = x.shape[0];
  const n = y.shape[0];
  if (m < 2 || n < 2) throw new UGATITConfigError(`unbiasedMMD2: each set needs at least 2 rows, received ${m} and ${n}`);
  if (x.shape[1] !== y.shape[1]) {
    throw new UGATITConfigError(`unbiasedMMD2: feature dimensions differ: [${x.shape.join(', ')}] vs [${y.shape.join(', ')}]`);
  }
  const parts = tf.tidy(() => {
    const rowSums = (a: tf.Tensor2D, b: tf.Tensor2D) => tf.sum(polynomialKernel(a, b), 1);
    // k(a, a) = (|a|² / d + 1)³: the diagonals to remove from the within-set sums.
    const diag = (a: tf.Tensor2D) => tf.pow(tf.add(tf.div(tf.sum(tf.square(a), 1), a.shape[1]), 1), 3);
    return [rowSums(x, x), rowSums(y, y), rowSums(x, y), diag(x), diag(y)];
  });
  const [kxx, kyy, kxy, dx, dy] = parts.map((t) => sum64(t.dataSync()));
  tf.dispose(parts);
  return (kxx! - dx!) / (m * (m - 1)) + (kyy! - dy!) / (n * (n - 1)) - (2 * kxy!) / (m * n);
}

/** `k` distinct indices of [0, n), drawn with a partial Fisher–Yates shuffle. */
function drawWithoutReplacement(rng: RNG, n: number, k: number): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(n - i);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a.slice(0, k);
}

/**
 * Kernel inception distance between two sets of feature vectors: {@link unbiasedMMD2} on
 * `subsets` random subsets of `subsetSize` vectors drawn without replacement from each set,
 * then the mean and standard deviation over subsets (the reference implementation's
 * procedure). Features are rows of a `[n, d]` tensor or arrays; the inputs are not disposed.
 *
 * Papers report KID × 100 (U-GAT-IT's tables do, on Inception-v3 pool features); the value
 * depends entirely on the feature extractor, so numbers on other features are comparable only
 * with each other.
 *
 * @example
 * ```ts
 * const { mean, std } = kid(featuresOfTranslations, featuresOfRealB, { subsets: 100, subsetSize: 100, seed: 0 });
 * console.log(`KID×100 = ${(100 * mean).toFixed(2)} ± ${(100 * std).toFixed(2)}`);
 * ```
 */
export function kid(featuresX: FeatureRows, featuresY: FeatureRows, options: KIDOptions = {}): KIDResult {
  const { subsets = 100, seed = 0 } = options;
  if (!Number.isInteger(subsets) || subsets < 1) throw new UGATITConfigError(`kid: subsets must be a positive integer, received ${subsets}`);
  const x = toTensor(featuresX, 'featuresX');
  let y: tf.Tensor2D | undefined;
  try {
    y = toTensor(featuresY, 'featuresY');
    const nX = x.shape[0];
    const nY = y.shape[0];
    if (x.shape[1] !== y.shape[1]) {
      throw new UGATITConfigError(`kid: feature dimensions differ: [${x.shape.join(', ')}] vs [${y.shape.join(', ')}]`);
    }
    const subsetSize = options.subsetSize ?? Math.min(1000, nX, nY);
    if (!Number.isInteger(subsetSize) || subsetSize < 2 || subsetSize > Math.min(nX, nY)) {
      throw new UGATITConfigError(`kid: subsetSize must be an integer from 2 to the smaller set's size (${nX} and ${nY} rows), received ${subsetSize}`);
    }
    const rng = new RNG(seed);
    const values: number[] = [];
    for (let s = 0; s < subsets; s++) {
      const ix = tf.tensor1d(drawWithoutReplacement(rng, nX, subsetSize), 'int32');
      const iy = tf.tensor1d(drawWithoutReplacement(rng, nY, subsetSize), 'int32');
      const xs = tf.gather(x, ix) as tf.Tensor2D;
      const ys = tf.gather(y, iy) as tf.Tensor2D;
      try {
        values.push(unbiasedMMD2(xs, ys));
      } finally {
        tf.dispose([ix, iy, xs, ys]);
      }
    }
    const mean = sum64(values) / values.length;
    const std = Math.sqrt(sum64(values.map((v) => (v - mean) ** 2)) / values.length);
    return { mean, std, values };
  } finally {
    x.dispose();
    y?.dispose();
  }
}
