/**
 * Peak memory and time of converting the released selfie2anime TensorFlow checkpoint, and of
 * translating one 256² image with the converted full generator, measured on a synthetic
 * checkpoint with the same 776 variables and shapes (`selfie2anime-variables.json`) written by
 * `test/helpers/tf-checkpoint-writer.ts`. Tensors above 2²⁰ elements (the big kernels and every
 * Adam slot) are left as holes of a sparse data file: 8 GB on paper, ~0.1 GB of disk. Each
 * step runs the built command line (`dist/cli.js`) in a child process that reports its own
 * peak RSS (`process.resourceUsage().maxRSS`).
 *
 *   npm run build && npx tsx scripts/bench-tf-convert.ts [--dir /tmp/x] [--backends wasm,tensorflow] [--float16] [--all]
 *
 * `--all` converts the discriminators too; `--backends` lists the translate backends (the
 * `tensorflow` one needs @tensorflow/tfjs-node installed and built).
 */
import { execFile } from 'node:child_process';
import fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { selfie2animeVariables } from '../test/helpers/tf-fixtures';
import { writeTfCheckpoint, type BundleTensor } from '../test/helpers/tf-checkpoint-writer';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const { values: args } = parseArgs({
  options: { dir: { type: 'string' }, backends: { type: 'string', default: 'wasm,tensorflow' }, float16: { type: 'boolean' }, all: { type: 'boolean' } },
});

/** Deterministic values for a variable: what a trained network's would look like in scale. */
function values(name: string, shape: number[], seed: number): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  let s = seed >>> 0;
  const next = () => { s = (s + 0x6d2b79f5) >>> 0; let t = Math.imul(s ^ (s >>> 15), s | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32; };
  const fanIn = shape.length > 1 ? shape.slice(0, -1).reduce((a, b) => a * b, 1) : 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = next();
    if (/\/rho$/.test(name)) out[i] = u; // some ρ above 0.9: the current code's checkpoint
    else if (/\/gamma$/.test(name)) out[i] = 1 + 0.2 * (u - 0.5);
    else if (/_power(_1)?$/.test(name)) out[i] = 0.5 ** 7;
    else out[i] = (u - 0.5) * 2 / Math.sqrt(fanIn);
  }
  return out;
}

async function run(argv: string[], cwd: string): Promise<{ seconds: number; maxRssMB: number; stdout: string }> {
  const preload = path.join(cwd, 'max-rss.mjs');
  await fsp.writeFile(preload, "process.on('exit', () => process.stderr.write(`MAXRSS ${process.resourceUsage().maxRSS}\\n`));\n");
  const started = performance.now();
  const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', preload, path.join(ROOT, 'dist/cli.js'), ...argv], { cwd, maxBuffer: 1 << 24 });
  const seconds = (performance.now() - started) / 1000;
  const kb = Number(/MAXRSS (\d+)/.exec(stderr)?.[1]);
  return { seconds, maxRssMB: kb / 1024, stdout };
}

async function main(): Promise<void> {
  if (!(await fsp.stat(path.join(ROOT, 'dist/cli.js')).catch(() => null))) throw new Error('run npm run build first (the benchmark runs dist/cli.js)');
  const dir = args.dir ?? (await fsp.mkdtemp(path.join(os.tmpdir(), 'ugatit-bench-tf-')));
  const ckptDir = path.join(dir, 'checkpoint', selfie2animeVariables.model_dir);
  const t0 = performance.now();
  const tensors: BundleTensor[] = selfie2animeVariables.variables.map((v, i) => {
    const n = v.shape.reduce((a, b) => a * b, 1);
    return /\/Adam(_1)?$/.test(v.name) || n > 2 ** 20 ? { name: v.name, shape: v.shape } : { name: v.name, shape: v.shape, values: values(v.name, v.shape, i) };
  });
  await writeTfCheckpoint(ckptDir, 'UGATIT.model-1000000', tensors);
  const data = await fsp.stat(path.join(ckptDir, 'UGATIT.model-1000000.data-00000-of-00001'));
  console.log(`synthetic checkpoint: ${(data.size / 1e9).toFixed(2)} GB data file (${(data.blocks * 512 / 1e9).toFixed(2)} GB on disk), written in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`);

  const out = path.join(dir, 'weights');
  const convert = ['convert', ckptDir, '--out', out, ...(args.all ? [] : ['--generators-only']), ...(args.float16 ? ['--float16'] : [])];
  const c = await run(convert, dir);
  console.log(c.stdout.trimEnd());
  console.log(`convert${args.all ? '' : ' --generators-only'}${args.float16 ? ' --float16' : ''}: ${c.seconds.toFixed(1)} s, peak RSS ${(c.maxRssMB / 1024).toFixed(2)} GiB`);

  const image = path.join(ROOT, 'examples/samples/A/00000.png');
  for (const backend of (args.backends as string).split(',').filter(Boolean)) {
    const t = await run(['translate', image, '--weights', out, '--out', path.join(dir, `out-${backend}`), '--backend', backend], dir).catch((e: Error) => e);
    if (t instanceof Error) { console.log(`translate on ${backend}: failed (${t.message.split('\n')[0]})`); continue; }
    const inner = /translated into .* in ([\d.]+) s/.exec(t.stdout)?.[1];
    console.log(`translate one 256² image on ${backend}: ${t.seconds.toFixed(1)} s in all (loading included; ${inner ?? '?'} s translating), peak RSS ${(t.maxRssMB / 1024).toFixed(2)} GiB`);
  }
  if (!args.dir) await fsp.rm(dir, { recursive: true, force: true });
}

void main();
