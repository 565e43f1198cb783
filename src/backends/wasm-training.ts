import { getKernel, Sum, unregisterKernel } from '@tensorflow/tfjs-core';
import { ensureWasmFastConvBackpropInput, restoreWasmConvBackpropInput } from './wasm-conv-backprop-input';
import { ensureWasmFastConv2D, restoreWasmConv2D } from './wasm-conv2d';
import { ensureWasmPreciseReductions, restoreWasmPreciseReductions, wasmPreciseReductionsInstalled } from './wasm-precise-reductions';
import { registerWasmTrainingKernels } from './wasm-training-kernels';

/** What {@link installWasmTrainingKernels} changed, and how to undo it. */
export interface InstalledWasmKernels {
  /** Kernels registered because wasm had none (e.g. `Conv2DBackpropFilter`). */
  readonly added: readonly string[];
  /** Puts the wasm backend's registry back exactly as it was before the install. */
  restore(): void;
}

/**
 * Prepares the tfjs `'wasm'` backend for training, in the process's global kernel registry:
 * - registers the gradient kernels wasm lacks (`Conv2DBackpropFilter` and the depthwise ones);
 * - makes `Sum` and `Mean` accumulate in float64, as the reference's gradients need;
 * - routes `Conv2D` and `Conv2DBackpropInput` shapes that XNNPACK handles slowly through faster
 *   paths (the same results to float32 rounding).
 *
 * Every other user of wasm in the process sees these kernels until `restore()`. Call it once,
 * after `@tensorflow/tfjs-backend-wasm` is imported (importing it again re-registers its own
 * kernels). {@link ugatit-tf!UGATITTrainer} refuses to step on wasm without it; the command line calls it.
 * Idempotent; the other backends are untouched.
 *
 * @example
 * ```ts
 * import '@tensorflow/tfjs-backend-wasm';
 * import { installWasmTrainingKernels } from 'ugatit-tf/backends';
 * await tf.setBackend('wasm');
 * const kernels = installWasmTrainingKernels();
 * // … train …
 * kernels.restore();
 * ```
 */
export function installWasmTrainingKernels(): InstalledWasmKernels {
  const added = registerWasmTrainingKernels();
  ensureWasmPreciseReductions();
  ensureWasmFastConvBackpropInput();
  ensureWasmFastConv2D();
  return {
    added,
    restore() {
      restoreWasmConv2D();
      restoreWasmConvBackpropInput();
      restoreWasmPreciseReductions();
      for (const name of added) unregisterKernel(name, 'wasm');
    },
  };
}

/** Whether {@link installWasmTrainingKernels} is in effect (the wasm registry has its kernels). */
export function wasmTrainingKernelsInstalled(): boolean {
  return getKernel('Conv2DBackpropFilter', 'wasm') != null && getKernel(Sum, 'wasm') != null && wasmPreciseReductionsInstalled();
}
