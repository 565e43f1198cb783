/**
 * Times the composed wasm `Conv2DBackpropFilter` against the cpu backend's
 * kernel (and, for scale, wasm's own Conv2D / Conv2DBackpropInput on the same
 * shapes).
 *
 *   npx tsx scripts/bench-wasm-kernels.ts [reps] [--cpu-all]
 *
 * The cpu kernel is a plain JS loop that needs tens of seconds per call on
 * these shapes, so it is timed once (no warm-up) and, unless `--cpu-all` is
 * given, only on the first case.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '../src/backends';

interface Case {
  name: string;
  x: [number, number, number, number];
  k: number;
  cout: number;
  stride: number;
  pad: 'same' | 'valid';
}

const CASES: Case[] = [
  { name: 'res-block 3x3 64->64 s1 same, x 1x64x64x64', x: [1, 64, 64, 64], k: 3, cout: 64, stride: 1, pad: 'same' },
  { name: 'down 3x3 64->128 s2 valid, x 1x130x130x64', x: [1, 130, 130, 64], k: 3, cout: 128, stride: 2, pad: 'valid' },
  { name: 'stem 7x7 3->64 s1 valid, x 1x134x134x3', x: [1, 134, 134, 3], k: 7, cout: 64, stride: 1, pad: 'valid' },
  { name: 'disc 4x4 64->128 s2 valid, x 2x66x66x64', x: [2, 66, 66, 64], k: 4, cout: 128, stride: 2, pad: 'valid' },
];

async function time(fn: () => tf.Tensor, reps: number, warmUp = true): Promise<number> {
  if (warmUp) {
    const warm = fn();
    await warm.data();
    warm.dispose();
  }
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const out = fn();
    await out.data();
    times.push(performance.now() - t0);
    out.dispose();
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!; // median
}

async function main(): Promise<void> {
  const reps = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 5);
  const cpuAll = process.argv.includes('--cpu-all');
  const rows: string[] = [];
  for (const c of CASES) {
    const filterShape: [number, number, number, number] = [c.k, c.k, c.x[3], c.cout];
    const attrs = { strides: [c.stride, c.stride], pad: c.pad, dataFormat: 'NHWC', filterShape } as unknown as tf.NamedAttrMap;
    const result: Record<string, number> = {};
    const backends = cpuAll || c === CASES[0] ? ['wasm', 'cpu'] : ['wasm'];
    for (const backend of backends) {
      await tf.setBackend(backend);
      await tf.ready();
      const x = tf.randomNormal(c.x);
      const w = tf.randomNormal(filterShape);
      const y = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.stride, c.pad);
      const dy = tf.randomNormal(y.shape);
      result[`${backend} BackpropFilter`] = await time(
        () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs) as tf.Tensor,
        backend === 'cpu' ? 1 : reps,
        backend !== 'cpu',
      );
      if (backend === 'wasm') {
        result['wasm Conv2D (fwd)'] = await time(() => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.stride, c.pad), reps);
        result['wasm BackpropInput'] = await time(
          () =>
            tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, {
              ...attrs,
              inputShape: c.x,
            } as unknown as tf.NamedAttrMap) as tf.Tensor,
          reps,
        );
      }
      tf.dispose([x, w, y, dy]);
    }
    const macs = filterShape.reduce((a, b) => a * b, 1) * (tf.util.sizeFromShape(c.x) / c.x[3]) / (c.stride * c.stride);
    rows.push(
      `${c.name} (~${(macs / 1e6).toFixed(0)}M MAC)\n` +
        Object.entries(result)
          .map(([k, v]) => `  ${k.padEnd(22)} ${v.toFixed(1).padStart(8)} ms`)
          .join('\n') +
        (result['cpu BackpropFilter'] == null
          ? ''
          : `\n  speed-up vs cpu        ${(result['cpu BackpropFilter'] / result['wasm BackpropFilter']!).toFixed(0).padStart(8)} x`),
    );
    console.log(rows[rows.length - 1]);
  }
  console.log(`tfjs ${tf.version_core}, node ${process.version}, wasm: median of ${reps} after one warm-up; cpu: one cold call`);
}

void main();
