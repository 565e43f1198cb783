/**
 * Gradient kernels that `@tensorflow/tfjs-backend-wasm` 4.22 does not ship.
 *
 * The wasm backend registers the forward kernels and most `*Grad` kernels,
 * but not `Conv2DBackpropFilter` (so no conv layer can be trained on wasm),
 * nor `DepthwiseConv2dNativeBackpropFilter` / `DepthwiseConv2dNativeBackpropInput`
 * or `UnsortedSegmentSum` (the gradient of `gather`). Each kernel below is
 * composed from kernels the wasm backend does have.
 *
 * Composition is done at the kernel level: the kernel funcs of wasm's own
 * kernels are looked up in the registry (`getKernel(name, 'wasm')`) and called
 * directly with the backend, and every intermediate `TensorInfo` is released
 * with `backend.disposeData`. This is how tfjs backends compose kernels
 * internally. Calling tfjs ops from inside a kernel func would also work, but
 * it creates engine tensors in whatever scope is active (they leak outside a
 * `tidy`) and bypasses nothing we need, so it is avoided.
 *
 * This module does not import `@tensorflow/tfjs-backend-wasm`: kernels are
 * registered by backend name, and the engine picks them up whenever a backend
 * called `'wasm'` is (or later gets) registered.
 *
 * @module
 */
import {
  backend_util,
  Conv2DBackpropFilter,
  DepthwiseConv2dNativeBackpropFilter,
  DepthwiseConv2dNativeBackpropInput,
  getKernel,
  registerKernel,
  UnsortedSegmentSum,
} from '@tensorflow/tfjs-core';
import type {
  Conv2DBackpropFilterAttrs,
  DepthwiseConv2dNativeBackpropFilterAttrs,
  DepthwiseConv2dNativeBackpropInputAttrs,
  KernelBackend,
  KernelConfig,
  KernelFunc,
  NamedAttrMap,
  NamedTensorInfoMap,
  TensorInfo,
  UnsortedSegmentSumAttrs,
} from '@tensorflow/tfjs-core';

import { imageToTransposedColumns } from './wasm-conv-layout';

const WASM = 'wasm';

/**
 * Runs wasm kernels by registry lookup and remembers every output so that the
 * intermediates can be released in one go. `result` hands one output over to
 * the caller (the engine then wraps it in a tensor).
 */
export class KernelComposer {
  private readonly temps: TensorInfo[] = [];

  constructor(readonly backend: KernelBackend) {}

  /** Registers an output made outside {@link KernelComposer.run} (a JS kernel) as an intermediate. */
  keep(info: TensorInfo): TensorInfo {
    this.temps.push(info);
    return info;
  }

  run(name: string, inputs: NamedTensorInfoMap, attrs: NamedAttrMap = {}): TensorInfo {
    const kernel = getKernel(name, WASM);
    if (kernel == null) {
      throw new Error(`ugatit-tf: wasm kernel '${name}' is needed to compose a gradient but is not registered`);
    }
    const out = kernel.kernelFunc({ inputs, attrs, backend: this.backend });
    if (Array.isArray(out)) {
      this.temps.push(...out);
      throw new Error(`ugatit-tf: wasm kernel '${name}' returned several outputs where one was expected`);
    }
    this.temps.push(out);
    return out;
  }

  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }

  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    return this.run('Transpose', { x }, { perm });
  }

  /** Removes `info` from the intermediates, so `dispose` keeps it alive. */
  result(info: TensorInfo): TensorInfo {
    const i = this.temps.lastIndexOf(info);
    if (i >= 0) this.temps.splice(i, 1);
    return info;
  }

  dispose(): void {
    for (const t of this.temps) this.backend.disposeData(t.dataId);
    this.temps.length = 0;
  }
}

/** Runs `body` with a composer, releasing all intermediates even on error. */
export function compose(backend: KernelBackend, body: (c: KernelComposer) => TensorInfo): TensorInfo {
  const c = new KernelComposer(backend);
  try {
    return c.result(body(c));
  } finally {
    c.dispose();
  }
}

/**
 * Crops and zero-pads axes 1 and 2 of a rank-4 tensor so that axis 1 covers
 * input rows `[-padTop, -padTop + needH)` (likewise for columns), i.e. exactly
 * the rows that the forward convolution read, including its zero padding.
 */
