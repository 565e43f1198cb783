import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ensureWasmFastConv2D, prefersMatMul } from '../../src/backends/wasm-conv2d';
import { ensureWasmFastConvBackpropInput } from '../../src/backends/wasm-conv-backprop-input';
import { useBackend } from '../helpers/backends';

type Pad = 'valid' | 'same' | number;
interface Case { stride: number; k: number; size: number; pad: Pad; ci: number; co: number; batch: number }

/**
 * Shapes on both sides of the product/convolution switch: many output channels for few
 * positions (the discriminators' deep layers, computed as matrix products) and few channels
 * (XNNPACK convolutions, with the input gradient split into stride phases).
 */
const cases: Case[] = [];
for (const stride of [1, 2, 3]) {
  for (const k of [1, 2, 3, 4]) {
    for (const size of [3, 5, 8]) {
      for (const pad of ['valid', 'same', 1] as const) {
        // wasm's own Conv2D is wrong for 'same' with stride > kernel (not a shape the networks use).
        if (size < k || (pad === 'same' && stride > k)) continue;
        for (const [ci, co, batch] of [[3, 40, 1], [5, 300, 2], [2, 2, 1]] as const) cases.push({ stride, k, size, pad, ci, co, batch });
      }
    }
  }
}

/** Output, dx and dW of a convolution under a non-uniform upstream gradient. */
function convAndGrads(x: tf.Tensor, w: tf.Tensor, c: Case): tf.Tensor[] {
  const f = (a: tf.Tensor, b: tf.Tensor) => {
    const y = tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad);
    return tf.sum(tf.mul(y, tf.sin(tf.reshape(tf.range(0, y.size), y.shape))));
  };
  return [tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.stride, c.pad), ...tf.grads(f)([x, w])];
}

describe('wasm convolution fast paths', () => {
  it(`match the cpu backend on ${cases.length} shapes (output, input gradient, filter gradient), without leaks`, { timeout: 120_000 }, async () => {
    let viaProduct = 0;
    let worst = 0;
    for (const c of cases) {
      await useBackend('cpu');
      const x = tf.randomNormal([c.batch, c.size, c.size + 1, c.ci], 0, 1, 'float32', 1);
      const w = tf.randomNormal([c.k, c.k, c.ci, c.co], 0, 1, 'float32', 2);
      const [xv, wv] = [x.dataSync(), w.dataSync()];
      const expected = tf.tidy(() => convAndGrads(x, w, c).map((t) => t.dataSync()));
      tf.dispose([x, w]);

      await useBackend('wasm');
      ensureWasmFastConv2D();
      ensureWasmFastConvBackpropInput();
      const before = tf.memory().numTensors;
      const got = tf.tidy(() => {
        const [xw, ww] = [tf.tensor(xv, [c.batch, c.size, c.size + 1, c.ci]), tf.tensor(wv, w.shape)];
        const outs = convAndGrads(xw, ww, c);
        const info = tf.backend_util.computeConv2DInfo(xw.shape as [number, number, number, number], ww.shape as [number, number, number, number], c.stride, 1, c.pad);
        if (prefersMatMul(info)) viaProduct++;
        return outs.map((t) => t.dataSync());
      });
      expect(tf.memory().numTensors, 'tensors leaked').toBe(before);
      expected.forEach((ref, i) => {
        expect(got[i]!.length).toBe(ref.length);
        let maxDiff = 0;
        let scale = 0;
        for (let j = 0; j < ref.length; j++) {
          maxDiff = Math.max(maxDiff, Math.abs(got[i]![j]! - ref[j]!));
          scale = Math.max(scale, Math.abs(ref[j]!));
        }
        worst = Math.max(worst, maxDiff / scale);
        expect(maxDiff / scale, `${JSON.stringify(c)} ${['output', 'dx', 'dW'][i]}`).toBeLessThan(1e-5);
      });
    }
    expect(viaProduct, 'both paths are exercised').toBeGreaterThan(cases.length / 4);
    expect(viaProduct).toBeLessThan(cases.length);
    console.info(`wasm conv fast paths: ${cases.length} shapes, ${viaProduct} as products, worst relative error ${worst.toExponential(2)}`);
  });
});
