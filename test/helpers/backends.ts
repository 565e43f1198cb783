import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe } from 'vitest';
import { installWasmTrainingKernels } from '../../src/backends/wasm-training';
import { findTfjsNodePackage, hasNativeBinding } from '../../src/native/tfjs-node-package';

/** Backends every parity suite runs on. */
export const BACKENDS = ['cpu', 'wasm', 'tensorflow'] as const;
export type BackendName = (typeof BACKENDS)[number];

/**
 * Why the native backend cannot run here, or undefined when it can: what `npm test`'s
 * preparation (scripts/ensure-tensorflow.ts) recorded, else whether a built binding is there.
 */
function tensorflowUnavailable(): string | undefined {
  const status = path.join(path.dirname(new URL(import.meta.url).pathname), '..', '..', '.tmp', 'tensorflow-backend.json');
  if (existsSync(status)) {
    const s = JSON.parse(readFileSync(status, 'utf8')) as { available: boolean; reason?: string };
    if (!s.available) return s.reason;
  }
  try {
    return hasNativeBinding(findTfjsNodePackage('cpu')) ? undefined : 'tfjs-node has no built binding (run: npx tsx src/cli/main.ts setup-tensorflow)';
  } catch (e) {
    return (e as Error).message;
  }
}

const UNAVAILABLE: Partial<Record<BackendName, string>> = { tensorflow: tensorflowUnavailable() };

/** Why `name` cannot run on this machine, or undefined. */
export function backendUnavailable(name: BackendName): string | undefined {
  return UNAVAILABLE[name];
}

/**
 * `describe` once per backend (`%s` in the title is the backend's name). A backend that
 * cannot run here still has its tests collected, reported as skipped, with the reason in the
 * suite's title.
 */
export function describeEachBackend(title: string, body: (backend: BackendName) => void, backends: readonly BackendName[] = BACKENDS): void {
  for (const backend of backends) {
    const name = title.includes('%s') ? title.replace('%s', backend) : `${title} on ${backend}`;
    const reason = UNAVAILABLE[backend];
    if (reason) describe.skip(`${name} [skipped: ${reason.split('\n')[0]}]`, () => body(backend));
    else describe(name, () => body(backend));
  }
}

/**
 * Switches the global engine to `name`, initialising it on first use. On wasm the training
 * kernels are installed (the suites train there), as the command line does.
 */
export async function useBackend(name: BackendName): Promise<void> {
  if (name === 'tensorflow') {
    process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
    // TensorFlow splits reductions by its intra-op thread count, so float32 results, and the
    // golden bounds measured from them, depend on it: one thread put train-step-full's
    // genB2A FC.0.weight 1.7e-5 off at step 1 where two threads (CI's cores) keep it within 1e-5.
    // Two threads everywhere make the suite measure the same arithmetic on any machine.
    process.env.TF_NUM_INTRAOP_THREADS = '2';
    await import('@tensorflow/tfjs-node');
  }
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`could not initialise the ${name} backend`);
  await tf.ready();
  if (name === 'wasm') installWasmTrainingKernels();
}
