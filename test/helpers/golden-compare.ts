// How our tensors are compared with the golden files. Free of Node APIs: the browser test
// page bundles this file too, so webgl and webgpu are measured by the same code as cpu and wasm.
import * as tf from '@tensorflow/tfjs-core';
import type { NamedTensors } from '../../src';

/** The tensors under `prefix.`, with the prefix removed. */
export function withPrefix(tensors: NamedTensors, prefix: string): NamedTensors {
  const out: NamedTensors = {};
  for (const [k, v] of Object.entries(tensors)) if (k.startsWith(prefix + '.')) out[k.slice(prefix.length + 1)] = v;
  return out;
}

/** NCHW → NHWC. */
export const toNHWC = (t: tf.Tensor) => tf.transpose(t, [0, 2, 3, 1]);
/** NHWC → NCHW. */
export const toNCHW = (t: tf.Tensor) => tf.transpose(t, [0, 3, 1, 2]);

/** Largest |a − e|, where it is, and the scale max |e|. (A type, not an interface: tf.tidy may return it.) */
export type Difference = {
  worst: number;
  at: number;
  scale: number;
  actual: number;
  expected: number;
};

/** Compares two flat arrays element by element (a NaN counts as infinitely far). */
export function differenceOf(actual: ArrayLike<number>, expected: ArrayLike<number>): Difference {
  if (actual.length !== expected.length) throw new Error(`${actual.length} values, expected ${expected.length}`);
  let worst = 0;
  let at = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    if (!(d <= worst)) { worst = Number.isNaN(d) ? Infinity : d; at = i; }
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return { worst, at, scale, actual: actual[at]!, expected: expected[at]! };
}

function checkShapes(actual: tf.Tensor, expected: tf.Tensor): void {
  if (!tf.util.arraysEqual(actual.shape, expected.shape)) throw new Error(`shape [${actual.shape}] differs from expected [${expected.shape}]`);
}

/** {@link differenceOf} two tensors of the same shape, read synchronously. */
export function worstDifference(actual: tf.Tensor, expected: tf.Tensor): Difference {
  checkShapes(actual, expected);
  return differenceOf(actual.dataSync(), expected.dataSync());
}

/** {@link differenceOf} two tensors of the same shape, read asynchronously (webgpu reads synchronously only through a slow path). */
export async function differenceOfTensors(actual: tf.Tensor, expected: tf.Tensor): Promise<Difference> {
  checkShapes(actual, expected);
  const [a, e] = await Promise.all([actual.data(), expected.data()]);
  return differenceOf(a as Float32Array, e as Float32Array);
}

/** One line for a failed comparison: the worst element, its values, and the bound. */
export function describeDifference(label: string, d: Difference, bound: number, relTol?: number): string {
  const against = relTol === undefined ? '' : ` (${relTol} × max |expected| ${d.scale.toExponential(3)})`;
  return `${label}: max |Δ| ${d.worst.toExponential(3)} > ${bound.toExponential(3)}${against}; worst element #${d.at}: ${d.actual} vs ${d.expected}`;
}

/** Asserts max |actual − expected| ≤ relTol × max |expected|, reporting the worst element. */
export function expectCloseRelativeToMax(actual: tf.Tensor, expected: tf.Tensor, relTol: number, label: string): void {
  const d = worstDifference(actual, expected);
  const bound = relTol * d.scale;
  if (!(d.worst <= bound)) throw new Error(describeDifference(label, d, bound, relTol));
}
