import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfie2animeVariables } from '../helpers/tf-fixtures';
import { writeTfCheckpoint, type BundleTensor } from '../helpers/tf-checkpoint-writer';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
// The released checkpoint's variables at a quarter of its width: the full generators' MLP kernel
// is (256/4)²·4·16 × 64 = 2²⁴ floats, each generator 72 MB, the data file with its Adam slots
// 0.5 GB. scripts/bench-tf-convert.ts measures the released widths (8 GB).
const CH = 16;

function scaled(shape: number[], name: string): number[] {
  if (/MLP\/linear_0\/dense\/kernel/.test(name)) return [(256 / 4) ** 2 * 4 * CH, 4 * CH];
  // Every channel count of the released model is a multiple of 64 (or 1, 3 for logits and images).
  return shape.map((d) => (d >= 64 && d % 64 === 0 ? (d / 64) * CH : d));
}

let dir = '';
let dataBytes = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ugatit-tf-rss-'));
  const tensors: BundleTensor[] = selfie2animeVariables.variables.map((v, i) => {
    const shape = scaled(v.shape, v.name);
    const n = shape.reduce((a, b) => a * b, 1);
    if (/\/Adam(_1)?$/.test(v.name) || n > 2 ** 18) return { name: v.name, shape };
    return { name: v.name, shape, values: Float32Array.from({ length: n }, (_, k) => (/\/rho$/.test(v.name) ? 1 : Math.sin(i + k) / 8)) };
  });
  const prefix = await writeTfCheckpoint(join(dir, 'checkpoint', selfie2animeVariables.model_dir), 'UGATIT.model-1000000', tensors);
  dataBytes = (await stat(`${prefix}.data-00000-of-00001`)).size;
  await writeFile(join(dir, 'max-rss.mjs'), "process.on('exit', () => process.stderr.write(`MAXRSS ${process.resourceUsage().maxRSS}\\n`));\n");
}, 120_000);
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

async function peakRssMB(...args: string[]): Promise<{ mb: number; stdout: string }> {
  const { stdout, stderr } = await promisify(execFile)(process.execPath,
    ['--import', pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href, '--import', pathToFileURL(join(dir, 'max-rss.mjs')).href, join(ROOT, 'src/cli/main.ts'), ...args], { cwd: dir, maxBuffer: 1 << 24, timeout: 240_000 });
  return { mb: Number(/MAXRSS (\d+)/.exec(stderr)![1]) / 1024, stdout };
}

describe('memory: converting a TensorFlow checkpoint streams it', () => {
  it('convert --generators-only of the released variables (quarter width) peaks at about one generator above the bare CLI, not at the data file', async () => {
    const bare = await peakRssMB('convert', '--help');
    const run = await peakRssMB('convert', join('checkpoint', selfie2animeVariables.model_dir), '--out', 'weights', '--generators-only');
    expect(run.stdout).toMatch(/full, ch 16, n_res 4, n_dis 6, 256 px, smoothing/);
    const generatorMB = (Number(/genA2B +([\d,]+) parameters/.exec(run.stdout)![1]!.replace(/,/g, '')) * 4) / 2 ** 20;
    const dataMB = dataBytes / 2 ** 20;
    const above = run.mb - bare.mb;
    console.log(`bare CLI ${bare.mb.toFixed(0)} MB, convert ${run.mb.toFixed(0)} MB (+${above.toFixed(0)} MB); one generator ${generatorMB.toFixed(0)} MB, data file ${dataMB.toFixed(0)} MB`);
    // The model being loaded, the largest tensor being read, and one network's garbage awaiting GC.
    expect(above).toBeLessThan(3 * generatorMB);
    expect(above).toBeLessThan(dataMB / 2);
  }, 300_000);
});
