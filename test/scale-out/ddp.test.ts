import * as tf from '@tensorflow/tfjs-core';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UGATITTrainer, decodeImage, saveTrainingCheckpoint, type NamedTensors } from '../../src';
import { readSafetensors, readTorchCheckpoint } from '../../src/io';
import { useBackend } from '../helpers/backends';
import { runCli, runProcess } from '../helpers/processes';
import { findPython } from '../helpers/python';
import { disposeNetworks, tinyNetworks } from '../helpers/tiny-training';

// The scale-out path of docs/scale-out.md, run for real: our export, bench/pytorch/ddp_train.py
// under torchrun with gloo on 2 CPU processes, and the checkpoint back into ugatit-tf. Tiny
// networks (ngf/ndf 4, 32 px) and 4 iterations of a 6-iteration schedule (the lr decay starts at 4).

const ROOT = path.resolve(__dirname, '../..');
const TRAINER = path.join(ROOT, 'bench/pytorch/ddp_train.py');
const COMPARE = path.join(__dirname, 'compare_states.py');
const PLAIN_DDP = path.join(__dirname, 'plain_ddp.py');
const NETWORKS = ['genA2B', 'genB2A', 'disGA', 'disGB', 'disLA', 'disLB'] as const;
const ITERATIONS = [1, 2, 3, 4];
// Splitting the batch only reorders sums. In float64 Adam magnifies that rounding at most by
// lr/eps = 1e4 (where a gradient element nearly cancels): measured 1.2e-16 here, 4.5e-13 with
// the avatar networks at 96 px. A wrong gradient moves weights by ~lr = 1e-4 (averaging
// mistakes injected once gave 2e-4 and 7e-4).
const FLOAT64_TOLERANCE = 1e-10;

// Where Python cannot run the trainer, the suite is collected and reported skipped, with the
// reason in its title (and printed loudly by scripts/ensure-python.mjs before the run).
const py = await findPython();
if ('skip' in py) console.warn(`${'!'.repeat(100)}\nscale-out test SKIPPED: ${py.skip}\n${'!'.repeat(100)}`);
let dir: string;
let keysPerNetwork: Record<string, string[]>;

interface Comparison { a: string; b: string; only_a: string[]; only_b: string[]; keys: number; bitwise: boolean; max_abs: number; worst: string; differing: string[] }

