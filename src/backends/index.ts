/**
 * `ugatit-tf/backends`: what this library changes in the tfjs backends, each change explicit and
 * reversible. The wasm backend lacks kernels that training needs (and computes some reductions
 * in float32 where the reference's gradients need float64): {@link installWasmTrainingKernels}
 * installs ours and returns how to restore wasm's own; the trainer refuses to step on wasm
 * without it. {@link useWasmThreadsInNode} gives the wasm backend a thread pool in Node.
 * {@link kernelSwap} is the primitive behind both swaps. On the native `tensorflow` backend the
 * library only adds kernels under names of its own ({@link TENSORFLOW_KERNEL_NAMES}).
 *
 * @example
 * ```ts
 * import '@tensorflow/tfjs-backend-wasm';
 * import { installWasmTrainingKernels } from 'ugatit-tf/backends';
 * const kernels = installWasmTrainingKernels();
 * // … train …
 * kernels.restore();
 * ```
 *
 * @module ugatit-tf/backends
 */
export { installWasmTrainingKernels, wasmTrainingKernelsInstalled } from './wasm-training';
export type { InstalledWasmKernels } from './wasm-training';
export { WASM_TRAINING_KERNEL_NAMES } from './wasm-training-kernels';
export { useWasmThreadsInNode } from './wasm-threads-node';
export { kernelSwap } from './kernel-swap';
export type { KernelSwap } from './kernel-swap';
export { TENSORFLOW_KERNEL_NAMES } from './tensorflow-kernels';
