import * as tf from '@tensorflow/tfjs-core';

import { mseLoss } from './mse';

/**
 * Least-squares GAN loss of a discriminator: `MSE(real, 1) + MSE(fake, 0)`, the reference's
 * `D_ad_loss_*` (patch logits) and `D_ad_cam_loss_*` (CAM logits).
 *
 * @param realLogit - The discriminator's output on real images, e.g. `[N, 1, H, W]` or `[N, 1]`.
 * @param fakeLogit - Its output on translated images, same shape.
 * @returns A float32 scalar.
 *
 * @example
 * ```ts
 * const loss = lsganDiscriminatorLoss(tf.tensor1d([1, 0.5]), tf.tensor1d([0, 0.5]));
 * // (0 + 0.25) / 2 + (0 + 0.25) / 2 = 0.25
 * ```
 */
export function lsganDiscriminatorLoss(realLogit: tf.Tensor, fakeLogit: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.add(mseLoss(realLogit, 1), mseLoss(fakeLogit, 0)) as tf.Scalar);
}

/**
 * Least-squares GAN loss of a generator: `MSE(fake, 1)`, the reference's `G_ad_loss_*` and
 * `G_ad_cam_loss_*`.
 *
 * @param fakeLogit - A discriminator's output on translated images, any shape.
 * @returns A float32 scalar.
 *
 * @example
 * ```ts
 * const loss = lsganGeneratorLoss(tf.tensor1d([0, 0.5])); // (1 + 0.25) / 2 = 0.625
 * ```
 */
export function lsganGeneratorLoss(fakeLogit: tf.Tensor): tf.Scalar {
  return mseLoss(fakeLogit, 1);
}
