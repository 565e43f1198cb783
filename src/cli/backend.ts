import * as tf from '@tensorflow/tfjs-core';
import { useWasmThreadsInNode } from '../backends/wasm-threads-node';
import { UgatitConfigError, UgatitError } from '../errors';

/** Backends the command line can run on. */
export type CliBackend = 'wasm' | 'cpu' | 'tensorflow';

/**
 * Whether this process started wasm's pthread workers, which keep Node alive: the command
 * line then exits explicitly when its command is done.
 */
export let wasmThreadsStarted = false;

/**
 * Loads and activates a tfjs backend in Node: `wasm` (SIMD, the fastest without native code),
 * `cpu` (pure JavaScript), or `tensorflow` (tfjs-node or tfjs-node-gpu, when installed).
 * With `threads` > 1, wasm runs its threaded build on that many cores.
 *
 * @returns what runs, for messages: the backend's name, and its thread count when threaded.
 */
export async function useCliBackend(name: string, threads = 1): Promise<string> {
  if (!(Number.isInteger(threads) && threads >= 1 && threads <= 8)) {
    throw new UgatitConfigError(`--threads must be an integer from 1 to 8, received ${threads}`);
  }
  if (name === 'wasm' && threads > 1) {
    await import('@tensorflow/tfjs-backend-wasm');
    wasmThreadsStarted = true;
    return `wasm (${await useWasmThreadsInNode(threads)} threads)`;
  }
  const packages: Record<CliBackend, string[]> = {
    wasm: ['@tensorflow/tfjs-backend-wasm'],
    cpu: ['@tensorflow/tfjs-backend-cpu'],
    tensorflow: ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'],
  };
  if (!(name in packages)) throw new UgatitError(`unknown backend ${JSON.stringify(name)}: use wasm, cpu or tensorflow`);
  const errors: string[] = [];
  for (const pkg of packages[name as CliBackend]) {
    try {
      await import(pkg);
      if (!(await tf.setBackend(name))) throw new Error('setBackend returned false');
      await tf.ready();
      return name;
    } catch (e) {
      errors.push(`${pkg}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  throw new UgatitError(`backend ${name} is not available (${errors.join('; ')}); install ${packages[name as CliBackend].join(' or ')}`);
}
