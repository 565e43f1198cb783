/**
 * Time per kernel of one generator inference (default: light, ngf 64, 4 blocks, 256²).
 *
 *   npx tsx scripts/profile-inference.ts [tensorflow|wasm|cpu] [size] [ngf]
 */
import * as tf from '@tensorflow/tfjs-core';
import { useCliBackend } from '../src/cli/backend';
import { createGenerator } from '../src';

async function main(): Promise<void> {
  const [backend = 'wasm', size = '256', ngf = '64'] = process.argv.slice(2);
  await useCliBackend(backend);
  const model = createGenerator({ ngf: Number(ngf), nBlocks: 4, imgSize: Number(size), light: true });
  const x = tf.randomUniform([1, Number(size), Number(size), 3], -1, 1);
  tf.dispose(model.predict(x) as tf.Tensor[]);
  const info = await tf.profile(() => model.predict(x) as tf.Tensor[]);
  const by = new Map<string, { ms: number; n: number }>();
  for (const k of info.kernels) {
    const e = by.get(k.name) ?? { ms: 0, n: 0 };
    e.ms += k.kernelTimeMs as number; e.n++;
    by.set(k.name, e);
  }
  const total = [...by.values()].reduce((a, b) => a + b.ms, 0);
  for (const [name, e] of [...by].sort((a, b) => b[1].ms - a[1].ms)) {
    console.log(`${name.padEnd(24)} ${e.ms.toFixed(1).padStart(8)} ms ${String(e.n).padStart(5)} calls ${(100 * e.ms / total).toFixed(1).padStart(5)}%`);
  }
  console.log(`total ${total.toFixed(0)} ms in ${info.kernels.length} kernels; ${tf.memory().numTensors} tensors alive`);
}

void main();
