/**
 * Kernels of one UGATITTrainer.step (128², ngf/ndf 16, light, 4 blocks; the bench's train128):
 * count and time per kernel name, from tf.profile, after two warm-up steps.
 *
 *   npx tsx scripts/profile-train-step.ts [tensorflow|wasm|cpu]
 */
import * as tf from '@tensorflow/tfjs-core';
import { useCliBackend } from '../src/cli/backend';
import { createDiscriminator, createGenerator, disposeNetworks, UGATITTrainer } from '../src';

await useCliBackend(process.argv[2] ?? 'tensorflow');
const size = 128, ngf = 16;
const gen = (name: string) => createGenerator({ ngf, nBlocks: 4, imgSize: size, light: true, name });
const dis = (name: string, nLayers: number) => createDiscriminator({ ndf: ngf, nLayers, name });
const networks = { genA2B: gen('genA2B'), genB2A: gen('genB2A'), disGA: dis('disGA', 7), disGB: dis('disGB', 7), disLA: dis('disLA', 5), disLB: dis('disLB', 5) };
const trainer = new UGATITTrainer(networks, { iterations: 1000 });
const a = tf.randomUniform([1, size, size, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
const b = tf.randomUniform([1, size, size, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
await trainer.step(a, b);
await trainer.step(a, b);
const t0 = performance.now();
const info = await tf.profile(async () => { await trainer.step(a, b); });
const wall = performance.now() - t0;
const by = new Map<string, { n: number; ms: number }>();
for (const k of info.kernels) {
  const e = by.get(k.name) ?? { n: 0, ms: 0 };
  e.n++;
  e.ms += Number(k.kernelTimeMs) || 0;
  by.set(k.name, e);
}
const rows = [...by].sort((x, y) => y[1].ms - x[1].ms);
const total = rows.reduce((s, r) => s + r[1].ms, 0);
console.log(`${info.kernels.length} kernels, ${total.toFixed(0)} ms of kernel time, ${wall.toFixed(0)} ms wall (profiled)`);
for (const [name, e] of rows.slice(0, 30)) {
  console.log(`${name.padEnd(28)} ${String(e.n).padStart(6)} calls ${e.ms.toFixed(1).padStart(9)} ms ${(100 * e.ms / total).toFixed(1).padStart(5)}%`);
}
tf.dispose([a, b]);
trainer.dispose();
disposeNetworks(networks);
