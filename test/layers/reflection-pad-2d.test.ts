import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, expect, it } from 'vitest';
import { ReflectionPad2D, reflectionPad2D, padReflect } from '../../src/layers/reflection-pad-2d';
import { UGATITConfigError } from '../../src/errors';
import { describeEachBackend, useBackend } from '../helpers/backends';
import { expectLayerContract } from '../helpers/layer-contract';
import { finiteDifferences } from './spectral-reference';

/**
 * PyTorch's ReflectionPad2d (p on every side) or TensorFlow's tf.pad 'REFLECT' ([before, after])
 * on an NHWC array, in float64: index i of the padded axis reads input |i − before| mirrored at the far end.
 */
function reflectJs(x: Float64Array, [n, h, w, c]: number[], p: number | [number, number]): Float64Array {
  const [before, after] = typeof p === 'number' ? [p, p] : p;
  const H = h + before + after;
  const W = w + before + after;
  const mirror = (i: number, size: number) => {
    const j = Math.abs(i - before);
    return j < size ? j : 2 * (size - 1) - j;
  };
  const out = new Float64Array(n * H * W * c);
  for (let b = 0; b < n; b++) for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) for (let k = 0; k < c; k++) {
    out[((b * H + i) * W + j) * c + k] = x[((b * h + mirror(i, h)) * w + mirror(j, w)) * c + k];
  }
  return out;
}

