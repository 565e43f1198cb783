import * as tf from '@tensorflow/tfjs-core';

import { UGATITConfigError } from '../errors';

/**
 * Elementwise BCE with PyTorch's backward. Autodiff through `relu` and `abs` would pick the
 * subgradient 0 for both at x = 0 and return −t there instead of σ(0) − t = 0.5 − t; PyTorch
 * differentiates this loss analytically, so we do too: ∂/∂x = (σ(x) − t)·dy, ∂/∂t = −x·dy.
 */
const bceElementwise = tf.customGrad(
  (...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [logits, target, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const positivePart = tf.relu(logits);
    const softplusOfNegAbs = tf.log1p(tf.exp(tf.neg(tf.abs(logits))));
    const value = tf.add(tf.sub(positivePart, tf.mul(logits, target)), softplusOfNegAbs);
    save([logits, target]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [x, t] = saved;
        return [tf.mul(dy, tf.sub(tf.sigmoid(x), t)), tf.mul(dy, tf.neg(x))];
      },
    };
  },
);

/**
 * Binary cross-entropy on logits, as `torch.nn.BCEWithLogitsLoss()` (reduction `'mean'`, no
 * weights): `mean(−t·log σ(x) − (1 − t)·log(1 − σ(x)))`.
 *
 * Evaluated in the overflow-free form `max(x, 0) − x·t + log(1 + exp(−|x|))`, so logits of
 * any size (±100 and beyond) give finite losses, and gradients are PyTorch's `(σ(x) − t) / n`.
 *
 * @param logits - Raw scores of any shape, e.g. a generator's CAM logits `[N, 1]`.
 * @param target - Probabilities in [0, 1]: a number broadcast to `logits`' shape, or a tensor
 *   of exactly that shape (PyTorch rejects any other).
 * @returns A float32 scalar.
 * @throws {@link UGATITConfigError} when a target tensor's shape differs from `logits`'.
 *
 * @example
 * ```ts
 * const loss = bceWithLogitsLoss(tf.tensor1d([0, 100]), 1); // (log 2 + ~0) / 2 ≈ 0.3466
 * ```
 */
export function bceWithLogitsLoss(logits: tf.Tensor, target: number | tf.Tensor): tf.Scalar {
  if (typeof target !== 'number' && !tf.util.arraysEqual(target.shape, logits.shape)) {
    throw new UGATITConfigError(
      `bceWithLogitsLoss: target shape [${target.shape}] must equal logits shape ` +
        `[${logits.shape}]`,
    );
  }
  return tf.tidy(() => {
    const t =
      typeof target === 'number' ? tf.fill(logits.shape, target, 'float32') : target;
    return tf.mean(bceElementwise(logits, t)) as tf.Scalar;
  });
}
