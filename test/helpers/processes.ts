import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';

const ROOT = path.resolve(__dirname, '../..');

/** What a finished child process left. */
export interface ProcessResult { code: number; stdout: string; stderr: string }

/** Runs a command to its end; a non-zero exit is a result, not an exception. */
export async function runProcess(command: string, args: string[], cwd: string, timeoutMs = 120_000, env?: NodeJS.ProcessEnv): Promise<ProcessResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(command, args, { cwd, timeout: timeoutMs, env: env ?? process.env, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number | string; stdout?: string; stderr?: string; message: string };
    return { code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout ?? '', stderr: err.stderr || err.message };
  }
}

/** Runs `ugatit-tf <args>` from the sources (tsx), in `cwd`. */
export function runCli(cwd: string, ...args: string[]): Promise<ProcessResult> {
  return runProcess(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), path.join(ROOT, 'src/cli/main.ts'), ...args], cwd);
}
