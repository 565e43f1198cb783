import * as tf from '@tensorflow/tfjs-core';
import type { CustomGradFunc } from './tfjs-internals';

/** Smallest norm divided by, as `torch.nn.functional.normalize`. */
const NORMALIZE_EPS = 1e-12;

/** ‖x‖₂ as a scalar (tf.norm goes through pow and dtype casts: several kernels more). */
function euclidean(x: tf.Tensor): tf.Scalar {
  return tf.sqrt(tf.sum(tf.square(x))) as tf.Scalar;
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

// Matrix-vector products as a broadcast multiply and a sum: tfjs' matMul wraps each product
// in three reshapes to and from a batch of matrices, which costs a kernel call each.

/** W_mat·v as ours computes it: `[out]` from M `[rest, out]` and v `[rest]`. */
function matrixTimesV(m: tf.Tensor2D, v: tf.Tensor1D): tf.Tensor1D {
  return tf.sum(tf.mul(m, tf.reshape(v, [-1, 1])), 0) as tf.Tensor1D;
}

function normalize<T extends tf.Tensor>(x: T): T {
  return tf.div(x, tf.maximum(euclidean(x), NORMALIZE_EPS)) as T;
}

/** One power iteration, and W_mat·v for the advanced v (σ is uᵀ of it). */
function iterate(kernel: tf.Tensor, u: tf.Tensor1D): { u: tf.Tensor1D; v: tf.Tensor1D; mv: tf.Tensor1D } {
  return tf.tidy(() => {
    const m = spectralMatrix(kernel);
    const v = normalize(tf.sum(tf.mul(m, u), 1)) as tf.Tensor1D;
    const mv = matrixTimesV(m, v);
    return { u: normalize(mv), v, mv };
  });
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
  const { u: next, v, mv } = iterate(kernel, u);
  mv.dispose();
  return { u: next, v };
}

/** σ = uᵀ W_mat v for constant u, v. */
function sigmaOf(kernel: tf.Tensor, u: tf.Tensor1D, v: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.mul(matrixTimesV(spectralMatrix(kernel), v), u)) as tf.Scalar);
}

/** ∂σ/∂kernel = v uᵀ, in the kernel's shape. */
function sigmaGradient(kernel: tf.Tensor, u: tf.Tensor1D, v: tf.Tensor1D): tf.Tensor {
  return tf.reshape(tf.mul(tf.reshape(v, [-1, 1]), u), kernel.shape);
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
  const op = tf.customGrad(((k: tf.Tensor, save: tf.GradSaveFunc) => {
    save([k, u, v]);
    return {
      value: sigmaOf(k, u, v),
      gradFunc: (dy: tf.Tensor, [kk, uu, vv]: tf.Tensor[]) => tf.mul(dy, sigmaGradient(kk!, uu as tf.Tensor1D, vv as tf.Tensor1D)),
    };
  }) as CustomGradFunc);
  return op(kernel) as tf.Scalar;
}

/**
 * kernel / σ with its closed-form gradient dy/σ − (Σ dy·kernel)/σ² · v uᵀ (u, v constant),
 * which autodiff would record as a dozen kernels more per call.
 */
function divideBySigma<T extends tf.Tensor>(kernel: T, sigma: tf.Scalar, u: tf.Tensor1D, v: tf.Tensor1D): T {
  // u, v and σ go through `save`: the caller may dispose its own handles before backprop.
  const op = tf.customGrad(((k: tf.Tensor, save: tf.GradSaveFunc) => {
    save([k, sigma, u, v]);
    return {
      value: tf.div(k, sigma),
      gradFunc: (dy: tf.Tensor, [kk, s, uu, vv]: tf.Tensor[]) => {
        const along = tf.div(tf.sum(tf.mul(dy, kk!)), tf.square(s!));
        return tf.sub(tf.div(dy, s!), tf.mul(along, sigmaGradient(kk!, uu as tf.Tensor1D, vv as tf.Tensor1D)));
      },
    };
  }) as CustomGradFunc);
  return op(kernel) as T;
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
  return tf.tidy(() => divideBySigma(kernel, sigmaOf(kernel, u, v), u, v));
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
  if (!training) return spectralNormalizeKernel(kernel, weights.u.read() as tf.Tensor1D, weights.v.read() as tf.Tensor1D);
  // The power iteration reads the kernel but only feeds u, v and σ, which the gradient treats
  // as constants: nothing of it is on a path the tape differentiates. σ = uᵀ(W_mat v) from the
  // same W_mat v an evaluation-mode call computes, so that the two agree bit for bit.
  const next = iterate(kernel, weights.u.read() as tf.Tensor1D);
  weights.u.write(next.u);
  weights.v.write(next.v);
  const sigma = tf.sum(tf.mul(next.mv, next.u)) as tf.Scalar;
  const normalized = divideBySigma(kernel, sigma, next.u, next.v);
  tf.dispose([next.u, next.v, next.mv, sigma]);
  return normalized;
}
