import { spawn, spawnSync } from 'node:child_process';
import { UGATITError } from '../errors';

/** Whether `command` can be started (found on PATH and runs `args`, typically `--version`). */
export function commandWorks(command: string, args: string[] = ['--version']): boolean {
  const r = spawnSync(command, args, { stdio: 'ignore' });
  return r.error === undefined && r.status === 0;
}

/**
 * Runs a command to completion, streaming its output lines to `onLine` (and keeping the last
 * lines for the error), and throws a {@link UGATITError} naming `what` when it fails.
 */
export function runCommand(what: string, command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; onLine?: (line: string) => void } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    let out = '';
    const take = (chunk: Buffer) => {
      const text = chunk.toString();
      out += text;
      for (const line of text.split('\n')) {
        if (!line.trim()) continue;
        tail.push(line);
        if (tail.length > 15) tail.shift();
        options.onLine?.(line);
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', (e) => reject(new UGATITError(`${what}: could not start ${command}: ${e.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve(out);
      else reject(new UGATITError(`${what} failed (${command} exited with ${signal ?? code}):\n  ${tail.join('\n  ')}`));
    });
  });
}