export function windowRows(
  c: KernelComposer,
  t: TensorInfo,
  padTop: number,
  padLeft: number,
  needH: number,
  needW: number,
): TensorInfo {
  const [d0, h, w, d3] = t.shape;
  // Input rows actually read: forward windows may start inside the padding
  // (padTop > 0) or, for negative padding, past the first rows, and may stop
  // before the last row.
  const beginH = Math.max(0, -padTop);
  const beginW = Math.max(0, -padLeft);
  const useH = Math.min(h, needH - padTop) - beginH;
  const useW = Math.min(w, needW - padLeft) - beginW;
  if (useH <= 0 || useW <= 0) {
    return c.run('Fill', {}, { shape: [d0, needH, needW, d3], value: 0, dtype: t.dtype });
  }
  let out = t;
  if (useH < h || useW < w) {
    out = c.run('Slice', { x: out }, { begin: [0, beginH, beginW, 0], size: [d0, useH, useW, d3] });
  }
  const before = [Math.max(0, padTop), Math.max(0, padLeft)];
  const after = [needH - before[0] - useH, needW - before[1] - useW];
  if (before[0] > 0 || before[1] > 0 || after[0] > 0 || after[1] > 0) {
    out = c.run(
      'PadV2',
      { x: out },
      {
        paddings: [
          [0, 0],
          [before[0], after[0]],
          [before[1], after[1]],
          [0, 0],
        ],
        constantValue: 0,
      },
    );
  }
  return out;
}

function input(inputs: NamedTensorInfoMap, name: string): TensorInfo {
  const t = inputs[name];
  if (t == null) throw new Error(`ugatit-tf: missing kernel input '${name}'`);
  return t;
}

function zeros(c: KernelComposer, shape: number[]): TensorInfo {
  return c.run('Fill', {}, { shape, value: 0, dtype: 'float32' });
}

/**
 * Whether the filter gradient is faster as patchesᵀ · dy (k·m patch values copied in JS, then
 * one product) than as the batch/channel-swapped convolution. Measured on wasm over the
 * networks' shapes: the product wins by 1.2–5× from 32 output channels up, and below that
 * only while the patch copy is small (a 7×7 head with 3 output channels loses 2.6×).
 */
function filterGradientAsProduct(k: number, m: number, outChannels: number): boolean {
  return outChannels >= 32 || k * m <= 3_000_000;
}

/**
 * `Conv2DBackpropFilter`: dW[kh,kw,ci,co] = Σ_{n,oh,ow} xpad[n, oh·s+kh, ow·s+kw, ci]·dy[n,oh,ow,co].
 *
 * Swapping the roles of batch and channels turns this into one forward
 * convolution: input xᵀ = [ci, H, W, n], filter dyᵀ = [oh, ow, n, co], dilation =
 * the forward stride, stride 1, 'valid' padding (the forward padding is applied
 * explicitly), giving [ci, kh, kw, co], transposed to [kh, kw, ci, co]. The
 * heavy lifting is the wasm backend's XNNPACK Conv2D. For NHWC float32 it is
 * mostly faster as one product, patchesᵀ · dy (see `filterGradientAsProduct`).
 */
const conv2DBackpropFilterWasm: KernelFunc = ({ inputs, backend, attrs }) => {
  const x = input(inputs, 'x');
  const dy = input(inputs, 'dy');
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as Conv2DBackpropFilterAttrs;
  const channelsLast = backend_util.convertConv2DDataFormat(dataFormat) === 'channelsLast';
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    channelsLast ? 'channelsLast' : 'channelsFirst',
  );
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw, outHeight: oh, outWidth: ow } = info;
  return compose(backend as KernelBackend, (c) => {
    const needH = (oh - 1) * sh + kh;
    const needW = (ow - 1) * sw + kw;
    if (needH - info.padInfo.top <= 0 || needW - info.padInfo.left <= 0 || oh <= 0 || ow <= 0) {
      // Every window lies in the padding: the filter gets no gradient.
      return zeros(c, filterShape);
    }
    const m = info.batchSize * oh * ow;
    if (channelsLast && x.dtype === 'float32' && filterGradientAsProduct(kh * kw * info.inChannels, m, info.outChannels)) {
      // dW = patchesᵀ · dy: one matrix product over all output positions.
      const colsT = c.keep(imageToTransposedColumns(c.backend, x, info));
      const dW = c.run('BatchMatMul', { a: colsT, b: c.reshape(dy, [1, m, info.outChannels]) }, { transposeA: false, transposeB: false });
      return c.reshape(dW, filterShape);
    }
    const xT = c.transpose(x, channelsLast ? [3, 1, 2, 0] : [1, 2, 3, 0]); // [ci, H, W, n]
    const xWin = windowRows(c, xT, info.padInfo.top, info.padInfo.left, needH, needW); // [ci, needH, needW, n]
    const dyT = c.transpose(dy, channelsLast ? [1, 2, 0, 3] : [2, 3, 0, 1]); // [oh, ow, n, co]
    const dW = c.run(
      'Conv2D',
      { x: xWin, filter: dyT },
      { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [sh, sw]},
    ); // [ci, kh, kw, co]
    return c.transpose(dW, [1, 2, 0, 3]);
  });
};

