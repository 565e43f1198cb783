/**
 * The two `BackendWasm` methods that JS kernels use to read and write the wasm heap, typed
 * here so that `@tensorflow/tfjs-backend-wasm` need not be imported.
 *
 * @module
 */
import type { DataType, KernelBackend, TensorInfo } from '@tensorflow/tfjs-core';

/** A wasm backend seen by a JS kernel. */
export interface WasmHeapBackend extends KernelBackend {
  /** Allocates an output tensor on the heap (not zeroed). */
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  /** A view of a tensor's heap memory; invalid once the heap grows (after a later `makeOutput`). */
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
}
