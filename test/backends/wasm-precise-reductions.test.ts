import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ensureWasmPreciseReductions, reduceSumFloat64 } from '../../src/backends/wasm-precise-reductions';
import { useBackend } from '../helpers/backends';

/** Per output, the float64 sum of its inputs in increasing input order: the definition. */
function naiveSum(values: Float32Array, shape: number[], axes: number[]): Float64Array {
  const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const out = new Float64Array(outShape.reduce((a, b) => a * b, 1));
  const index = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < values.length; i++) {
    let o = 0;
    for (let d = 0; d < shape.length; d++) o = o * outShape[d]! + (axes.includes(d) ? 0 : index[d]!);
    out[o] += values[i]!;
    for (let d = shape.length - 1; d >= 0 && ++index[d]! === shape[d]; d--) index[d] = 0;
  }
  return out;
}

describe('float64-accumulating Sum and Mean for wasm', () => {
  it('reduceSumFloat64 equals the float64 sum in input order, bit for bit, for adjacent and scattered axes', () => {
    const shape = [2, 5, 7, 3];
    const values = Float32Array.from({ length: 210 }, (_, i) => Math.sin(i * 12.9898) * 1e4);
    for (const axes of [[0], [1], [3], [1, 2], [0, 1, 2], [1, 2, 3], [0, 1, 2, 3], [0, 2], [1, 3], [0, 3], [2, 1]]) {
      expect(Array.from(reduceSumFloat64(values, shape, axes)), JSON.stringify(axes)).toEqual(Array.from(naiveSum(values, shape, axes)));
    }
  });

  it('on wasm, tf.sum and tf.mean keep what float32 accumulation loses', async () => {
    await useBackend('wasm');
    ensureWasmPreciseReductions();
    // 1e8 + 1 is 1e8 in float32: a float32 running sum of these ends at 0, not 1000.
    const values = new Float32Array(1002).fill(1);
    values[0] = 1e8;
    values[1001] = -1e8;
    const x = tf.tensor2d(values, [1, 1002]);
    const [sum, mean] = [tf.sum(x, 1), tf.mean(x, 1)];
    expect(Array.from(await sum.data())).toEqual([1000]);
    expect((await mean.data())[0]).toBeCloseTo(1000 / 1002, 6);
    tf.dispose([x, sum, mean]);
  });
});
