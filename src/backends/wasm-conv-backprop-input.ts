/**
 * A faster `Conv2DBackpropInput` for the wasm backend.
 *
 * The wasm backend's own kernel is a scalar loop, 2–7× slower than its XNNPACK forward
 * convolution on U-GAT-IT's shapes, and every generator gradient passes through it (the
 * generator step back-propagates through all six networks). The input gradient of a
 * convolution is itself a convolution of dy with the spatially flipped, in/out-transposed
 * kernel. For stride s > 1 it splits into s² phases: the input rows h with
 * (h + padTop) mod s = r only receive the kernel taps r, r + s, …, so each phase is a
 * stride-1 convolution of dy with a sub-kernel, with no multiplications by inserted zeros;
 * the phases are then interleaved. All of it runs on wasm's XNNPACK Conv2D.
 *
 * @module
 */
import { backend_util, Conv2DBackpropInput } from '@tensorflow/tfjs-core';
import type { Conv2DBackpropInputAttrs, KernelBackend, KernelFunc, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import { kernelSwap } from './kernel-swap';
import { flippedSwappedTaps, transposedColumnsToImage } from './wasm-conv-layout';
import { prefersMatMul } from './wasm-conv2d';
import { compose, windowRows, type KernelComposer } from './wasm-training-kernels';

/** Input rows of one phase: offset `o` (first row), count, and its sub-kernel taps. */
interface Phase { offset: number; rows: number; taps: number; firstTap: number; dyStart: number }

function phases(size: number, kernel: number, stride: number, pad: number): Phase[] {
  const out: Phase[] = [];
  for (let o = 0; o < stride; o++) {
    const r = (o + pad) % stride; // first kernel tap that reaches input row o
    const rows = o < size ? Math.ceil((size - o) / stride) : 0;
    const taps = r < kernel ? Math.ceil((kernel - r) / stride) : 0;
    const m0 = (o + pad - r) / stride; // dy row of tap r for input row o
    out.push({ offset: o, rows, taps, firstTap: r, dyStart: m0 - (taps - 1) });
  }
  return out;
}

function phaseConv(
  c: KernelComposer, dy: TensorInfo, filter: TensorInfo, ph: Phase, pw: Phase, stride: [number, number], outRows: number,
  outCols: number, n: number, ci: number,
): TensorInfo {
  if (ph.taps === 0 || pw.taps === 0 || ph.rows === 0 || pw.rows === 0) {
    return c.run('Fill', {}, { shape: [n, outRows, outCols, ci], value: 0, dtype: 'float32' });
  }
  const flipped = c.keep(flippedSwappedTaps(c.backend, filter, ph.firstTap, stride[0], pw.firstTap, stride[1])); // [th, tw, co, ci]
  // Correlation over dy rows [dyStart, dyStart + rows + taps − 1), zero outside dy.
  const win = windowRows(c, dy, -ph.dyStart, -pw.dyStart, ph.rows + ph.taps - 1, pw.rows + pw.taps - 1);
  const out = c.run('Conv2D', { x: win, filter: flipped }, { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1] });
  if (ph.rows === outRows && pw.rows === outCols) return out;
  return c.run('PadV2', { x: out }, {
    paddings: [[0, 0], [0, outRows - ph.rows], [0, outCols - pw.rows], [0, 0]], constantValue: 0,
  });
}

/** `Conv2DBackpropInput` (NHWC) composed of stride-1 XNNPACK convolutions, one per stride phase. */
const conv2DBackpropInputWasm: KernelFunc = (args) => {
  const { inputs, backend, attrs } = args;
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as Conv2DBackpropInputAttrs;
  const channelsLast = backend_util.convertConv2DDataFormat(dataFormat) === 'channelsLast';
  // wasm's own kernel for the layout the fast path does not cover (NCHW).
  if (!channelsLast) return swap.original!.kernelFunc(args);
  const dy = inputs.dy as TensorInfo;
  const filter = inputs.filter as TensorInfo;
  const info = backend_util.computeConv2DInfo(
    inputShape, filter.shape as [number, number, number, number], strides, 1, pad, dimRoundingMode, false, 'channelsLast',
  );
  const [n, h, w, ci] = inputShape;
  const sh = info.strideHeight;
  const sw = info.strideWidth;
  const rowsPh = phases(h, info.filterHeight, sh, info.padInfo.top);
  const colsPh = phases(w, info.filterWidth, sw, info.padInfo.left);
  return compose(backend as KernelBackend, (c) => {
    if (prefersMatMul(info, 4)) {
      // dx = col2im(W · dyᵀ): one product for the deep layers whose few output positions make
      // a convolution's per-call weight packing dominate. dyᵀ, not W, is the operand XNNPACK
      // packs (the small one here), and it is transposed beforehand: wasm's BatchMatMul with
      // transposeB runs 5–10× slower.
      const [kh, kw, , co] = filter.shape;
      const m = info.batchSize * info.outHeight * info.outWidth;
      const dyT = c.transpose(c.reshape(dy, [m, co]), [1, 0]);
      const colsT = c.run('BatchMatMul', { a: c.reshape(filter, [1, kh * kw * ci, co]), b: c.reshape(dyT, [1, co, m]) },
        { transposeA: false, transposeB: false });
      return c.keep(transposedColumnsToImage(c.backend, colsT, info));
    }
    if (sh === 1 && sw === 1) return phaseConv(c, dy, filter, rowsPh[0], colsPh[0], [1, 1], h, w, n, ci);
    const hr = Math.ceil(h / sh);
    const wr = Math.ceil(w / sw);
    // Interleave: out[n, i, a, j, b, :] = phase(a, b)[n, i, j, :] is dx[n, i·sh + a, j·sw + b, :].
    const rowBlocks = rowsPh.map((ph) => {
      const cols = colsPh.map((pw) => c.reshape(phaseConv(c, dy, filter, ph, pw, [sh, sw], hr, wr, n, ci), [n, hr, 1, wr, 1, ci]));
      return cols.length === 1 ? cols[0] : c.run('Concat', cols as unknown as NamedTensorInfoMap, { axis: 4 });
    });
    const all = rowBlocks.length === 1 ? rowBlocks[0] : c.run('Concat', rowBlocks as unknown as NamedTensorInfoMap, { axis: 2 });
    const dx = c.reshape(all, [n, hr * sh, wr * sw, ci]);
    if (hr * sh === h && wr * sw === w) return dx;
    return c.run('Slice', { x: dx }, { begin: [0, 0, 0, 0], size: [n, h, w, ci] });
  });
};

const swap = kernelSwap(Conv2DBackpropInput, 'wasm', conv2DBackpropInputWasm);

/**
 * Makes the wasm backend's `Conv2DBackpropInput` the phase-decomposed XNNPACK version
 * (wasm's own kernel stays in use for NCHW). Idempotent; part of `installWasmTrainingKernels()`.
 *
 * @example
 * ```ts
 * ensureWasmFastConvBackpropInput();
 * ```
 */
export function ensureWasmFastConvBackpropInput(): void {
  swap.install();
}

/**
 * Restores the kernel {@link ensureWasmFastConvBackpropInput} replaced (for comparisons).
 *
 * @example
 * ```ts
 * restoreWasmConvBackpropInput();
 * ```
 */
export function restoreWasmConvBackpropInput(): void {
  swap.restore();
}