function assertNoDilation(kernel: string, dilations: number | [number, number] | undefined): void {
  const d = dilations == null ? [1, 1] : typeof dilations === 'number' ? [dilations, dilations] : dilations;
  if (d[0] !== 1 || d[1] !== 1) {
    throw new Error(`ugatit-tf: the wasm ${kernel} kernel supports dilation 1 only, got ${String(dilations)}`);
  }
}

/**
 * `DepthwiseConv2dNativeBackpropFilter` for filter [kh, kw, C, M].
 *
 * Same trick as for Conv2D, with a depthwise convolution over C·N channels
 * (input xᵀ = [1, H, W, C·N], filter dyᵀ = [oh, ow, C·N, M], dilation = stride),
 * followed by a sum over the batch axis.
 */
const depthwiseBackpropFilterWasm: KernelFunc = ({ inputs, backend, attrs }) => {
  const x = input(inputs, 'x');
  const dy = input(inputs, 'dy');
  const { strides, pad, dimRoundingMode, dilations, filterShape } =
    attrs as unknown as DepthwiseConv2dNativeBackpropFilterAttrs;
  assertNoDilation(DepthwiseConv2dNativeBackpropFilter, dilations);
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    true,
  );
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw, outHeight: oh, outWidth: ow } = info;
  const [n, , , ch] = x.shape;
  const m = filterShape[3];
  return compose(backend as KernelBackend, (c) => {
    const needH = (oh - 1) * sh + kh;
    const needW = (ow - 1) * sw + kw;
    if (needH - info.padInfo.top <= 0 || needW - info.padInfo.left <= 0 || oh <= 0 || ow <= 0) {
      return zeros(c, filterShape);
    }
    const xT = c.transpose(x, [1, 2, 3, 0]); // [H, W, C, n]
    const xR = c.reshape(xT, [1, x.shape[1], x.shape[2], ch * n]);
    const xWin = windowRows(c, xR, info.padInfo.top, info.padInfo.left, needH, needW); // [1, needH, needW, C·n]
    const dy5 = c.reshape(dy, [n, oh, ow, ch, m]);
    const dyT = c.transpose(dy5, [1, 2, 3, 0, 4]); // [oh, ow, C, n, M]
    const dyF = c.reshape(dyT, [oh, ow, ch * n, m]);
    const out = c.run(
      'DepthwiseConv2dNative',
      { x: xWin, filter: dyF },
      { strides: [1, 1], pad: 'valid', dilations: [sh, sw]},
    ); // [1, kh, kw, C·n·M]
    const out5 = c.reshape(out, [kh, kw, ch, n, m]);
    return c.run('Sum', { x: out5 }, { axis: [3], keepDims: false });
  });
};

/**
 * `DepthwiseConv2dNativeBackpropInput` for filter [kh, kw, C, M].
 *
 * dx is the correlation of the zero-upsampled (by the stride) dy with the
 * spatially flipped filter: dy is spread out with reshape + pad, padded so the
 * result has the input's size, convolved depthwise with multiplier 1 over its
 * C·M channels, and summed over M.
 */
const depthwiseBackpropInputWasm: KernelFunc = ({ inputs, backend, attrs }) => {
  const dy = input(inputs, 'dy');
  const filter = input(inputs, 'filter');
  const { strides, pad, dimRoundingMode, dilations, inputShape } =
    attrs as unknown as DepthwiseConv2dNativeBackpropInputAttrs;
  assertNoDilation(DepthwiseConv2dNativeBackpropInput, dilations);
  const info = backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    true,
  );
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw, outHeight: oh, outWidth: ow } = info;
  const [n, h, w, ch] = inputShape;
  const m = filter.shape[3];
  const k = ch * m;
  return compose(backend as KernelBackend, (c) => {
    // Zero-upsample dy: [n, oh, ow, K] -> [n, oh·sh, ow·sw, K] (value at multiples of the stride).
    let up = dy;
    if (sh > 1) {
      const r = c.reshape(up, [n * oh, 1, ow, k]);
      const p = c.run('PadV2', { x: r }, { paddings: [[0, 0], [0, sh - 1], [0, 0], [0, 0]], constantValue: 0 });
      up = c.reshape(p, [n, oh * sh, ow, k]);
    }
    if (sw > 1) {
      const r = c.reshape(up, [n * oh * sh, ow, 1, k]);
      const p = c.run('PadV2', { x: r }, { paddings: [[0, 0], [0, 0], [0, sw - 1], [0, 0]], constantValue: 0 });
      up = c.reshape(p, [n, oh * sh, ow * sw, k]);
    }
    // dx[h] = Σ_j up[h + top - (kh-1) + j] · flip(W)[j]: window rows [-(kh-1-top), … ) of length h+kh-1.
    const upWin = windowRows(c, up, kh - 1 - info.padInfo.top, kw - 1 - info.padInfo.left, h + kh - 1, w + kw - 1);
    const flipped = c.run('Reverse', { x: filter }, { dims: [0, 1] });
    const f = c.reshape(flipped, [kh, kw, k, 1]);
    const out = c.run(
      'DepthwiseConv2dNative',
      { x: upWin, filter: f },
      { strides: [1, 1], pad: 'valid', dilations: [1, 1]},
    ); // [n, h, w, C·M]
    if (m === 1) return out;
    const out5 = c.reshape(out, [n, h, w, ch, m]);
    return c.run('Sum', { x: out5 }, { axis: [4], keepDims: false });
  });
};

