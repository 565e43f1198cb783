import * as tf from '@tensorflow/tfjs-core';
import type { CustomGradFunc } from './tfjs-internals';

/** Smallest norm divided by, as `torch.nn.functional.normalize`. */
const NORMALIZE_EPS = 1e-12;

// tfjs-core has no stopGradient op; an identity whose gradient is zero does the same.
const stopGradient = tf.customGrad(((x: tf.Tensor) => ({
  value: tf.clone(x),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as CustomGradFunc) as <T extends tf.Tensor>(x: T) => T;

function normalize(x: tf.Tensor): tf.Tensor {
  return tf.div(x, tf.maximum(tf.norm(x), NORMALIZE_EPS));
}

/**
 * The kernel as the matrix whose largest singular value spectral norm divides by:
 * `[rest, out]`, rows in the kernel's own (kh, kw, in) order. PyTorch's `W_mat` is its
 * transpose with columns in (in, kh, kw) order; the singular values are the same.
 */
export function spectralMatrix(kernel: tf.Tensor): tf.Tensor2D {
  const out = kernel.shape[kernel.rank - 1];
  return tf.reshape(kernel, [-1, out]);
}

/**
 * One power iteration of `torch.nn.utils.spectral_norm`, without gradient:
 * v = normalize(W_matᵀ u), then u = normalize(W_mat v).
 *
 * @param kernel - a conv kernel `[kh, kw, in, out]` or a dense kernel `[in, out]`.
 * @param u - `[out]`.
 * @returns the updated `u` `[out]` and `v` `[kh·kw·in]` (this library's order of `v`).
 * @example
 * ```ts
 * const { u, v } = powerIteration(kernel, u0);
 * ```
 */
export function powerIteration(kernel: tf.Tensor, u: tf.Tensor1D): {
  /** The advanced left singular vector, `[out]`. */
  u: tf.Tensor1D;
  /** The advanced right singular vector, `[kh·kw·in]`. */
  v: tf.Tensor1D;
} {
  return tf.tidy(() => {
    const m = stopGradient(spectralMatrix(kernel));
    const v = normalize(tf.squeeze(tf.matMul(m, tf.reshape(stopGradient(u), [-1, 1])), [1]));
    const uNext = normalize(tf.squeeze(tf.matMul(tf.reshape(v, [1, -1]), m), [0]));
    return { u: uNext as tf.Tensor1D, v: v as tf.Tensor1D };
  });
}

/**
 * σ = uᵀ W_mat v with u and v held constant and the gradient flowing through the kernel,
 * as PyTorch's spectral norm computes it.
 *
 * @param kernel - `[kh, kw, in, out]` or `[in, out]`.
 * @param u - `[out]`.
 * @param v - `[kh·kw·in]` or `[in]`.
 * @returns a scalar.
 * @example
 * ```ts
 * const sigma = spectralSigma(kernel, u, v);
 * ```
 */
export function spectralSigma(kernel: tf.Tensor, u: tf.Tensor1D, v: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const mu = tf.matMul(spectralMatrix(kernel), tf.reshape(stopGradient(u), [-1, 1]));
    return tf.sum(tf.mul(tf.reshape(stopGradient(v), [-1, 1]), mu)) as tf.Scalar;
  });
}

/**
 * The kernel divided by its spectral norm estimate: `kernel / spectralSigma(kernel, u, v)`.
 *
 * @example
 * ```ts
 * const w = spectralNormalizeKernel(kernel, u, v);
 * ```
 */
export function spectralNormalizeKernel<T extends tf.Tensor>(kernel: T, u: tf.Tensor1D, v: tf.Tensor1D): T {
  return tf.tidy(() => tf.div(kernel, spectralSigma(kernel, u, v)) as T);
}

/** The variables a spectral-normalised weight owns. */
export interface SpectralWeights {
  /** The raw, trainable kernel (PyTorch `weight_orig`). */
  kernel: {
    /** The current kernel. */
    read(): tf.Tensor;
  };
  /** Left singular vector estimate (PyTorch `weight_u`). */
  u: {
    /** The current u, `[out]`. */
    read(): tf.Tensor;
    /** Stores the advanced u. */
    write(t: tf.Tensor): unknown;
  };
  /** Right singular vector estimate (PyTorch `weight_v`, in this library's (kh, kw, in) order). */
  v: {
    /** The current v, `[kh·kw·in]` (or `[in]` for a dense kernel). */
    read(): tf.Tensor;
    /** Stores the advanced v. */
    write(t: tf.Tensor): unknown;
  };
}

/**
 * The normalised kernel a spectral-norm layer uses in one call. In training, u and v first
 * advance one power iteration and are stored, as PyTorch does in `module.train()` mode.
 *
 * @example
 * ```ts
 * const w = spectralKernel({ kernel, u, v }, kwargs.training === true);
 * ```
 */
export function spectralKernel(weights: SpectralWeights, training: boolean): tf.Tensor {
  const kernel = weights.kernel.read();
  if (training) {
    const next = powerIteration(kernel, weights.u.read() as tf.Tensor1D);
    weights.u.write(next.u);
    weights.v.write(next.v);
    tf.dispose([next.u, next.v]);
  }
  return spectralNormalizeKernel(kernel, weights.u.read() as tf.Tensor1D, weights.v.read() as tf.Tensor1D);
}
