// A fresh process for test/backends/wasm-threads-node.test.ts (the wasm backend initialises once
// per process): calls useWasmThreadsInNode(threads) and prints, as one JSON line, what it left
// behind in the process and what the threaded backend computes.
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { useWasmThreadsInNode } from '../../src/backends/wasm-threads-node';

const threads = Number(process.argv[2]);
const osModule = (await import('node:os')).default;
const globals = { createObjectURL: URL.createObjectURL, revokeObjectURL: URL.revokeObjectURL, cpus: osModule.cpus };
const flagBefore = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
const tmpBefore = (await import('node:fs')).readdirSync(os.tmpdir());

const conv = () => tf.tidy(() => {
  const x = tf.randomUniform([1, 40, 40, 8], -1, 1, 'float32', 1);
  const f = tf.randomUniform([3, 3, 8, 16], -1, 1, 'float32', 2);
  return Array.from(tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'same').dataSync());
});
await tf.setBackend('cpu');
const expected = conv();
let error: string | null = null;
let got: number[] = [];
let reported = 0;
try {
  reported = await useWasmThreadsInNode(threads);
  got = conv();
} catch (e) {
  error = (e as Error).message;
}
const worst = got.reduce((m, v, i) => Math.max(m, Math.abs(v - expected[i]!)), 0);
console.log(`THREADS ${JSON.stringify({
  error, threads: reported, backend: tf.getBackend(), worst, outputs: got.length,
  createObjectURL: URL.createObjectURL === globals.createObjectURL, revokeObjectURL: URL.revokeObjectURL === globals.revokeObjectURL,
  cpus: osModule.cpus === globals.cpus, cpuCount: os.cpus().length,
  flag: { before: flagBefore, after: await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT') },
  tmpLeft: (await import('node:fs')).readdirSync(os.tmpdir()).filter((f) => !tmpBefore.includes(f)),
})}`);
// wasm's pthread workers keep Node alive.
process.exit(0);
