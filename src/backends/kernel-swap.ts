/**
 * Putting our kernel function in place of a backend's registered kernel, and the backend's own
 * kernel back exactly.
 *
 * A kernel registration is more than its `kernelFunc`: wasm's kernels carry a `setupFunc` that
 * binds their C function when the backend initialises (and some a `disposeFunc`). A swap that
 * registered `kernelFunc` alone would leave the backend's own function, which we still call
 * for the cases our version does not cover, unbound whenever the backend initialises after
 * the swap; a restore that re-registered `kernelFunc` alone would do the same to every later
 * user. So a swap keeps the registration and changes only its function, and a restore
 * re-registers the very configuration that was replaced.
 *
 * @module
 */
import { getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';

/** One kernel of one backend that {@link kernelSwap} can replace and restore. */
export interface KernelSwap {
  /**
   * Registers our function in place of the backend's kernel, keeping the registration's
   * `setupFunc` and `disposeFunc`. Idempotent. Returns false, and changes nothing, when the
   * backend has no such kernel registered (its package is not imported).
   */
  install(): boolean;
  /** Re-registers the configuration {@link KernelSwap.install} replaced, unchanged. A no-op when ours is not installed. */
  restore(): void;
  /** Whether our function is the registered kernel. */
  installed(): boolean;
  /** The backend's own registration that ours replaced (to call for the cases ours leaves to it); undefined before the first install. */
  readonly original: KernelConfig | undefined;
}

/**
 * A swap of `backendName`'s `kernelName` for `kernelFunc`.
 *
 * @example
 * ```ts
 * const swap = kernelSwap('Conv2D', 'wasm', myConv2D);
 * swap.install();   // myConv2D runs, wasm's setup still binds its own Conv2D
 * swap.restore();   // wasm's registration, exactly as it was
 * ```
 */
export function kernelSwap(kernelName: string, backendName: string, kernelFunc: KernelFunc): KernelSwap {
  let original: KernelConfig | undefined;
  return {
    install() {
      const current = getKernel(kernelName, backendName);
      if (!current) return false;
      if (current.kernelFunc === kernelFunc) return true;
      // Importing the backend's package again after a swap re-registers its own kernel: that one is the original now.
      original = current;
      unregisterKernel(kernelName, backendName);
      registerKernel({ ...current, kernelFunc });
      return true;
    },
    restore() {
      const current = getKernel(kernelName, backendName);
      if (current?.kernelFunc !== kernelFunc || !original) return;
      unregisterKernel(kernelName, backendName);
      registerKernel(original);
    },
    installed() {
      return getKernel(kernelName, backendName)?.kernelFunc === kernelFunc;
    },
    get original() {
      return original;
    },
  };
}