/**
 * `UnsortedSegmentSum` (used by the gradient of `gather`): out[s] = Σ_{i: ids[i]=s} x[i],
 * computed as oneHot(ids)ᵀ · x with BatchMatMul. Out-of-range ids get an
 * all-zero one-hot row and so are dropped, as on the cpu backend.
 */
const unsortedSegmentSumWasm: KernelFunc = ({ inputs, backend, attrs }) => {
  const x = input(inputs, 'x');
  const segmentIds = input(inputs, 'segmentIds');
  const { numSegments } = attrs as unknown as UnsortedSegmentSumAttrs;
  const rows = segmentIds.shape.reduce((a, b) => a * b, 1);
  const size = x.shape.reduce((a, b) => a * b, 1);
  const rest = rows === 0 ? 0 : size / rows;
  const outShape = [numSegments, ...x.shape.slice(segmentIds.shape.length)];
  return compose(backend as KernelBackend, (c) => {
    if (rows === 0 || rest === 0) return c.run('Fill', {}, { shape: outShape, value: 0, dtype: x.dtype });
    const ids = segmentIds.dtype === 'int32' ? segmentIds : c.run('Cast', { x: segmentIds }, { dtype: 'int32' });
    const ids1 = c.reshape(ids, [rows]);
    // wasm's OneHot writes int32 whatever `dtype` says, so ask for int32 and cast.
    const hotInt = c.run('OneHot', { indices: ids1 }, { depth: numSegments, onValue: 1, offValue: 0, dtype: 'int32' });
    const hot = c.run('Cast', { x: hotInt }, { dtype: 'float32' });
    const xf = x.dtype === 'float32' ? x : c.run('Cast', { x }, { dtype: 'float32' });
    const x3 = c.reshape(xf, [1, rows, rest]);
    const hot3 = c.reshape(hot, [1, rows, numSegments]);
    const prod = c.run('BatchMatMul', { a: hot3, b: x3 }, { transposeA: true, transposeB: false }); // [1, S, rest]
    const out = c.reshape(prod, outShape);
    return x.dtype === 'float32' ? out : c.run('Cast', { x: out }, { dtype: x.dtype });
  });
};

/** The kernels this module adds, keyed by kernel name. */
const KERNELS: readonly KernelConfig[] = [
  { kernelName: Conv2DBackpropFilter, backendName: WASM, kernelFunc: conv2DBackpropFilterWasm },
  { kernelName: DepthwiseConv2dNativeBackpropFilter, backendName: WASM, kernelFunc: depthwiseBackpropFilterWasm },
  { kernelName: DepthwiseConv2dNativeBackpropInput, backendName: WASM, kernelFunc: depthwiseBackpropInputWasm },
  { kernelName: UnsortedSegmentSum, backendName: WASM, kernelFunc: unsortedSegmentSumWasm },
];

/** Names of the gradient kernels {@link installWasmTrainingKernels} adds to the `'wasm'` backend, which lacks them. */
export const WASM_TRAINING_KERNEL_NAMES: readonly string[] = KERNELS.map((k) => k.kernelName);

/**
 * Registers, for the tfjs `'wasm'` backend, the gradient kernels that
 * `@tensorflow/tfjs-backend-wasm` 4.22 lacks (`Conv2DBackpropFilter`,
 * `DepthwiseConv2dNativeBackpropFilter`, `DepthwiseConv2dNativeBackpropInput`,
 * `UnsortedSegmentSum`), composed from kernels it has. Part of
 * {@link installWasmTrainingKernels}, which most callers want instead.
 *
 * Idempotent, and a kernel the registry already holds for `'wasm'` (e.g. from
 * a newer wasm backend) is left alone.
 *
 * @returns the names of the kernels it registered (to unregister them again).
 */
export function registerWasmTrainingKernels(): string[] {
  const added: string[] = [];
  for (const config of KERNELS) {
    if (getKernel(config.kernelName, WASM) == null) {
      registerKernel(config);
      added.push(config.kernelName);
    }
  }
  return added;
}