describeEachBackend('ReflectionPad2D on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('passes the layer contract', async () => {
    await expectLayerContract({
      make: () => reflectionPad2D({ padding: 2, name: 'pad' }),
      inputShapes: [[2, 5, 6, 3]],
      outputShapes: [[2, 9, 10, 3]],
      trainableWeights: 0,
    });
  });

  it('pads as PyTorch does (a plain float64 reflection)', () => {
    const shape = [2, 4, 5, 3];
    const x = tf.randomNormal(shape, 0, 1, 'float32', 3);
    const y = padReflect(x as tf.Tensor4D, 3);
    expect(y.shape).toEqual([2, 10, 11, 3]);
    const expected = reflectJs(Float64Array.from(x.dataSync()), shape, 3);
    expect(Array.from(y.dataSync())).toEqual(Array.from(Float32Array.from(expected)));
    tf.dispose([x, y]);
  });

  // Borders that overlap in the middle (4×5, pad 2), one-row borders (pad 1, the 3×3 convs) and
  // the 7×7 stem's pad 3, on sizes where the folded rows leave a middle untouched.
  it.each([
    { shape: [1, 4, 5, 2], pad: 2 },
    { shape: [1, 8, 9, 2], pad: 1 },
    { shape: [1, 10, 11, 2], pad: 3 },
    { shape: [1, 5, 3, 1], pad: 1 },
  ])('has the gradient of central finite differences, which tfjs mirrorPad gets wrong ($shape, pad $pad)', ({ shape, pad }) => {
    const x = tf.randomNormal(shape, 0, 1, 'float32', 5);
    const r = tf.randomNormal([1, shape[1]! + 2 * pad, shape[2]! + 2 * pad, shape[3]!], 0, 1, 'float32', 6);
    const xs = Float64Array.from(x.dataSync());
    const rs = Float64Array.from(r.dataSync());
    // f(x) = Σ pad(x) · R, evaluated in float64 for the finite differences.
    const f = (v: Float64Array) => reflectJs(v, shape, pad).reduce((s, e, i) => s + e * rs[i], 0);
    const fd = finiteDifferences(f, xs, 1e-3);
    const ours = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(padReflect(v as tf.Tensor4D, pad), r)))(x);
    const builtin = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.mirrorPad(v as tf.Tensor4D, [[0, 0], [pad, pad], [pad, pad], [0, 0]], 'reflect'), r)))(x);
    const o = ours.dataSync();
    const worst = Math.max(...Array.from(fd, (e, i) => Math.abs(o[i] - e)));
    expect(worst).toBeLessThan(1e-5 * Math.max(...Array.from(fd, Math.abs)));
    // tfjs's mirrorPad gradient is only R's centre: every pixel mirrored into the border is wrong.
    const b = builtin.dataSync();
    const wrong = Array.from(fd).filter((e, i) => Math.abs(b[i] - e) > 1e-3).length;
    expect(wrong).toBeGreaterThan(0);
    const centre = tf.slice(r, [0, pad, pad, 0], shape);
    expect(Array.from(b)).toEqual(Array.from(centre.dataSync()));
    // Exactly the pixels some border pixel mirrors (rows/columns 1..p and size−1−p..size−2) are wrong.
    const mirrored = (size: number) => new Set(Array.from({ length: size }, (_, i) => i).filter((i) => (i >= 1 && i <= pad) || (i >= size - 1 - pad && i <= size - 2)));
    const [rows, cols] = [mirrored(shape[1]), mirrored(shape[2])];
    let expectedWrong = 0;
    for (let i = 0; i < shape[1]; i++) for (let j = 0; j < shape[2]; j++) if (rows.has(i) || cols.has(j)) expectedWrong += shape[3];
    expect(wrong).toBe(expectedWrong);
    tf.dispose([x, r, ours, builtin, centre]);
  });

  it('pads [before, after] as TensorFlow\'s asymmetric REFLECT pad, and passes the layer contract so', async () => {
    for (const pad of [[1, 2], [1, 0], [0, 2], [3, 1]] as Array<[number, number]>) {
      const shape = [2, 5, 4, 3];
      const x = tf.randomNormal(shape, 0, 1, 'float32', 4);
      const y = padReflect(x as tf.Tensor4D, pad);
      expect(y.shape).toEqual([2, 5 + pad[0] + pad[1], 4 + pad[0] + pad[1], 3]);
      expect(Array.from(y.dataSync()), `[${pad}]`).toEqual(Array.from(Float32Array.from(reflectJs(Float64Array.from(x.dataSync()), shape, pad))));
      tf.dispose([x, y]);
    }
    const { config } = await expectLayerContract({
      make: () => reflectionPad2D({ padding: [1, 2], name: 'pad' }),
      inputShapes: [[2, 5, 6, 3]],
      outputShapes: [[2, 8, 9, 3]],
      trainableWeights: 0,
    });
    expect(config.padding).toEqual([1, 2]);
  });

  it.each([
    { shape: [1, 6, 7, 2], pad: [1, 2] as [number, number] },
    { shape: [1, 6, 5, 1], pad: [1, 0] as [number, number] },
    { shape: [1, 7, 6, 2], pad: [2, 3] as [number, number] },
  ])('has the gradient of central finite differences with [before, after] = $pad', ({ shape, pad }) => {
    const x = tf.randomNormal(shape, 0, 1, 'float32', 9);
    const r = tf.randomNormal([1, shape[1]! + pad[0] + pad[1], shape[2]! + pad[0] + pad[1], shape[3]!], 0, 1, 'float32', 10);
    const xs = Float64Array.from(x.dataSync());
    const rs = Float64Array.from(r.dataSync());
    const f = (v: Float64Array) => reflectJs(v, shape, pad).reduce((s, e, i) => s + e * rs[i], 0);
    const fd = finiteDifferences(f, xs, 1e-3);
    const ours = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(padReflect(v as tf.Tensor4D, pad), r)))(x);
    const o = ours.dataSync();
    const worst = Math.max(...Array.from(fd, (e, i) => Math.abs(o[i] - e)));
    expect(worst).toBeLessThan(1e-5 * Math.max(...Array.from(fd, Math.abs)));
    tf.dispose([x, r, ours]);
  });

  it('rejects bad paddings and inputs, naming the value', () => {
    expect(() => reflectionPad2D({ padding: [1, -2] })).toThrow(/padding must be a non-negative integer or \[before, after\] of them, received \[1,-2\]/);
    expect(() => reflectionPad2D({ padding: [1] as unknown as [number, number] })).toThrow(/received \[1\]/);
    const small = tf.zeros([1, 2, 8, 1]) as tf.Tensor4D;
    expect(() => padReflect(small, [1, 2])).toThrow(/padding \[1, 2\] needs height and width above 2, received 2×8/);
    small.dispose();
    expect(() => reflectionPad2D({ padding: -1 })).toThrow(/padding must be a non-negative integer, received -1/);
    expect(() => new ReflectionPad2D({ padding: 1.5 })).toThrow(UGATITConfigError);
    const x = tf.zeros([1, 3, 8, 1]) as tf.Tensor4D;
    expect(() => padReflect(x, 3)).toThrow(/padding 3 needs height and width above 3, received 3×8/);
    const flat = tf.zeros([3, 8, 1]);
    expect(() => reflectionPad2D({ padding: 1 }).apply(flat)).toThrow(/rank-4 NHWC tensor, received shape \[3,8,1\]/);
    tf.dispose([x, flat]);
  });
});
