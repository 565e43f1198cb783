import * as tf from '@tensorflow/tfjs-core';
import { hasKernel, STANDARDIZE, STANDARDIZE_GRAD, type StandardizeAttrs } from '../backends/tensorflow-kernels';
import type { CustomGradFunc } from './tfjs-internals';

/**
 * (x − mean) / sqrt(var + eps) over `axes`, with the closed-form gradient
 * `(dy − mean(dy) − k·y·mean(dy·y)) / sqrt(var + eps)` (k = n / (n − 1) for the unbiased variance,
 * 1 for the biased one). Autodiff through `tf.moments` would record about four times as many
 * kernels (every broadcast of mean and variance back over the tensor, a reduction for each),
 * which dominate a training step on backends with a per-kernel cost.
 *
 * @param x - any rank; the statistics are taken over `axes` and broadcast back.
 * @param axes - the axes normalised together (e.g. `[1, 2]` for instance normalisation of NHWC).
 * @param eps - added to the variance.
 * @param unbiased - divide the variance by n − 1 (PyTorch's `torch.var`) rather than n.
 * @returns `x` standardised, same shape.
 * @example
 * ```ts
 * const y = standardize(tf.randomNormal([1, 8, 8, 4]), [1, 2], 1e-5, false); // instance norm
 * ```
 */
export function standardize<T extends tf.Tensor>(x: T, axes: number[], eps: number, unbiased: boolean): T {
  const over = x.rank !== 4 ? null : axes.join() === '1,2' ? 'instance' : axes.join() === '1,2,3' ? 'layer' : null;
  if (over && hasKernel(STANDARDIZE)) return fused(x, { over, eps, unbiased });
  const n = axes.reduce((p, a) => p * x.shape[a]!, 1);
  const k = unbiased ? n / (n - 1) : 1;
  const op = tf.customGrad(((input: tf.Tensor, save: tf.GradSaveFunc) => {
    const d = tf.sub(input, tf.mean(input, axes, true));
    const variance = tf.mean(tf.square(d), axes, true);
    const sigma = tf.sqrt(tf.add(k === 1 ? variance : tf.mul(variance, k), eps));
    const y = tf.div(d, sigma);
    save([y, sigma]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, [yy, s]: tf.Tensor[]) => {
        const projection = tf.mean(tf.mul(dy, yy!), axes, true);
        const centred = tf.sub(dy, tf.mean(dy, axes, true));
        return tf.div(tf.sub(centred, tf.mul(yy!, k === 1 ? projection : tf.mul(projection, k))), s!);
      },
    };
  }) as CustomGradFunc);
  return op(x) as T;
}

/** The same through the backend's one-kernel standardisation and its gradient. */
function fused<T extends tf.Tensor>(x: T, attrs: StandardizeAttrs): T {
  const op = tf.customGrad(((input: tf.Tensor, save: tf.GradSaveFunc) => {
    const [y, mean, variance] = tf.engine().runKernel(STANDARDIZE, { x: input }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    save([input, mean!, variance!]);
    tf.dispose([mean!, variance!]);
    return {
      value: y!,
      gradFunc: (dy: tf.Tensor, [xx, m, v]: tf.Tensor[]) =>
        tf.engine().runKernel(STANDARDIZE_GRAD, { dy, x: xx!, mean: m!, variance: v! }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor,
    };
  }) as CustomGradFunc);
  return op(x) as T;
}
