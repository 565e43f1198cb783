import * as tf from '@tensorflow/tfjs-core';

import { l1Loss } from './l1';

/**
 * Cycle-consistency loss: `mean(|reconstructed − original|)`, the reference's `G_recon_loss_A`
 * = L1(A2B2A, real A).
 *
 * @param reconstructed - An image translated there and back, `[N, C, H, W]`.
 * @param original - The real image it started from, same shape.
 * @returns A float32 scalar.
 *
 * @example
 * ```ts
 * const loss = cycleLoss(tf.tensor1d([0.5, -1]), tf.tensor1d([1, -1])); // (0.5 + 0) / 2 = 0.25
 * ```
 */
export function cycleLoss(reconstructed: tf.Tensor, original: tf.Tensor): tf.Scalar {
  return l1Loss(reconstructed, original);
}

/**
 * Identity loss: `mean(|translated − original|)` for an image already in the target domain,
 * the reference's `G_identity_loss_A` = L1(G_B2A(real A), real A).
 *
 * @param translated - The generator's output on a target-domain image, `[N, C, H, W]`.
 * @param original - That image, same shape.
 * @returns A float32 scalar.
 *
 * @example
 * ```ts
 * const loss = identityLoss(tf.tensor1d([0, 0]), tf.tensor1d([1, -3])); // (1 + 3) / 2 = 2
 * ```
 */
export function identityLoss(translated: tf.Tensor, original: tf.Tensor): tf.Scalar {
  return l1Loss(translated, original);
}
