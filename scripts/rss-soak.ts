/**
 * RSS soak of a long CLI folder run: writes N seeded PNGs into a temporary folder, runs
 * `ugatit-tf translate <folder> --heatmap` in this process, and samples the process's RSS
 * (with heap, external memory and tf.memory()) every `--every` images. Prints the series, the
 * least-squares slope after warm-up, and the growth from the 100th image to the last.
 *
 *   npx tsx scripts/rss-soak.ts [--count 300] [--size 96] [--every 25] [--backend wasm]
 *                               [--weights <dir|name>]   (default: a random generator of
 *                               the shipped avatars architecture, so a clean checkout works)
 *                               [--json]   (also print the series and summary as one JSON line)
 */
import fsp from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '../src/backends';
import { translateCommand } from '../src/cli/translate-command';
import { encodePNG } from '../src/data/image-codec';
import { saveLayersModelToDir } from '../src/io/file-handler';
import { createGenerator } from '../src/networks';
import { RNG } from '../src/data/rng';

interface Sample { images: number; rssMB: number; heapMB: number; externalMB: number; numTensors: number }

const mb = (bytes: number) => bytes / 2 ** 20;

function sample(images: number): Sample {
  const m = process.memoryUsage();
  return { images, rssMB: mb(m.rss), heapMB: mb(m.heapUsed), externalMB: mb(m.external), numTensors: tf.memory().numTensors };
}

/** A seeded picture: a gradient background, a disc and noise, so every file decodes to different pixels. */
function picture(side: number, rng: RNG): Uint8Array {
  const data = new Uint8Array(side * side * 3);
  const [cx, cy, r] = [side * rng.next(), side * rng.next(), side * (0.15 + 0.25 * rng.next())];
  const tint = [rng.next() * 255, rng.next() * 255, rng.next() * 255];
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const inDisc = (x - cx) ** 2 + (y - cy) ** 2 < r * r;
      for (let c = 0; c < 3; c++) {
        const base = inDisc ? tint[c]! : ((x + y * (c + 1)) * 255) / (side * 4);
        data[(y * side + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(base + (rng.next() - 0.5) * 24)));
      }
    }
  }
  return encodePNG({ width: side, height: side, channels: 3, data });
}

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    options: {
      count: { type: 'string', default: '300' }, size: { type: 'string', default: '96' }, every: { type: 'string', default: '25' },
      backend: { type: 'string', default: 'wasm' }, weights: { type: 'string' }, json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const [count, size, every] = [Number(v.count), Number(v.size), Number(v.every)];
  for (const [name, n] of Object.entries({ count, size, every })) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, received ${JSON.stringify(v[name as 'count'])}`);
  }
  tf.enableProdMode();
  const work = await fsp.mkdtemp(path.join(os.tmpdir(), 'ugatit-rss-soak-'));
  try {
    const input = path.join(work, 'in');
    const out = path.join(work, 'out');
    await fsp.mkdir(input);
    const rng = new RNG(0);
    for (let i = 0; i < count; i++) await fsp.writeFile(path.join(input, `${String(i).padStart(5, '0')}.png`), picture(size, rng));

    let weights = v.weights;
    if (weights === undefined) {
      await tf.setBackend('cpu');
      weights = path.join(work, 'weights');
      for (const name of ['genA2B', 'genB2A']) {
        const gen = createGenerator({ ngf: 16, nBlocks: 4, imgSize: 96, light: true, name });
        await saveLayersModelToDir(gen, path.join(weights, name));
        gen.dispose();
      }
    }

    // The command writes <name>.png then <name>_heatmap.png per image: sample after each sheet.
    const samples: Sample[] = [];
    let done = 0;
    const writeFile = fsp.writeFile;
    fsp.writeFile = (async (...args: Parameters<typeof writeFile>) => {
      await writeFile(...args);
      if (String(args[0]).endsWith('_heatmap.png') && ++done % every === 0) samples.push(sample(done));
    }) as typeof writeFile;
    syncBuiltinESMExports();
    const started = performance.now();
    try {
      await translateCommand([input, '--out', out, '--heatmap', '--backend', v.backend!, '--weights', weights]);
    } finally {
      fsp.writeFile = writeFile;
      syncBuiltinESMExports();
    }
    const seconds = (performance.now() - started) / 1000;

    console.log(`\nRSS soak: ${count} PNGs of ${size} px, translate --heatmap on ${tf.getBackend()}, weights ${v.weights ?? 'random (avatars architecture)'}, ${seconds.toFixed(1)} s`);
    console.log('images  rss MB  heap MB  external MB  tensors');
    for (const s of samples) {
      console.log(`${String(s.images).padStart(6)}  ${s.rssMB.toFixed(1).padStart(6)}  ${s.heapMB.toFixed(1).padStart(7)}  ${s.externalMB.toFixed(1).padStart(11)}  ${String(s.numTensors).padStart(7)}`);
    }
    // Warm-up (weights, wasm heap growth, first allocations) ends by the 100th image.
    const warm = samples.filter((s) => s.images >= 100);
    const summary = { count, size, backend: tf.getBackend(), seconds, samples, slopeMBPer100: null as number | null, growth: null as number | null };
    if (warm.length >= 2) {
      const first = warm[0]!;
      const last = warm.at(-1)!;
      summary.slopeMBPer100 = slope(warm.map((s) => s.images), warm.map((s) => s.rssMB)) * 100;
      summary.growth = (last.rssMB - first.rssMB) / first.rssMB;
      console.log(`slope from image ${first.images} on: ${summary.slopeMBPer100.toFixed(2)} MB per 100 images; ` +
        `RSS ${first.rssMB.toFixed(1)} MB at image ${first.images} → ${last.rssMB.toFixed(1)} MB at image ${last.images} ` +
        `(${(summary.growth * 100).toFixed(1)} %); tensors ${first.numTensors} → ${last.numTensors}`);
    } else {
      console.log('fewer than two samples from the 100th image on: no slope (use a larger --count)');
    }
    if (v.json) console.log(`RSS_SOAK ${JSON.stringify(summary)}`);
  } finally {
    await fsp.rm(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(`rss-soak: ${(e as Error).message}`);
  process.exitCode = 1;
});
