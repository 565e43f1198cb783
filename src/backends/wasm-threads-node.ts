/**
 * The wasm backend's threaded SIMD build in Node.
 *
 * `@tensorflow/tfjs-backend-wasm` 4.22 reports no thread support under Node, and its
 * threaded build starts its pthread workers from blob URLs (the worker script and the main
 * script), which Node's `worker_threads` refuse. Emscripten's glue itself supports Node
 * workers, so this module writes both scripts to a temporary folder, answers the blob URLs
 * with those file paths, and turns the thread-support flag on. XNNPACK then spreads every
 * convolution and matrix product over all cores.
 *
 * Each of these changes lasts only while the backend initialises, and is then undone exactly:
 * `URL.createObjectURL`, `os.cpus`, the `WASM_HAS_MULTITHREAD_SUPPORT` flag, and the
 * temporary folder. That is enough because the threaded build starts its whole pool of eight
 * workers, and waits for each to load its scripts, before the backend is ready; the pool is
 * never grown later (at most 8 threads are used).
 *
 * Node modules are imported dynamically, so that the library's barrel stays loadable in
 * browsers.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { UGATITConfigError, UGATITError } from '../errors';

declare const require: NodeRequire | undefined;

const THREADS_FLAG = 'WASM_HAS_MULTITHREAD_SUPPORT';

/** Writes the threaded build's main and worker scripts into a new temporary folder. */
async function writeScripts(): Promise<{ dir: string; main: string; worker: string }> {
  const { mkdtempSync, readFileSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { createRequire } = await import('node:module');
  // Bundlers may define a `require` shim without `resolve` in ESM output.
  const req = typeof require === 'function' && typeof require.resolve === 'function' ? require : createRequire(import.meta.url);
  const packageFile = (relative: string) => req.resolve(`@tensorflow/tfjs-backend-wasm/${relative}`);
  const dir = mkdtempSync(join(tmpdir(), 'ugatit-wasm-threads-'));
  try {
    const main = join(dir, 'tfjs-backend-wasm-threaded-simd.js');
    const worker = join(dir, 'tfjs-backend-wasm-threaded-simd.worker.js');
    writeFileSync(main, readFileSync(packageFile('wasm-out/tfjs-backend-wasm-threaded-simd.js'), 'utf8'));
    const { wasmWorkerContents } = req(packageFile('wasm-out/tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string };
    // The worker receives the main script as a Blob and imports it through an object URL;
    // answer that URL, inside the worker's own global scope, with the file written above.
    const prelude = `URL.createObjectURL = () => ${JSON.stringify(main)}; URL.revokeObjectURL = () => {};\n`;
    // As tfjs does for its blob: the exported text holds raw newlines inside string literals.
    writeFileSync(worker, prelude + wasmWorkerContents.replace(/\n/g, '\\n'));
    return { dir, main, worker };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Initialises the wasm backend with its threaded SIMD build in Node, so that XNNPACK spreads
 * convolutions and matrix products over `threads` cores, and makes it the active backend.
 * `@tensorflow/tfjs-backend-wasm` must be imported, and the wasm backend not yet initialised.
 *
 * The backend sizes its thread pool to half the logical cores it is told about (it assumes
 * two hardware threads per core) and to at most 8; the core count is reported as
 * 2·`threads` while it initialises, so `threads` is what it gets.
 *
 * Nothing outlives the call: `URL.createObjectURL` (answering the worker's blob URL with a
 * file), `os.cpus` (the count above) and the `WASM_HAS_MULTITHREAD_SUPPORT` flag are changed
 * only while the backend initialises and restored afterwards, success or failure, and the
 * temporary folder holding the worker scripts is removed.
 *
 * @param threads - thread-pool size, 1 to 8. Default: the logical cores of this machine.
 * @returns the threads the backend's pool really has.
 * @example
 * ```ts
 * import '@tensorflow/tfjs-backend-wasm';
 * const threads = await useWasmThreadsInNode(); // 2 on a 2-core machine
 * ```
 */
export async function useWasmThreadsInNode(threads?: number): Promise<number> {
  if (typeof process === 'undefined' || !process.versions?.node) {
    throw new UGATITError('useWasmThreadsInNode: not running in Node');
  }
  const os = (await import('node:os')).default;
  threads ??= os.cpus().length;
  if (!(Number.isInteger(threads) && threads >= 1 && threads <= 8)) {
    throw new UGATITConfigError(`useWasmThreadsInNode: threads must be an integer from 1 to 8, received ${threads}`);
  }
  if (tf.findBackendFactory('wasm') == null) {
    throw new UGATITError('useWasmThreadsInNode: import @tensorflow/tfjs-backend-wasm first');
  }
  if (tf.engine().registry.wasm != null) {
    throw new UGATITError('useWasmThreadsInNode: the wasm backend is already initialised; call this before tf.setBackend(\'wasm\')');
  }
  const { rm } = await import('node:fs/promises');
  const { dir, worker } = await writeScripts();
  const flag = await tf.env().getAsync(THREADS_FLAG);
  const createObjectURL = Object.getOwnPropertyDescriptor(URL, 'createObjectURL')!;
  const cpus = Object.getOwnPropertyDescriptor(os, 'cpus')!;
  const realCpus = os.cpus;
  const reported = Array.from({ length: 2 * threads }, (_, i) => realCpus()[i % realCpus().length]);
  try {
    // The backend asks for a blob URL of its pthread worker script; answer with the file.
    const original = URL.createObjectURL.bind(URL);
    URL.createObjectURL = ((obj: Blob) => (obj instanceof Blob && obj.type === 'application/javascript' ? worker : original(obj))) as typeof URL.createObjectURL;
    os.cpus = () => reported;
    tf.env().set(THREADS_FLAG, true);
    if (!(await tf.setBackend('wasm'))) throw new UGATITError('useWasmThreadsInNode: the wasm backend failed to initialise');
    await tf.ready();
  } finally {
    Object.defineProperty(URL, 'createObjectURL', createObjectURL);
    Object.defineProperty(os, 'cpus', cpus);
    tf.env().set(THREADS_FLAG, flag);
    await rm(dir, { recursive: true, force: true });
  }
  const module = (tf.backend() as unknown as { wasm: { _get_threads_count(): number } }).wasm;
  return module._get_threads_count();
}
