import * as tf from '@tensorflow/tfjs-core';

/**
 * Mean squared error, `mean((pred − target)²)`, as `torch.nn.MSELoss()` (reduction `'mean'`).
 *
 * @param pred - Predictions of any shape, e.g. a discriminator's patch logits `[N, 1, H, W]`
 *   or CAM logits `[N, 1]`.
 * @param target - A number broadcast to `pred`'s shape (the reference's `torch.ones_like` /
 *   `torch.zeros_like`), or a tensor of `pred`'s shape.
 * @returns A float32 scalar.
 *
 * @example
 * ```ts
 * const loss = mseLoss(tf.tensor1d([0.5, 2]), 1); // ((−0.5)² + 1²) / 2 = 0.625
 * ```
 */
export function mseLoss(pred: tf.Tensor, target: number | tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.squaredDifference(pred, target)) as tf.Scalar);
}
