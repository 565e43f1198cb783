import * as tf from '@tensorflow/tfjs-core';
import { UgatitError } from '../errors';

/** Backends the command line can run on. */
export type CliBackend = 'wasm' | 'cpu' | 'tensorflow';

/**
 * Loads and activates a tfjs backend in Node: `wasm` (SIMD, the fastest without native code),
 * `cpu` (pure JavaScript), or `tensorflow` (tfjs-node or tfjs-node-gpu, when installed).
 */
export async function useCliBackend(name: string): Promise<void> {
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
      return;
    } catch (e) {
      errors.push(`${pkg}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  throw new UgatitError(`backend ${name} is not available (${errors.join('; ')}); install ${packages[name as CliBackend].join(' or ')}`);
}
