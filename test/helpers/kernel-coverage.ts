import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { KernelLog } from './kernel-recorder';

/**
 * Which kernel ran on which backend while the golden checks ran there: a table reviewed like
 * code, that every backend's checks are held to. Written by the tests themselves
 * (`UGATIT_UPDATE_KERNELS=1`, each backend its own column).
 */
export const KERNELS_USED_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'backends', 'kernels-used.txt');

/** Inference: the forward golden checks; training: the training-step golden checks. */
export type Workload = 'inference' | 'training';
const WORKLOADS: readonly Workload[] = ['inference', 'training'];

/** The library's own kernels (src/backends) carry this prefix; a backend without them runs tfjs' kernels only. */
export const LIBRARY_KERNEL_PREFIX = 'Ugatit';

/** The kernel logs of one backend's golden checks, by workload. */
export class KernelRuns {
  private readonly logs: Record<Workload, KernelLog[]> = { inference: [], training: [] };

  add(workload: Workload, log: KernelLog): void {
    this.logs[workload].push(log);
  }

  /** How many checks of `workload` were recorded. */
  count(workload: Workload): number {
    return this.logs[workload].length;
  }

  /** Kernels of `workload` that ran on `backend`. */
  on(backend: string, workload: Workload): Set<string> {
    return new Set(this.logs[workload].flatMap((log) => log[backend] ?? []));
  }

  /** `<backend>: <kernel>` for every kernel that ran on a backend other than `backend`. */
  elsewhere(backend: string): string[] {
    const out = new Set<string>();
    for (const log of [...this.logs.inference, ...this.logs.training]) {
      for (const [b, names] of Object.entries(log)) if (b !== backend) names.forEach((k) => out.add(`${b}: ${k}`));
    }
    return [...out].sort();
  }
}

/** Per workload, per backend (a column of the table), the kernels that ran. */
export type KernelTable = Record<Workload, Map<string, Set<string>>>;

const COLUMN_ORDER = ['cpu', 'wasm', 'tensorflow', 'webgl', 'webgpu'];

const HEADER = [
  '# The tfjs kernels U-GAT-IT runs on each backend, recorded while the golden checks run there',
  '# (test/helpers/kernel-recorder.ts; x: ran). Each backend must run exactly its column, all on',
  '# itself: the backends of BACKENDS (test/helpers/backends.ts) in',
  '# test/backends/kernel-coverage.test.ts, webgl and webgpu in test/browser. Backends that run no',
  `# kernel of the library's own (${LIBRARY_KERNEL_PREFIX}…, src/backends) must run the same kernels.`,
  '# When a backend starts running other kernels, check them there, then rewrite its column with',
  '#   UGATIT_UPDATE_KERNELS=1 npx vitest run <the test file of that backend>',
];

/** Parses {@link KERNELS_USED_FILE}: `<workload> <backend>…` header rows, then `  <kernel> x|-…` rows. */
export function readKernelTable(text = existsSync(KERNELS_USED_FILE) ? readFileSync(KERNELS_USED_FILE, 'utf8') : ''): KernelTable {
  const table: KernelTable = { inference: new Map(), training: new Map() };
  let workload: Workload | undefined;
  let columns: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const [first, ...cells] = line.trim().split(/\s+/);
    if (!line.startsWith(' ')) {
      if (!WORKLOADS.includes(first as Workload)) throw new Error(`${KERNELS_USED_FILE}: unknown section '${first}'`);
      workload = first as Workload;
      columns = cells;
      for (const b of columns) table[workload].set(b, new Set());
    } else {
      if (!workload || cells.length !== columns.length) throw new Error(`${KERNELS_USED_FILE}: malformed row '${line}'`);
      cells.forEach((cell, i) => { if (cell === 'x') table[workload!].get(columns[i]!)!.add(first!); });
    }
  }
  return table;
}

/** The text of {@link KERNELS_USED_FILE} for `table`. */
export function renderKernelTable(table: KernelTable): string {
  const lines = [...HEADER];
  for (const workload of WORKLOADS) {
    const columns = [...table[workload].keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
    const kernels = [...new Set(columns.flatMap((b) => [...table[workload].get(b)!]))].sort();
    const width = Math.max(workload.length, ...kernels.map((k) => k.length + 2));
    lines.push('', `${workload.padEnd(width)}  ${columns.join('  ')}`);
    for (const k of kernels) {
      lines.push(`${`  ${k}`.padEnd(width)}  ${columns.map((b) => (table[workload].get(b)!.has(k) ? 'x' : '-').padEnd(b.length)).join('  ')}`.trimEnd());
    }
  }
  return `${lines.join('\n')}\n`;
}

function rank(backend: string): number {
  const i = COLUMN_ORDER.indexOf(backend);
  return i < 0 ? COLUMN_ORDER.length : i;
}

/**
 * Asserts that the golden checks recorded in `runs` ran on `backend` alone and ran exactly the
 * kernels of its column of {@link KERNELS_USED_FILE}, per workload. With `UGATIT_UPDATE_KERNELS=1`
 * it rewrites that column from these runs instead.
 */
export function expectKernelsUsed(backend: string, runs: KernelRuns): void {
  expect(runs.elsewhere(backend), `kernels of the golden checks on ${backend} that ran on another backend`).toEqual([]);
  const table = readKernelTable();
  const file = path.relative(process.cwd(), KERNELS_USED_FILE);
  if (process.env.UGATIT_UPDATE_KERNELS) {
    for (const workload of WORKLOADS) table[workload].set(backend, runs.on(backend, workload));
    writeFileSync(KERNELS_USED_FILE, renderKernelTable(table));
    return;
  }
  for (const workload of WORKLOADS) {
    const listed = table[workload].get(backend);
    expect(listed, `${file} has no ${workload} column for ${backend} (write it with UGATIT_UPDATE_KERNELS=1, then review it)`).toBeDefined();
    const ran = runs.on(backend, workload);
    expect([...listed!].filter((k) => !ran.has(k)), `${workload} kernels ${file} lists for ${backend} that did not run there`).toEqual([]);
    expect([...ran].filter((k) => !listed!.has(k)).sort(),
      `${workload} kernels that ran on ${backend} but ${file} does not list for it: check them there, then list them (UGATIT_UPDATE_KERNELS=1)`).toEqual([]);
  }
}

/**
 * Where the columns of backends that run only tfjs' kernels differ: each kernel one of them ran
 * and another did not, as `<workload> <kernel>: ran on …, not on …`.
 */
export function portableDifferences(table: KernelTable): string[] {
  const out: string[] = [];
  for (const workload of WORKLOADS) {
    const portable = [...table[workload]].filter(([, ks]) => ![...ks].some((k) => k.startsWith(LIBRARY_KERNEL_PREFIX)));
    const all = new Set(portable.flatMap(([, ks]) => [...ks]));
    for (const k of [...all].sort()) {
      const missing = portable.filter(([, ks]) => !ks.has(k)).map(([b]) => b);
      if (missing.length) out.push(`${workload} ${k}: ran on ${portable.filter(([, ks]) => ks.has(k)).map(([b]) => b).join(', ')}, not on ${missing.join(', ')}`);
    }
  }
  return out;
}

/** A table of which backend ran which kernel in these runs, for the test log. */
export function kernelTable(byBackend: ReadonlyMap<string, KernelRuns>): string {
  const table: KernelTable = { inference: new Map(), training: new Map() };
  for (const [b, runs] of byBackend) for (const w of WORKLOADS) table[w].set(b, runs.on(b, w));
  return renderKernelTable(table).split('\n').filter((l) => !l.startsWith('#')).join('\n');
}
