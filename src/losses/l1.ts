import * as tf from '@tensorflow/tfjs-core';

/**
 * Mean absolute error, `mean(|a − b|)`, as `torch.nn.L1Loss()` (reduction `'mean'`).
 *
 * @param a - Any shape, e.g. a reconstructed image `[N, C, H, W]`.
 * @param b - The same shape as `a` (or broadcastable to it).
 * @returns A float32 scalar.
 *
 * @example
 * ```ts
 * const loss = l1Loss(tf.tensor1d([1, -2]), tf.tensor1d([0, 0])); // (1 + 2) / 2 = 1.5
 * ```
 */
export function l1Loss(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.abs(tf.sub(a, b))) as tf.Scalar);
}
