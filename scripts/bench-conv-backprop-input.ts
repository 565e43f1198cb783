/**
 * Checks the phase-decomposed wasm `Conv2DBackpropInput` against the cpu backend on many
 * shapes (strides 1–3, odd sizes, 'valid' and 'same'), then times it against wasm's own
 * kernel on U-GAT-IT-sized convolutions.
 *
 *   npx tsx scripts/bench-conv-backprop-input.ts [reps]
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '../src/backends';
import { ensureWasmFastConvBackpropInput, restoreWasmConvBackpropInput } from '../src/backends/wasm-conv-backprop-input';

type Shape4 = [number, number, number, number];
interface Case { x: Shape4; k: number; cout: number; stride: number; pad: 'same' | 'valid' | number }

function backpropInput(dy: tf.Tensor, w: tf.Tensor, c: Case): tf.Tensor {
  return tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w },
    { strides: [c.stride, c.stride], pad: c.pad, dataFormat: 'NHWC', inputShape: c.x } as unknown as tf.NamedAttrMap) as tf.Tensor;
}

async function check(): Promise<void> {
  const cases: Case[] = [];
  for (const stride of [1, 2, 3]) {
    for (const k of [1, 2, 3, 4, 7]) {
      for (const size of [5, 8, 9, 13]) {
        for (const pad of ['valid', 'same', 1] as const) {
          if (size < k) continue;
          cases.push({ x: [2, size, size + 1, 3], k, cout: 4, stride, pad });
        }
      }
    }
  }
  let worst = 0;
  for (const c of cases) {
    const x = tf.randomNormal(c.x);
    const w = tf.randomNormal([c.k, c.k, c.x[3], c.cout]);
    await tf.setBackend('cpu');
    const xc = tf.tensor(x.dataSync(), c.x); const wc = tf.tensor(w.dataSync(), w.shape);
    const y = tf.conv2d(xc as tf.Tensor4D, wc as tf.Tensor4D, c.stride, c.pad);
    const dy = tf.randomNormal(y.shape);
    const expected = backpropInput(dy, wc, c).dataSync();
    const dyData = dy.dataSync();
    tf.dispose([xc, wc, y, dy]);
    await tf.setBackend('wasm');
    const dyw = tf.tensor(dyData, y.shape); const ww = tf.tensor(w.dataSync(), w.shape);
    const got = backpropInput(dyw, ww, c).dataSync();
    let max = 0; let scale = 0;
    for (let i = 0; i < expected.length; i++) { max = Math.max(max, Math.abs(got[i] - expected[i])); scale = Math.max(scale, Math.abs(expected[i])); }
    const rel = max / Math.max(scale, 1e-6);
    worst = Math.max(worst, rel);
    if (!(rel < 1e-5) || got.length !== expected.length) throw new Error(`mismatch ${JSON.stringify(c)}: rel ${rel}`);
    tf.dispose([x, w, dyw, ww]);
  }
  console.log(`${cases.length} shapes match the cpu kernel (worst relative error ${worst.toExponential(2)})`);
}

async function time(fn: () => tf.Tensor, reps: number): Promise<number> {
  const warm = fn(); await warm.data(); warm.dispose();
  const t: number[] = [];
  for (let i = 0; i < reps; i++) { const t0 = performance.now(); const o = fn(); await o.data(); t.push(performance.now() - t0); o.dispose(); }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)]!;
}

async function main(): Promise<void> {
  const reps = Number(process.argv[2] ?? 5);
  await tf.setBackend('wasm'); await tf.ready();
  ensureWasmFastConvBackpropInput();
  await check();
  const cases: Array<Case & { name: string }> = [
    { name: 'res 3x3 64->64 s1, 1x66x66x64', x: [1, 66, 66, 64], k: 3, cout: 64, stride: 1, pad: 'valid' },
    { name: 'down 3x3 32->64 s2, 1x66x66x32', x: [1, 66, 66, 32], k: 3, cout: 64, stride: 2, pad: 'valid' },
    { name: 'stem 7x7 3->16 s1, 1x134x134x3', x: [1, 134, 134, 3], k: 7, cout: 16, stride: 1, pad: 'valid' },
    { name: 'disc 4x4 16->32 s2, 1x66x66x16', x: [1, 66, 66, 16], k: 4, cout: 32, stride: 2, pad: 'valid' },
    { name: 'disc 4x4 64->128 s2, 2x66x66x64', x: [2, 66, 66, 64], k: 4, cout: 128, stride: 2, pad: 'valid' },
  ];
  for (const c of cases) {
    const w = tf.randomNormal([c.k, c.k, c.x[3], c.cout]);
    const y = tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, w as tf.Tensor4D, c.stride, c.pad);
    const dy = tf.randomNormal(y.shape);
    restoreWasmConvBackpropInput();
    const own = await time(() => backpropInput(dy, w, c), reps);
    ensureWasmFastConvBackpropInput();
    const fast = await time(() => backpropInput(dy, w, c), reps);
    console.log(`${c.name.padEnd(36)} wasm own ${own.toFixed(1).padStart(7)} ms   phased ${fast.toFixed(1).padStart(7)} ms   ×${(own / fast).toFixed(1)}`);
    tf.dispose([w, y, dy]);
  }
}

void main();
