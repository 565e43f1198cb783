/**
 * Exports the generators of a training run's newest checkpoint as shipped weights, with a
 * provenance.json (iteration, training configuration, date, this command).
 *
 *   npx tsx scripts/export-weights.ts --from runs/avatars --name avatars [--float16] [--discriminators] [--average] [--out weights]
 */
import { parseArgs } from 'node:util';
import * as path from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import '../src/layers';
import { exportWeights } from '../src/weights/export';

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    options: {
      from: { type: 'string', default: 'runs/avatars' }, name: { type: 'string', default: 'avatars' },
      out: { type: 'string', default: 'weights' }, float16: { type: 'boolean', default: false }, discriminators: { type: 'boolean', default: false },
      average: { type: 'boolean', default: false },
    },
    strict: true,
  });
  await tf.setBackend('cpu');
  const out = path.join(v.out!, v.name!);
  const command = `npx tsx scripts/export-weights.ts ${process.argv.slice(2).join(' ')}`.trim();
  const r = await exportWeights({ from: v.from!, out, float16: v.float16, discriminators: v.discriminators, average: v.average, command });
  console.log(`exported ${r.checkpoint} (iteration ${r.provenance.iteration}) to ${out}: ` +
    `genA2B ${r.bytes.genA2B} bytes, genB2A ${r.bytes.genB2A} bytes (${r.provenance.dtype})`);
}

main().catch((e: unknown) => {
  console.error(`export-weights: ${(e as Error).message}`);
  process.exitCode = 1;
});
