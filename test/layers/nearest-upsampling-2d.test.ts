import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, expect, it } from 'vitest';
import { nearestUpsampling2D, upsampleNearest } from '../../src/layers/nearest-upsampling-2d';
import { describeEachBackend, useBackend } from '../helpers/backends';
import { expectLayerContract } from '../helpers/layer-contract';

/** PyTorch's nearest up-sampling of an NHWC array: output (i, j) reads input (⌊i/f⌋, ⌊j/f⌋). */
function upsampleJs(x: ArrayLike<number>, [n, h, w, c]: number[], f: number): Float64Array {
  const out = new Float64Array(n * h * f * w * f * c);
  for (let b = 0; b < n; b++) for (let i = 0; i < h * f; i++) for (let j = 0; j < w * f; j++) for (let k = 0; k < c; k++) {
    out[((b * h * f + i) * w * f + j) * c + k] = x[((b * h + Math.floor(i / f)) * w + Math.floor(j / f)) * c + k]!;
  }
  return out;
}

/** Its gradient: each input pixel collects the f×f outputs it was copied to. */
function upsampleGradJs(dy: ArrayLike<number>, [n, h, w, c]: number[], f: number): Float64Array {
  const dx = new Float64Array(n * h * w * c);
  for (let b = 0; b < n; b++) for (let i = 0; i < h * f; i++) for (let j = 0; j < w * f; j++) for (let k = 0; k < c; k++) {
    dx[((b * h + Math.floor(i / f)) * w + Math.floor(j / f)) * c + k] += dy[((b * h * f + i) * w * f + j) * c + k]!;
  }
  return dx;
}

describeEachBackend('NearestUpsampling2D on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('passes the layer contract', async () => {
    await expectLayerContract({
      make: () => nearestUpsampling2D({ factor: 2, name: 'up' }),
      inputShapes: [[2, 3, 4, 5]],
      outputShapes: [[2, 6, 8, 5]],
      trainableWeights: 0,
    });
  });

  it.each([2, 3])('copies each pixel to a block of factor %i squared, and its gradient sums the block back, for every image of a batch', (f) => {
    const shape = [3, 4, 5, 2];
    const x = tf.randomNormal(shape, 0, 1, 'float32', 5);
    const dy = tf.randomNormal([3, 4 * f, 5 * f, 2], 0, 1, 'float32', 6);
    const before = tf.memory().numTensors;
    const y = upsampleNearest(x as tf.Tensor4D, f);
    const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(upsampleNearest(t as tf.Tensor4D, f), dy)))(x);
    expect(Array.from(y.dataSync())).toEqual(Array.from(upsampleJs(x.dataSync(), shape, f)));
    const expected = upsampleGradJs(dy.dataSync(), shape, f);
    dx.dataSync().forEach((v, i) => expect(Math.abs(v - expected[i]!), `dx[${i}]`).toBeLessThan(1e-5));
    tf.dispose([y, dx]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, dy]);
  });

  it('rejects a factor that is not a positive integer, naming it', () => {
    expect(() => nearestUpsampling2D({ factor: 1.5 })).toThrow(/factor must be a positive integer, received 1.5/);
    expect(() => upsampleNearest(tf.zeros([1, 2, 2, 1]) as tf.Tensor4D, 0)).toThrow(/received 0/);
  });
});
