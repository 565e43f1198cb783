// Long fuzzing runs of the src/io readers (the CI-sized run is test/io/fuzz.test.ts).
//   npx tsx scripts/fuzz-long.ts --cases 1000000 --seed 7 [--format "legacy .pt"] [--max-case-ms 2000]
// Exits 1 and prints base64 inputs when a case throws anything but UGATITFormatError or runs too long.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { fuzzTargets, runFuzz } from '../test/io/fuzz-core';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  const cases = Number(arg('cases', '100000'));
  const seed = Number(arg('seed', String(Date.now() % 2 ** 31)));
  const format = arg('format', '');
  const maxCaseMs = Number(arg('max-case-ms', '2000'));
  if (!Number.isSafeInteger(cases) || cases <= 0 || !Number.isSafeInteger(seed)) throw new Error('usage: --cases N --seed S');
  await tf.setBackend('cpu');
  // Counted before the targets are made, so that a leak while building their seed inputs shows too.
  let before = tf.memory().numTensors;
  const all = fuzzTargets();
  const targets = all.filter((t) => !format || t.name === format);
  if (!targets.length) throw new Error(`unknown format ${format}; one of: ${all.map((t) => t.name).join(', ')}`);
  let failed = false;
  for (const [i, target] of targets.entries()) {
    const r = runFuzz(target, cases, seed + i, maxCaseMs);
    const leaked = tf.memory().numTensors - before;
    before += leaked;
    console.log(`${target.name}: ${r.cases} cases (seed ${seed + i}), ${r.accepted} read, ${r.refused} refused, ` +
      `slowest ${r.slowestMs.toFixed(1)} ms, total ${(r.totalMs / 1000).toFixed(1)} s, tensors leaked ${leaked}`);
    for (const f of r.failures.slice(0, 10)) console.log(`  FAIL ${f}`);
    if (r.failures.length || leaked) failed = true;
  }
  process.exit(failed ? 1 : 0);
}

void main();
