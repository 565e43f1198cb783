import * as tf from '@tensorflow/tfjs-core';

import { bceWithLogitsLoss } from './bce-with-logits';
import { lsganDiscriminatorLoss } from './lsgan';

/**
 * A generator's CAM loss: `BCE(camFake, 1) + BCE(camIdentity, 0)`. The generator's auxiliary
 * classifier must call a source-domain image "to be translated" (1) and a target-domain image
 * fed through the same generator "already translated" (0). The reference's `G_cam_loss_A`
 * uses G_B2A's CAM logits on `real_B` (→ fake B2A) and on `real_A` (→ identity A2A).
 *
 * @param camFake - CAM logits `[N, 1]` of the generator on source-domain images.
 * @param camIdentity - CAM logits `[N, 1]` of the same generator on target-domain images.
 * @returns A float32 scalar.
 *
 * @example
 * ```ts
 * const loss = camGeneratorLoss(tf.tensor2d([[0]]), tf.tensor2d([[0]])); // 2·log 2 ≈ 1.386
 * ```
 */
export function camGeneratorLoss(camFake: tf.Tensor, camIdentity: tf.Tensor): tf.Scalar {
  return tf.tidy(
    () => tf.add(bceWithLogitsLoss(camFake, 1), bceWithLogitsLoss(camIdentity, 0)) as tf.Scalar,
  );
}

/**
 * A discriminator's CAM loss: the least-squares GAN loss on its CAM logits,
 * `MSE(realCam, 1) + MSE(fakeCam, 0)` (the reference's `D_ad_cam_loss_*`).
 *
 * @param realCam - CAM logits `[N, 1]` on real images.
 * @param fakeCam - CAM logits `[N, 1]` on translated images.
 * @returns A float32 scalar.
 *
 * @example
 * ```ts
 * const loss = camDiscriminatorLoss(tf.tensor2d([[1]]), tf.tensor2d([[1]])); // 0 + 1 = 1
 * ```
 */
export function camDiscriminatorLoss(realCam: tf.Tensor, fakeCam: tf.Tensor): tf.Scalar {
  return lsganDiscriminatorLoss(realCam, fakeCam);
}
