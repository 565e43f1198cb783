import * as tf from '@tensorflow/tfjs-core';
import { useWasmThreadsInNode } from '../backends/wasm-threads-node';
import { installWasmTrainingKernels } from '../backends/wasm-training';
import { UGATITConfigError, UGATITError } from '../errors';

/** Backends the command line can run on; `auto` picks the fastest one installed. */
export type CliBackend = 'auto' | 'tensorflow' | 'wasm' | 'cpu';

/** The `--backend` choices, for help texts and errors. */
export const CLI_BACKENDS: readonly CliBackend[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

/**
 * Whether this process started wasm's pthread workers, which keep Node alive: the command
 * line then exits explicitly when its command is done.
 */
export let wasmThreadsStarted = false;

const TENSORFLOW_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];

/** Loads tfjs-node(-gpu) and activates `tensorflow`; throws with each package's reason. */
async function useTensorflow(): Promise<string> {
  const errors: string[] = [];
  // TensorFlow's C++ start-up banner (oneDNN, CPU features) would clutter every command.
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
  for (const pkg of TENSORFLOW_PACKAGES) {
    try {
      await import(pkg);
      if (!(await tf.setBackend('tensorflow'))) throw new Error('setBackend returned false');
      await tf.ready();
      const version = (tf.backend() as unknown as { binding?: { TF_Version?: string } }).binding?.TF_Version;
      return `tensorflow (${pkg}${version ? `, TensorFlow ${version}` : ''})`;
    } catch (e) {
      errors.push(`${pkg}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  throw new UGATITError(`backend tensorflow is not available (${errors.join('; ')}); `
    + 'install @tensorflow/tfjs-node, and where its download fails run: npx ugatit-tf setup-tensorflow');
}

/**
 * Loads and activates a tfjs backend in Node:
 * - `auto` (the default): `tensorflow` when tfjs-node(-gpu) is installed and loads, else `wasm`;
 * - `tensorflow`: the native TensorFlow backend (tfjs-node, or tfjs-node-gpu for CUDA);
 * - `wasm`: SIMD WebAssembly, with {@link installWasmTrainingKernels} in effect for the process;
 *   with `threads` > 1 its threaded build on that many cores;
 * - `cpu`: plain JavaScript.
 *
 * @returns what runs, for messages: the backend, its package or thread count, and for `auto`
 *   why the native backend was not used.
 */
export async function useCliBackend(name: string = 'auto', threads = 1): Promise<string> {
  if (!(Number.isInteger(threads) && threads >= 1 && threads <= 8)) {
    throw new UGATITConfigError(`--threads must be an integer from 1 to 8, received ${threads}`);
  }
  if (!(CLI_BACKENDS as readonly string[]).includes(name)) {
    throw new UGATITError(`unknown backend ${JSON.stringify(name)}: use ${CLI_BACKENDS.join(', ')}`);
  }
  let note = '';
  if (name === 'auto' || name === 'tensorflow') {
    try {
      return await useTensorflow();
    } catch (e) {
      if (name === 'tensorflow') throw e;
      note = ' (auto: the native tensorflow backend is not installed)';
    }
  }
  if (name === 'cpu') {
    await import('@tensorflow/tfjs-backend-cpu');
    if (!(await tf.setBackend('cpu'))) throw new UGATITError('backend cpu could not be initialised');
    return 'cpu';
  }
  await import('@tensorflow/tfjs-backend-wasm');
  let what = 'wasm';
  if (threads > 1) {
    wasmThreadsStarted = true;
    what = `wasm (${await useWasmThreadsInNode(threads)} threads)`;
  } else if (!(await tf.setBackend('wasm'))) {
    throw new UGATITError('backend wasm could not be initialised');
  }
  await tf.ready();
  installWasmTrainingKernels();
  return what + note;
}
