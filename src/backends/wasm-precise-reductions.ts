/**
 * Float64-accumulating `Sum` and `Mean` kernels for the wasm backend.
 *
 * The wasm backend's own reductions accumulate in float32, sequentially. Gradients of
 * broadcast operations (a bias, AdaLIN's ρ, γ and β) are such sums over N·H·W terms of
 * both signs, and at U-GAT-IT's sizes they cancel enough that float32 accumulation moves
 * the reference gradients by up to 1% (the cpu backend accumulates in JS doubles and
 * matches the reference). These kernels read the wasm heap, accumulate in float64 and
 * write the rounded result back.
 *
 * @module
 */
import { backend_util, Mean, Sum, util } from '@tensorflow/tfjs-core';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { kernelSwap } from './kernel-swap';
import type { WasmHeapBackend } from './wasm-heap';

/**
 * The common case of {@link reduceSumFloat64}, reduced axes adjacent: `values` viewed as
 * `[outer, reduced, inner]` summed over its middle axis, each output in the same order as the
 * general walk (so bit-identical to it), 2-3.5x faster.
 */
function sumContiguousAxes(values: ArrayLike<number>, outer: number, reduced: number, inner: number): Float64Array {
  const out = new Float64Array(outer * inner);
  if (inner === 1) {
    for (let o = 0, i = 0; o < outer; o++) {
      let acc = 0;
      for (const end = i + reduced; i < end; i++) acc += values[i]!;
      out[o] = acc;
    }
    return out;
  }
  const block = reduced * inner;
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < inner; k++) {
      let acc = 0;
      for (let i = o * block + k, end = (o + 1) * block; i < end; i += inner) acc += values[i]!;
      out[o * inner + k] = acc;
    }
  }
  return out;
}

/** Sums `values` (row-major, `shape`) over `axes` with float64 accumulators. */
export function reduceSumFloat64(values: ArrayLike<number>, shape: readonly number[], axes: readonly number[]): Float64Array {
  const sorted = [...axes].sort((a, b) => a - b);
  if (sorted.length > 0 && sorted.every((a, k) => a === sorted[0]! + k)) {
    const size = (from: number, to: number) => shape.slice(from, to).reduce((p, d) => p * d, 1);
    return sumContiguousAxes(values, size(0, sorted[0]!), size(sorted[0]!, sorted.at(-1)! + 1), size(sorted.at(-1)! + 1, shape.length));
  }
  const rank = shape.length;
  const reduced = new Set(axes);
  const outStrides = new Array<number>(rank).fill(0);
  let stride = 1;
  for (let d = rank - 1; d >= 0; d--) {
    if (!reduced.has(d)) { outStrides[d] = stride; stride *= shape[d]; }
  }
  const out = new Float64Array(stride);
  const n = values.length;
  if (n === 0) return out;
  // Walk the input in row-major order with an odometer, keeping the output index in step.
  const index = new Array<number>(rank).fill(0);
  let o = 0;
  const last = rank - 1;
  const lastSize = rank ? shape[last] : 1;
  const lastStride = rank ? outStrides[last] : 0;
  for (let i = 0; i < n;) {
    for (let j = 0; j < lastSize; j++, i++) { out[o] += values[i]; o += lastStride; }
    o -= lastStride * lastSize;
    for (let d = last - 1; d >= 0; d--) {
      index[d]++;
      o += outStrides[d];
      if (index[d] < shape[d]) break;
      o -= outStrides[d] * shape[d];
      index[d] = 0;
    }
  }
  return out;
}

function makeReduction(mean: boolean): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const x = inputs.x as TensorInfo;
    const { axis, keepDims } = attrs as { axis: number | number[]; keepDims: boolean };
    const wasm = backend as WasmHeapBackend;
    const axes = util.parseAxisParam(axis, x.shape);
    const [outShape, reduceShape] = backend_util.computeOutAndReduceShapes(x.shape, axes);
    const count = util.sizeFromShape(reduceShape);
    const dtype = mean ? 'float32' : x.dtype === 'bool' ? 'int32' : x.dtype;
    const values = wasm.typedArrayFromHeap(x);
    const sums = reduceSumFloat64(values, x.shape, axes);
    const out = wasm.makeOutput(keepDims ? backend_util.expandShapeToKeepDim(outShape, axes) : outShape, dtype);
    const target = wasm.typedArrayFromHeap(out);
    for (let i = 0; i < sums.length; i++) target[i] = mean ? sums[i] / count : sums[i];
    return out;
  };
}

/** Names of the kernels this module replaces on wasm. */
export const WASM_PRECISE_REDUCTION_KERNELS: readonly string[] = [Sum, Mean];

const SWAPS = [kernelSwap(Sum, 'wasm', makeReduction(false)), kernelSwap(Mean, 'wasm', makeReduction(true))];

/**
 * Makes the wasm backend's `Sum` and `Mean` the float64-accumulating kernels, so that
 * training on wasm reproduces the PyTorch reference gradients. Idempotent; part of
 * `installWasmTrainingKernels()`.
 *
 * @example
 * ```ts
 * ensureWasmPreciseReductions();
 * ```
 */
export function ensureWasmPreciseReductions(): void {
  for (const swap of SWAPS) swap.install();
}

/**
 * Puts wasm's own `Sum` and `Mean` back (undoes {@link ensureWasmPreciseReductions}).
 *
 * @example
 * ```ts
 * restoreWasmPreciseReductions();
 * ```
 */
export function restoreWasmPreciseReductions(): void {
  for (const swap of SWAPS) swap.restore();
}

/** Whether the float64 `Sum` and `Mean` are wasm's registered kernels. */
export function wasmPreciseReductionsInstalled(): boolean {
  return SWAPS.every((swap) => swap.installed());
}
