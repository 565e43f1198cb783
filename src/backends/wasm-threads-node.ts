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
 * Node modules are imported dynamically, so that the library's barrel stays loadable in
 * browsers.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { UgatitConfigError, UgatitError } from '../errors';

declare const require: NodeRequire | undefined;

let files: { main: string; worker: string } | undefined;

async function writeScripts(): Promise<{ main: string; worker: string }> {
  if (files) return files;
  const { mkdtempSync, readFileSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { createRequire } = await import('node:module');
  // Bundlers may define a `require` shim without `resolve` in ESM output.
  const req = typeof require === 'function' && typeof require.resolve === 'function' ? require : createRequire(import.meta.url);
  const packageFile = (relative: string) => req.resolve(`@tensorflow/tfjs-backend-wasm/${relative}`);
  const dir = mkdtempSync(join(tmpdir(), 'ugatit-wasm-threads-'));
  const main = join(dir, 'tfjs-backend-wasm-threaded-simd.js');
  const worker = join(dir, 'tfjs-backend-wasm-threaded-simd.worker.js');
  writeFileSync(main, readFileSync(packageFile('wasm-out/tfjs-backend-wasm-threaded-simd.js'), 'utf8'));
  const { wasmWorkerContents } = req(packageFile('wasm-out/tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string };
  // The worker receives the main script as a Blob and imports it through an object URL;
  // answer that URL with the file written above.
  const prelude = `URL.createObjectURL = () => ${JSON.stringify(main)}; URL.revokeObjectURL = () => {};\n`;
  // As tfjs does for its blob: the exported text holds raw newlines inside string literals.
  writeFileSync(worker, prelude + wasmWorkerContents.replace(/\n/g, '\\n'));
  files = { main, worker };
  return files;
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
    throw new UgatitError('useWasmThreadsInNode: not running in Node');
  }
  const os = (await import('node:os')).default;
  threads ??= os.cpus().length;
  if (!(Number.isInteger(threads) && threads >= 1 && threads <= 8)) {
    throw new UgatitConfigError(`useWasmThreadsInNode: threads must be an integer from 1 to 8, received ${threads}`);
  }
  if (tf.findBackendFactory('wasm') == null) {
    throw new UgatitError('useWasmThreadsInNode: import @tensorflow/tfjs-backend-wasm first');
  }
  if (tf.engine().registry.wasm != null) {
    throw new UgatitError('useWasmThreadsInNode: the wasm backend is already initialised; call this before tf.setBackend(\'wasm\')');
  }
  const { worker } = await writeScripts();
  const original = URL.createObjectURL.bind(URL);
  if (!(URL.createObjectURL as { ugatitThreads?: boolean }).ugatitThreads) {
    // The backend asks for a blob URL of its pthread worker script; answer with the file.
    const patched = (obj: Blob) => (obj instanceof Blob && obj.type === 'application/javascript' ? worker : original(obj));
    (patched as { ugatitThreads?: boolean }).ugatitThreads = true;
    URL.createObjectURL = patched as typeof URL.createObjectURL;
  }
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  const realCpus = os.cpus;
  const reported = Array.from({ length: 2 * threads }, (_, i) => realCpus()[i % realCpus().length]);
  os.cpus = () => reported;
  try {
    if (!(await tf.setBackend('wasm'))) throw new UgatitError('useWasmThreadsInNode: the wasm backend failed to initialise');
    await tf.ready();
  } finally {
    os.cpus = realCpus;
  }
  const module = (tf.backend() as unknown as { wasm: { _get_threads_count(): number } }).wasm;
  return module._get_threads_count();
}
