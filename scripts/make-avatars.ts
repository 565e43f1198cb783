/**
 * Renders the open avatar dataset (A = DiceBear avataaars, B = DiceBear adventurer).
 *
 *   npx tsx scripts/make-avatars.ts --out data/avatars --count 1000 --test-count 100 --size 128 [--seed 0]
 *     [--style-b adventurer|lorelei] [--preview docs/images/avatars-preview.png]
 *
 * --style-b lorelei renders another domain B (line art, CC0) for the fine-tuning example:
 *   npx tsx scripts/make-avatars.ts --out data/avatars-b2 --count 300 --test-count 50 --style-b lorelei
 *
 * Writes <out>/{trainA,trainB,testA,testB}/NNNNN.png, <out>/LICENSE.md and <out>/manifest.json.
 * With --preview, also writes a grid of the first 8 test images: row 1 domain A, row 2 domain B.
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { PNG } from 'pngjs';
import { AVATAR_STYLES_B, avatarFileName, renderAvatarDataset, type AvatarStyleB } from '../src/datasets/avatars';

/** Tiles the first `columns` images of testA (top row) and testB (bottom row) into one PNG. */
async function writePreview(out: string, file: string, size: number, columns: number): Promise<void> {
  const grid = new PNG({ width: size * columns, height: size * 2 });
  for (const [row, split] of [[0, 'testA'], [1, 'testB']] as const) {
    for (let i = 0; i < columns; i++) {
      const tile = PNG.sync.read(await readFile(join(out, split, avatarFileName(i))));
      PNG.bitblt(tile, grid, 0, 0, size, size, i * size, row * size);
    }
  }
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, PNG.sync.write(grid, { colorType: 2, deflateLevel: 9 }));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: 'data/avatars' },
      count: { type: 'string', default: '1000' },
      'test-count': { type: 'string' },
      size: { type: 'string', default: '128' },
      seed: { type: 'string', default: '0' },
      'style-b': { type: 'string', default: 'adventurer' },
      preview: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(
      'usage: npx tsx scripts/make-avatars.ts --out data/avatars --count 1000 [--test-count 100] [--size 128] [--seed 0]' +
        ` [--style-b ${Object.keys(AVATAR_STYLES_B).join('|')}] [--preview grid.png]`,
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
    styleB: values['style-b'] as AvatarStyleB,
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
  if (values.preview) {
    const columns = Math.min(8, result.counts.testA, result.counts.testB);
    await writePreview(result.out, values.preview, result.size, columns);
    console.log(`preview (${columns}x2, top A, bottom B): ${values.preview}`);
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
