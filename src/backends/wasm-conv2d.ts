/**
 * wasm `Conv2D` for convolutions with few output positions: one matrix product.
 *
 * XNNPACK packs a convolution's weights when it first sees the filter tensor. In training
 * every call brings a new filter (spectral normalisation divides the weights anew), and for
 * the discriminators' deepest layers (e.g. 4×4×256→512 on a 3×3 output) packing costs
 * 20× the arithmetic. As image patches times the kernel reshaped to `[kh·kw·ci, co]`, the
 * same convolution is one `BatchMatMul`, whose weight packing is several times cheaper,
 * after a patch copy that is small exactly when the output is.
 *
 * @module
 */
import { backend_util, Conv2D } from '@tensorflow/tfjs-core';
import type { Conv2DAttrs, KernelBackend, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { kernelSwap } from './kernel-swap';
import { imageToColumns } from './wasm-conv-layout';
import { compose } from './wasm-training-kernels';

/**
 * Whether a convolution is cheaper as a matrix product: when its output positions are few
 * against its output channels (at most `perChannel` positions per channel), so that the
 * patch copy is small beside the weights. Measured on wasm: the forward product wins up to
 * about one position per channel, the input-gradient product (which needs no weight
 * re-layout) up to about four.
 */
export function prefersMatMul(info: backend_util.Conv2DInfo, perChannel = 1): boolean {
  return info.dilationHeight === 1 && info.dilationWidth === 1
    && info.batchSize * info.outHeight * info.outWidth <= perChannel * info.outChannels;
}

const conv2DWasm: KernelFunc = (args) => {
  const { inputs, backend, attrs } = args;
  const { strides, pad, dataFormat, dilations, dimRoundingMode } = attrs as unknown as Conv2DAttrs;
  const x = inputs.x as TensorInfo;
  const filter = inputs.filter as TensorInfo;
  const channelsLast = backend_util.convertConv2DDataFormat(dataFormat) === 'channelsLast';
  const info = channelsLast
    ? backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number],
      strides, dilations, pad, dimRoundingMode, false, 'channelsLast')
    : null;
  // wasm's own kernel for every convolution the product path does not take.
  if (!info || !prefersMatMul(info) || x.dtype !== 'float32') return swap.original!.kernelFunc(args);
  return compose(backend as KernelBackend, (c) => {
    const [kh, kw, ci, co] = filter.shape;
    const patches = c.keep(imageToColumns(c.backend, x, info));
    const y = c.run('BatchMatMul', { a: patches, b: c.reshape(filter, [1, kh * kw * ci, co]) }, { transposeA: false, transposeB: false });
    return c.reshape(y, [info.batchSize, info.outHeight, info.outWidth, co]);
  });
};

const swap = kernelSwap(Conv2D, 'wasm', conv2DWasm);

/**
 * Routes the wasm backend's `Conv2D` through the matrix-product path for convolutions with
 * few output positions (NHWC, no dilation), and through wasm's own kernel otherwise.
 * Idempotent; part of `installWasmTrainingKernels()`.
 *
 * @example
 * ```ts
 * ensureWasmFastConv2D();
 * ```
 */
export function ensureWasmFastConv2D(): void {
  swap.install();
}

/**
 * Restores wasm's own `Conv2D` (for comparisons).
 *
 * @example
 * ```ts
 * restoreWasmConv2D();
 * ```
 */
export function restoreWasmConv2D(): void {
  swap.restore();
}
