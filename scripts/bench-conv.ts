/**
 * GFLOP/s of one 3×3 256→256 convolution on 64² (the light generator's residual blocks at
 * 256²), as tf.conv2d, tf.conv2d + bias, and tf.fused.conv2d with and without bias and ReLU.
 *
 *   npx tsx scripts/bench-conv.ts [tensorflow|wasm|cpu]
 */
import * as tf from '@tensorflow/tfjs-core';
import { useCliBackend } from '../src/cli/backend';

await useCliBackend(process.argv[2] ?? 'tensorflow');
const x = tf.randomUniform([1, 66, 66, 256]) as tf.Tensor4D;
const w = tf.randomUniform([3, 3, 256, 256]) as tf.Tensor4D;
const b = tf.randomUniform([256]) as tf.Tensor1D;
const cases: Record<string, () => tf.Tensor> = {
  'conv2d': () => tf.conv2d(x, w, 1, 'valid'),
  'conv2d + bias': () => tf.tidy(() => tf.add(tf.conv2d(x, w, 1, 'valid'), b)),
  'fused, bias': () => tf.fused.conv2d({ x, filter: w, strides: 1, pad: 'valid', bias: b }),
  'fused, bias + relu': () => tf.fused.conv2d({ x, filter: w, strides: 1, pad: 'valid', bias: b, activation: 'relu' }),
  'fused, no bias': () => tf.fused.conv2d({ x, filter: w, strides: 1, pad: 'valid' }),
};
const flop = 2 * 64 * 64 * 256 * 256 * 9;
for (const [name, f] of Object.entries(cases)) {
  f().dispose();
  const runs = 5;
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) {
    const y = f();
    await y.data();
    y.dispose();
  }
  const ms = (performance.now() - t0) / runs;
  console.log(`${name.padEnd(20)} ${ms.toFixed(1).padStart(7)} ms ${(flop / ms / 1e6).toFixed(0).padStart(5)} GFLOP/s`);
}
tf.dispose([x, w, b]);
