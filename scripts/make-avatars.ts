/**
 * Renders the open avatar dataset (A = DiceBear avataaars, B = DiceBear adventurer).
 *
 *   npx tsx scripts/make-avatars.ts --out data/avatars --count 1000 --test-count 100 --size 128 [--seed 0]
 *
 * Writes <out>/{trainA,trainB,testA,testB}/NNNNN.png, <out>/LICENSE.md and <out>/manifest.json.
 */
import { parseArgs } from 'node:util';
import { renderAvatarDataset } from '../src/datasets/avatars';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: 'data/avatars' },
      count: { type: 'string', default: '1000' },
      'test-count': { type: 'string' },
      size: { type: 'string', default: '128' },
      seed: { type: 'string', default: '0' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(
      'usage: npx tsx scripts/make-avatars.ts --out data/avatars --count 1000 [--test-count 100] [--size 128] [--seed 0]',
    );
    return;
  }
  const int = (name: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n)) throw new Error(`--${name} must be an integer, got '${v}'`);
    return n;
  };
  const started = Date.now();
  let lastLog = 0;
  const result = await renderAvatarDataset({
    out: values.out!,
    count: int('count', values.count)!,
    testCount: int('test-count', values['test-count']),
    size: int('size', values.size)!,
    seed: values.seed!,
    onProgress: (p) => {
      const now = Date.now();
      if (p.done === p.total || now - lastLog > 1000) {
        lastLog = now;
        process.stdout.write(`\r${p.split} ${p.done}/${p.total}`);
      }
    },
  });
  process.stdout.write('\n');
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `wrote ${JSON.stringify(result.counts)} at ${result.size}px into ${result.out} in ${secs}s; ` +
      `see ${result.licensePath}`,
  );
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
