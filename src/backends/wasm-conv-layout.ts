/**
 * Data-layout helpers for the wasm convolution kernels, written in JS over the wasm heap.
 *
 * wasm's `Reverse` and `Transpose` index every element generically (a flip of a
 * 4×4×256×512 kernel takes 55 ms, its transpose 20 ms), which made re-laying-out
 * weights cost more than the convolutions of the discriminators' deep, small layers.
 * These copies run at memory speed: contiguous channel runs are moved with `set`.
 *
 * @module
 */
import type { backend_util, KernelBackend, TensorInfo } from '@tensorflow/tfjs-core';
import type { WasmHeapBackend } from './wasm-heap';

/** Allocates a float32 output and returns it with views of it and of `inputs` (taken after the allocation, which may grow the heap). */
function allocate(backend: KernelBackend, shape: number[], inputs: TensorInfo[]): { out: TensorInfo; dst: Float32Array; src: Float32Array[] } {
  const b = backend as WasmHeapBackend;
  const out = b.makeOutput(shape, 'float32');
  return { out, dst: b.typedArrayFromHeap(out) as Float32Array, src: inputs.map((t) => b.typedArrayFromHeap(t) as Float32Array) };
}

/**
 * The sub-kernel of the taps `firstH, firstH + strideH, …` × `firstW, firstW + strideW, …` of
 * `filter` ([kh, kw, ci, co]), spatially flipped and with in/out channels swapped:
 * `[th, tw, co, ci]`, `out[a, b, o, i] = filter[firstH + (th−1−a)·strideH, firstW + (tw−1−b)·strideW, i, o]`.
 * This is the kernel whose stride-1 convolution with dy gives one stride phase of dx.
 */
export function flippedSwappedTaps(
  backend: KernelBackend, filter: TensorInfo, firstH: number, strideH: number, firstW: number, strideW: number,
): TensorInfo {
  const [kh, kw, ci, co] = filter.shape as [number, number, number, number];
  const th = Math.ceil((kh - firstH) / strideH);
  const tw = Math.ceil((kw - firstW) / strideW);
  const { out, dst, src: [w] } = allocate(backend, [th, tw, co, ci], [filter]);
  const block = ci * co;
  for (let a = 0; a < th; a++) {
    for (let b = 0; b < tw; b++) {
      const s = ((firstH + (th - 1 - a) * strideH) * kw + firstW + (tw - 1 - b) * strideW) * block;
      const d = (a * tw + b) * block;
      for (let o = 0; o < co; o++) {
        const row = d + o * ci;
        for (let i = 0; i < ci; i++) dst[row + i] = w![s + i * co + o]!;
      }
    }
  }
  return out;
}

/**
 * Visits every (output position, kernel tap) pair whose window pixel lies inside the input, in
 * output-position order: `position` indexes `n·outH·outW`, `tap` indexes `kh·kw`, `pixel` is
 * the input pixel's NHWC offset divided by the channel count.
 */
function forEachWindowTap(info: backend_util.Conv2DInfo, visit: (position: number, tap: number, pixel: number) => void): void {
  const { batchSize: n, inHeight: h, inWidth: w, outHeight: oh, outWidth: ow } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
  let position = 0;
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < oh; y++) {
      for (let z = 0; z < ow; z++, position++) {
        for (let p = 0; p < kh; p++) {
          const r = y * sh + p - top;
          if (r < 0 || r >= h) continue;
          for (let q = 0; q < kw; q++) {
            const c = z * sw + q - left;
            if (c >= 0 && c < w) visit(position, p * kw + q, (b * h + r) * w + c);
          }
        }
      }
    }
  }
}

/**
 * Image patches of an NHWC input as rows: `[1, n·outH·outW, kh·kw·ci]`, each row the
 * (zero-padded) window of one output position in `[kh, kw, ci]` order, so that the product
 * with the kernel reshaped to `[kh·kw·ci, co]` is the convolution.
 */
export function imageToColumns(backend: KernelBackend, x: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const { batchSize: n, inChannels: ci, outHeight: oh, outWidth: ow, filterHeight: kh, filterWidth: kw } = info;
  const k = kh * kw * ci;
  const { out, dst, src: [xs] } = allocate(backend, [1, n * oh * ow, k], [x]);
  dst.fill(0);
  forEachWindowTap(info, (position, tap, pixel) => {
    dst.set(xs!.subarray(pixel * ci, (pixel + 1) * ci), position * k + tap * ci);
  });
  return out;
}

/**
 * The inverse layout of {@link imageToColumns}, summing overlaps, from the transposed columns
 * `colsT` `[1, kh·kw·ci, n·outH·outW]` to an NHWC `[n, inH, inW, ci]` tensor where every input
 * position receives the sum of the column entries that read it (the input gradient when
 * `colsT` is the kernel times dyᵀ).
 */
export function transposedColumnsToImage(backend: KernelBackend, colsT: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: oh, outWidth: ow } = info;
  const m = n * oh * ow;
  const { out, dst, src: [cs] } = allocate(backend, [n, h, w, ci], [colsT]);
  dst.fill(0);
  forEachWindowTap(info, (position, tap, pixel) => {
    const s = tap * ci * m + position;
    for (let i = 0, d = pixel * ci; i < ci; i++) dst[d + i] += cs![s + i * m]!;
  });
  return out;
}

/**
 * {@link imageToColumns} transposed: `[1, kh·kw·ci, n·outH·outW]`, so that its product with dy
 * reshaped to `[n·outH·outW, co]` is the filter gradient `[kh·kw·ci, co]`, with no transpose of
 * a large operand. Rows are written contiguously; the input is read with the stride of a window step.
 */
export function imageToTransposedColumns(backend: KernelBackend, x: TensorInfo, info: backend_util.Conv2DInfo): TensorInfo {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: oh, outWidth: ow } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
  const m = n * oh * ow;
  const { out, dst, src: [xs] } = allocate(backend, [1, kh * kw * ci, m], [x]);
  dst.fill(0);
  for (let p = 0; p < kh; p++) {
    for (let q = 0; q < kw; q++) {
      // Output columns whose window column q falls inside the input.
      const z0 = Math.max(0, Math.ceil((left - q) / sw));
      const z1 = Math.min(ow, Math.floor((w - 1 - q + left) / sw) + 1);
      for (let i = 0; i < ci; i++) {
        const row = ((p * kw + q) * ci + i) * m;
        for (let b = 0; b < n; b++) {
          for (let y = 0; y < oh; y++) {
            const r = y * sh + p - top;
            if (r < 0 || r >= h) continue;
            const d = row + (b * oh + y) * ow;
            let s = ((b * h + r) * w + z0 * sw + q - left) * ci + i;
            const step = sw * ci;
            for (let z = z0; z < z1; z++, s += step) dst[d + z] = xs![s]!;
          }
        }
      }
    }
  }
  return out;
}
