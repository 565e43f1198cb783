import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSafetensors, type NamedTensors } from '../../src/io/safetensors';

/** Folder of the golden files produced by the official PyTorch implementation. */
export const FIXTURE_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'pytorch-reference');

/** The fixture manifest (configurations and loss values). */
export const manifest = JSON.parse(readFileSync(path.join(FIXTURE_DIR, 'manifest.json'), 'utf8'));

/** Reads a golden safetensors file. The caller disposes the tensors. */
export function readFixture(name: string): NamedTensors {
  return readSafetensors(new Uint8Array(readFileSync(path.join(FIXTURE_DIR, name))));
}

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

/** Largest |a − e| and where it is, with the scale max |e|. */
export function worstDifference(actual: tf.Tensor, expected: tf.Tensor) {
  const a = actual.dataSync();
  const e = expected.dataSync();
  if (!tf.util.arraysEqual(actual.shape, expected.shape)) throw new Error(`shape [${actual.shape}] differs from expected [${expected.shape}]`);
  let worst = 0;
  let at = 0;
  let scale = 0;
  for (let i = 0; i < e.length; i++) {
    const d = Math.abs(a[i] - e[i]);
    if (!(d <= worst)) { worst = d; at = i; }
    scale = Math.max(scale, Math.abs(e[i]));
  }
  return { worst, at, scale, actual: a[at], expected: e[at] };
}

/**
 * Asserts max |actual − expected| ≤ relTol × max |expected|, reporting the worst element.
 */
export function expectCloseRelativeToMax(actual: tf.Tensor, expected: tf.Tensor, relTol: number, label: string): void {
  const d = worstDifference(actual, expected);
  const bound = relTol * d.scale;
  if (!(d.worst <= bound)) {
    throw new Error(`${label}: max |Δ| ${d.worst.toExponential(3)} > ${bound.toExponential(3)} (${relTol} × max |expected| ${d.scale.toExponential(3)}); worst element #${d.at}: ${d.actual} vs ${d.expected}`);
  }
}
