// Seconds per UGATITTrainer.step at a given size and width, on wasm (default) or cpu:
//   npx tsx scripts/bench-train-step.ts [--backend wasm|cpu] [--size 96] [--ngf 16] [--blocks 4] [--steps 5]
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { useCliBackend } from '../src/cli/backend';
import { createDiscriminator, createGenerator, UGATITTrainer } from '../src';

const { values: v } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' }, size: { type: 'string', default: '96' }, ngf: { type: 'string', default: '16' },
    blocks: { type: 'string', default: '4' }, steps: { type: 'string', default: '5' },
  },
});
await useCliBackend(v.backend!);
const [size, ngf, nBlocks, steps] = [v.size, v.ngf, v.blocks, v.steps].map(Number) as [number, number, number, number];
const gen = (name: string) => createGenerator({ ngf, nBlocks, imgSize: size, light: true, name });
const dis = (name: string, nLayers: number) => createDiscriminator({ ndf: ngf, nLayers, name });
const trainer = new UGATITTrainer({
  genA2B: gen('genA2B'), genB2A: gen('genB2A'), disGA: dis('disGA', 7), disGB: dis('disGB', 7), disLA: dis('disLA', 5), disLB: dis('disLB', 5),
}, { iterations: 1000 });
const a = tf.randomUniform([1, size, size, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
const b = tf.randomUniform([1, size, size, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
await trainer.step(a, b); // warm-up: kernels, weight initialisation
const times: number[] = [];
for (let i = 0; i < steps; i++) {
  const t0 = performance.now();
  await trainer.step(a, b);
  times.push((performance.now() - t0) / 1000);
}
times.sort((x, y) => x - y);
const os = await import('node:os');
console.log(`${v.backend} ${size} px ngf ${ngf} blocks ${nBlocks} light: median ${times[Math.floor(steps / 2)]!.toFixed(2)} s/it, ` +
  `min ${times[0]!.toFixed(2)}, max ${times.at(-1)!.toFixed(2)} (${steps} steps; load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores)`);