async function compare(...pairs: Array<[string, string]>): Promise<Comparison[]> {
  const r = await runProcess(py.python!, [COMPARE, ...pairs.flat()], dir);
  if (r.code !== 0) throw new Error(`compare_states.py exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Comparison[];
}

/** Runs the trainer from `export/` on `tiny/` into `<out>/model`, dumping states to `<out>/states`. */
async function train(out: string, processes: number, ...args: string[]): Promise<string> {
  return python(processes, TRAINER, '--init', 'export', '--data', 'tiny', '--out', `${out}/model`, '--img-size', '32',
    '--iterations', '6', '--until', '4', '--log-every', '1', '--dump-states', `${out}/states`, ...args);
}

/** Runs a Python script, under torchrun (torch.distributed.run) with `processes` > 1; its stdout. */
async function python(processes: number, script: string, ...args: string[]): Promise<string> {
  const launcher = processes > 1 ? ['-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', String(processes)] : [];
  const r = await runProcess(py.python!, [...launcher, script, ...args], dir, 240_000);
  if (r.code !== 0) throw new Error(`${path.basename(script)} (${processes} processes) exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const state = (out: string, it: number, rank: number) => `${out}/states/it${String(it).padStart(7, '0')}.rank${rank}.safetensors`;

let ddpRun: Promise<string> | undefined;
/** The documented command: 2 processes × batch 1, float32, a checkpoint at 2 and 4; shared by the tests below. */
const ddp = () => (ddpRun ??= train('ddp', 2, '--save-every', '2'));

beforeAll(async () => {
  if ('skip' in py) return;
  await useBackend('cpu');
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ugatit-ddp-'));
  const nets = tinyNetworks({ size: 32 });
  const trainer = new UGATITTrainer(nets, { iterations: 10 });
  await saveTrainingCheckpoint(path.join(dir, 'run'), nets, trainer.getState(), { config: { size: 32 } });
  trainer.dispose();
  disposeNetworks(nets);
  for (const [from, to] of [['A', 'trainA'], ['B', 'trainB']]) {
    await fs.cp(path.join(ROOT, 'examples/samples', from!), path.join(dir, 'tiny', to!), { recursive: true });
  }
  const exported = await runCli(dir, 'convert', 'run', '--to', 'safetensors', '--out', 'export');
  expect(exported.code, exported.stderr).toBe(0);
  keysPerNetwork = {};
  for (const net of NETWORKS) {
    const sd = readSafetensors(new Uint8Array(await fs.readFile(path.join(dir, 'export', `${net}.safetensors`))));
    keysPerNetwork[net] = Object.keys(sd).sort();
    tf.dispose(Object.values(sd));
  }
}, 180_000);
afterAll(async () => { if (dir) await fs.rm(dir, { recursive: true, force: true }); });

const TITLE = 'scale-out: ddp_train.py under torchrun (gloo, 2 CPU processes)';
('skip' in py ? describe.skip : describe)('skip' in py ? `${TITLE} [skipped: ${py.skip}]` : TITLE, () => {
  it('keeps every process\'s parameters and buffers (spectral-norm u, v; clipped ρ) bit-identical after each iteration', { timeout: 240_000 }, async () => {
    const log = await ddp();
    expect(log).toMatch(/starting from export; 2 processes \(cpu\) x batch 1, 32 px, iterations 1\.\.4 of 6/);
    const allKeys = NETWORKS.flatMap((n) => keysPerNetwork[n]!.map((k) => `${n}.${k}`));
    expect(allKeys.filter((k) => k.endsWith('.weight_u')).length).toBeGreaterThan(0);
    const rows = await compare(
      ...ITERATIONS.map((it) => [state('ddp', it, 0), state('ddp', it, 1)] as [string, string]),
      ...ITERATIONS.slice(1).map((it) => [state('ddp', it - 1, 0), state('ddp', it, 0)] as [string, string]),
    );
    for (const r of rows.slice(0, ITERATIONS.length)) {
      expect([r.only_a, r.only_b, r.keys]).toEqual([[], [], allKeys.length]);
      expect(r.bitwise, `${r.a} vs ${r.b}: ${r.worst} differs by ${r.max_abs}`).toBe(true);
    }
    // The states compared are live: each iteration moves the weights and advances u, v.
    for (const r of rows.slice(ITERATIONS.length)) {
      expect(r.max_abs).toBeGreaterThan(1e-6);
      for (const kind of ['.weight_u', '.weight_v', '.rho', 'weight_orig']) expect(r.differing.some((k) => k.endsWith(kind)), `${r.b}: ${kind}`).toBe(true);
    }
  });

  it('2 processes × batch 1 train as 1 process × batch 2 on the same two images, and as DDP-wrapped networks (float64)', { timeout: 240_000 }, async () => {
    await train('one64', 1, '--batch-size', '2', '--dtype', 'float64', '--threads', '1');
    await train('ddp64', 2, '--dtype', 'float64');
    await python(2, PLAIN_DDP, 'tiny', '32', '6', '4', 'plain64/states');
    const pairs = ITERATIONS.flatMap((it) => [
      [state('ddp64', it, 0), state('ddp64', it, 1)], [state('ddp64', it, 0), state('one64', it, 0)], [state('ddp64', it, 0), state('plain64', it, 0)],
    ] as Array<[string, string]>);
    for (const [i, r] of (await compare(...pairs)).entries()) {
      expect([r.only_a, r.only_b]).toEqual([[], []]);
      if (i % 3 === 0) expect(r.bitwise, `${r.a} vs ${r.b}`).toBe(true);
      else expect(r.max_abs, `${r.a} vs ${r.b}: worst ${r.worst}`).toBeLessThanOrEqual(FLOAT64_TOLERANCE);
    }
  });

  it('resumes from a checkpoint (weights and Adam state) to the uninterrupted run, bit for bit', { timeout: 240_000 }, async () => {
    const log = await ddp();
    expect(log).toMatch(/wrote ddp\/model\/tiny_params_0000002\.pt/);
    await fs.mkdir(path.join(dir, 'resumed/model'), { recursive: true });
    for (const f of ['tiny_params_0000002.pt', 'tiny_optim_0000002.pth']) await fs.copyFile(path.join(dir, 'ddp/model', f), path.join(dir, 'resumed/model', f));
    const resumed = await train('resumed', 2, '--resume');
    expect(resumed).toMatch(/resuming from resumed\/model\/tiny_params_0000002\.pt \(iteration 2\), Adam state from tiny_optim_0000002\.pth; .* iterations 3\.\.4 of 6/);
    const rows = await compare([state('resumed', 3, 0), state('ddp', 3, 0)], [state('resumed', 4, 0), state('ddp', 4, 0)]);
    for (const r of rows) expect(r.bitwise, `${r.a} vs ${r.b}: ${r.worst} differs by ${r.max_abs}`).toBe(true);
  });

  it('starts from an official .pt with --init (when --resume finds nothing) and continues one without Adam state, saying so', { timeout: 240_000 }, async () => {
    const fixture = (f: string) => path.join(ROOT, 'test/fixtures/pytorch-reference', f);
    // The fixture's global discriminators have 7 layers: 96 px is their smallest input.
    const common = ['--data', 'tiny', '--img-size', '96', '--iterations', '20', '--threads', '1'];
    const fresh = await python(1, TRAINER, '--init', fixture('train-step-init.zip.pt'), '--resume', '--out', 'official/model', '--until', '1', ...common);
    expect(fresh).toMatch(/starting from .*train-step-init\.zip\.pt; 1 process \(cpu\) x batch 1, 96 px, iterations 1\.\.1 of 20/);
    await fs.mkdir(path.join(dir, 'legacy/model'), { recursive: true });
    await fs.copyFile(fixture('train-step-init.legacy.pt'), path.join(dir, 'legacy/model/tiny_params_0000010.pt'));
    const resumed = await python(1, TRAINER, '--resume', '--out', 'legacy/model', '--until', '11', ...common);
    expect(resumed).toMatch(/resuming from legacy\/model\/tiny_params_0000010\.pt \(iteration 10\), no tiny_optim_0000010\.pth: Adam starts afresh; .* iterations 11\.\.11 of 20/);
    expect(resumed).toMatch(/wrote legacy\/model\/tiny_params_0000011\.pt/);
  });

  it('writes the official .pt layout, which ugatit-tf convert imports and translate runs', { timeout: 240_000 }, async () => {
    await ddp();
    const pt = 'ddp/model/tiny_params_0000004.pt';
    const ckpt = readTorchCheckpoint(new Uint8Array(await fs.readFile(path.join(dir, pt)))) as Record<string, NamedTensors>;
    const final = readSafetensors(new Uint8Array(await fs.readFile(path.join(dir, state('ddp', 4, 0)))));
    try {
      expect(Object.keys(ckpt).sort()).toEqual([...NETWORKS].sort());
      for (const net of NETWORKS) {
        expect(Object.keys(ckpt[net]!).sort(), net).toEqual(keysPerNetwork[net]);
        for (const [k, t] of Object.entries(ckpt[net]!)) expect(Array.from(t.dataSync()), `${net}.${k}`).toEqual(Array.from(final[`${net}.${k}`]!.dataSync()));
      }
      const back = await runCli(dir, 'convert', pt, '--out', 'back', '--img-size', '32');
      expect(back.code, back.stderr).toBe(0);
      expect(back.stdout).toMatch(/6 networks/);
      const again = await runCli(dir, 'convert', 'back', '--to', 'safetensors', '--out', 'back-st');
      expect(again.code, again.stderr).toBe(0);
      for (const net of NETWORKS) {
        const sd = readSafetensors(new Uint8Array(await fs.readFile(path.join(dir, 'back-st', `${net}.safetensors`))));
        try {
          expect(Object.keys(sd).sort(), net).toEqual(keysPerNetwork[net]);
          for (const [k, t] of Object.entries(sd)) expect(Array.from(t.dataSync()), `${net}.${k}`).toEqual(Array.from(ckpt[net]![k]!.dataSync()));
        } finally {
          tf.dispose(Object.values(sd));
        }
      }
    } finally {
      tf.dispose([...Object.values(ckpt).flatMap((sd) => Object.values(sd)), ...Object.values(final)]);
    }
    const translated = await runCli(dir, 'translate', 'tiny/trainA/00000.png', '--weights', 'back', '--size', '32', '--out', 'translated', '--backend', 'cpu');
    expect(translated.code, translated.stderr).toBe(0);
    const img = decodeImage(await fs.readFile(path.join(dir, 'translated/00000.png')));
    expect([img.width, img.height]).toEqual([32, 32]);
  });
});
