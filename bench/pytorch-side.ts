/**
 * Runs bench/pytorch/bench.py (the official networks on PyTorch's CPU backend) on the same
 * workloads, so that `npm run bench` prints both sides measured in one run on one machine.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Workloads bench.py implements (the same networks and sizes as bench/workloads.ts). */
export const PYTORCH_WORKLOADS = ['light256', 'light256x4', 'full256', 'train128'];

/** One PyTorch workload's timing, per image or iteration. */
export interface PytorchResult {
  name: string;
  /** Median wall seconds per image/iteration. */
  secondsPerItem: number;
  cpuSecondsPerItem: number;
}

/** PyTorch's side of a bench run, or why there is none. */
export type PytorchSide = { torch: string; threads: number; results: PytorchResult[] } | { unavailable: string };

/**
 * Times `names` (those bench.py has) with `threads` PyTorch threads. Python is
 * `$UGATIT_PYTHON` or python3; without it or torch the reason is returned, not thrown.
 */
export function runPytorchSide(names: string[], threads: number, runs?: number): PytorchSide {
  const wanted = names.filter((n) => PYTORCH_WORKLOADS.includes(n));
  if (wanted.length === 0) return { unavailable: 'none of the selected workloads exists in bench/pytorch/bench.py' };
  const python = process.env.UGATIT_PYTHON || 'python3';
  const script = fileURLToPath(new URL('./pytorch/bench.py', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'ugatit-bench-'));
  try {
    const json = join(dir, 'pytorch.json');
    const args = [script, '--threads', String(threads), '--only', wanted.join(','), '--json', json];
    if (runs !== undefined) args.push('--runs', String(runs));
    const r = spawnSync(python, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    if (r.error) return { unavailable: `${python} could not be started (${r.error.message}); install Python 3 and bench/pytorch/requirements.txt, or set UGATIT_PYTHON` };
    if (r.status !== 0) return { unavailable: `${python} bench/pytorch/bench.py exited ${r.status}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}` };
    const parsed = JSON.parse(readFileSync(json, 'utf8')) as {
      meta: { torch: string; threads: number };
      results: Array<{ name: string; seconds_per_item: { median: number }; cpu_seconds_per_item: number }>;
    };
    return {
      torch: parsed.meta.torch,
      threads: parsed.meta.threads,
      results: parsed.results.map((x) => ({ name: x.name, secondsPerItem: x.seconds_per_item.median, cpuSecondsPerItem: x.cpu_seconds_per_item })),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
