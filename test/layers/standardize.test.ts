import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, expect, it } from 'vitest';
import { standardize } from '../../src/layers/standardize';
import { describeEachBackend, useBackend } from '../helpers/backends';
import { normalizeJs, relativeError } from './norm-reference';

// d/dx Σ w·standardize(x), by central differences of the float64 reference.
function numericGradient(x: Float64Array, w: Float64Array, shape: number[], over: 'instance' | 'layer', unbiased: boolean): Float64Array {
  const f = (v: Float64Array) => normalizeJs(v, shape, over, 1e-5, unbiased).reduce((s, y, i) => s + y * w[i]!, 0);
  const g = new Float64Array(x.length);
  const h = 1e-5;
  for (let j = 0; j < x.length; j++) {
    const up = Float64Array.from(x); up[j]! += h;
    const down = Float64Array.from(x); down[j]! -= h;
    g[j] = (f(up) - f(down)) / (2 * h);
  }
  return g;
}

describeEachBackend('standardize on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it.each([
    ['instance', [1, 2], false], ['instance', [1, 2], true], ['layer', [1, 2, 3], true],
  ] as const)('over %s statistics (axes %j, unbiased %s): the value and its closed-form gradient equal the float64 reference', (over, axes, unbiased) => {
    const shape = [2, 3, 4, 3];
    const x = tf.add(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', 11), 2), 0.5);
    const w = tf.randomNormal(shape, 0, 1, 'float32', 12);
    const before = tf.memory().numTensors;
    const y = standardize(x, [...axes], 1e-5, unbiased);
    const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(standardize(t, [...axes], 1e-5, unbiased), w)))(x);
    expect(relativeError(y.dataSync(), normalizeJs(x.dataSync(), shape, over, 1e-5, unbiased))).toBeLessThan(1e-6);
    const expected = numericGradient(Float64Array.from(x.dataSync()), Float64Array.from(w.dataSync()), shape, over, unbiased);
    expect(relativeError(dx.dataSync(), expected)).toBeLessThan(1e-5);
    tf.dispose([y, dx]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w]);
  });
});
