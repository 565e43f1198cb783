import * as tf from '@tensorflow/tfjs-core';
import { standardize } from './standardize';

/**
 * The normalisation shared by AdaLIN and ILN: ρ·x̂_IN + (1−ρ)·x̂_LN, where x̂_IN normalises
 * each channel over (H, W) and x̂_LN each image over (H, W, C).
 *
 * @param x - `[N, H, W, C]`.
 * @param rho - `[C]`, each in [0, 1].
 * @param eps - added to the variances.
 * @param unbiased - divide the variances by n − 1 (the PyTorch reference's `torch.var`) rather than n (the TensorFlow reference).
 * @returns `[N, H, W, C]`.
 * @example
 * ```ts
 * const y = instanceLayerMix(tf.randomNormal([1, 8, 8, 4]), tf.fill([4], 0.9), 1e-5, true);
 * ```
 */
export function instanceLayerMix(x: tf.Tensor4D, rho: tf.Tensor1D, eps: number, unbiased: boolean): tf.Tensor4D {
  return tf.tidy(() => {
    const byInstance = standardize(x, [1, 2], eps, unbiased);
    const byLayer = standardize(x, [1, 2, 3], eps, unbiased);
    return tf.add(tf.mul(rho, byInstance), tf.mul(tf.sub(1, rho), byLayer)) as tf.Tensor4D;
  });
}
