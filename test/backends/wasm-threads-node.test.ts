import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const CHILD = fileURLToPath(new URL('../helpers/wasm-threads-child.ts', import.meta.url));

interface Report {
  error: string | null; threads: number; backend: string; worst: number; outputs: number;
  createObjectURL: boolean; revokeObjectURL: boolean; cpus: boolean; cpuCount: number;
  flag: { before: boolean; after: boolean }; tmpLeft: string[];
}

/** Runs the child with its own temporary folder, so that what it leaves there is all it left. */
async function run(threads: number): Promise<Report> {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ugatit-threads-test-'));
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', CHILD, String(threads)], {
      env: { ...process.env, TMPDIR: tmp }, timeout: 60_000,
    });
    const line = stdout.split('\n').find((l) => l.startsWith('THREADS '));
    expect(line, stdout).toBeDefined();
    return JSON.parse(line!.slice('THREADS '.length)) as Report;
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

describe('useWasmThreadsInNode', () => {
  it.each([2, 3])('starts %i threads that compute what the cpu backend does, and leaves no trace in the process', async (threads) => {
    const r = await run(threads);
    expect(r.error).toBeNull();
    expect(r.backend).toBe('wasm');
    expect(r.threads).toBe(threads);
    expect(r.outputs).toBe(40 * 40 * 16);
    expect(r.worst).toBeLessThan(1e-4);
    // Every change is undone: the globals it patched, the flag it set, the folder it wrote.
    expect(r.createObjectURL).toBe(true);
    expect(r.revokeObjectURL).toBe(true);
    expect(r.cpus).toBe(true);
    expect(r.cpuCount).toBe(os.cpus().length);
    expect(r.flag.after).toBe(r.flag.before);
    expect(r.tmpLeft).toEqual([]);
  });
});
