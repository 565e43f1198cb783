/**
 * Backend support: kernels that tfjs backends lack for training.
 *
 * @module
 */
export { installWasmTrainingKernels, wasmTrainingKernelsInstalled } from './wasm-training';
export type { InstalledWasmKernels } from './wasm-training';
export { registerWasmTrainingKernels, WASM_TRAINING_KERNEL_NAMES } from './wasm-training-kernels';
export { ensureWasmPreciseReductions, restoreWasmPreciseReductions, reduceSumFloat64, WASM_PRECISE_REDUCTION_KERNELS } from './wasm-precise-reductions';
export { ensureWasmFastConvBackpropInput, restoreWasmConvBackpropInput } from './wasm-conv-backprop-input';
export { ensureWasmFastConv2D, prefersMatMul, restoreWasmConv2D } from './wasm-conv2d';
export { useWasmThreadsInNode } from './wasm-threads-node';
