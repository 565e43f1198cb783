import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UGATITError } from '../errors';

/**
 * Parses a command's arguments with `node:util` `parseArgs` (strict), turning its errors into
 * one line that names the command and points at `--help`.
 *
 * @example
 * ```ts
 * const { values, positionals } = parseCommandArgs('info', argv, { json: { type: 'boolean' } });
 * ```
 */
export function parseCommandArgs<O extends NonNullable<ParseArgsConfig['options']>>(
  command: string, argv: string[], options: O,
): ReturnType<typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: true }>> {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (e) {
    throw new UGATITError(`${command}: ${(e as Error).message.split('\n')[0]} (see ugatit-tf ${command} --help)`);
  }
}

/**
 * Reads an integer option, rejecting anything else with a one-line error.
 *
 * @example
 * ```ts
 * const size = intOption('translate', 'size', values.size, 8);
 * ```
 */
export function intOption(command: string, name: string, value: string | undefined, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UGATITError(`${command}: --${name} must be an integer ≥ ${min}, received ${JSON.stringify(value)}`);
  return n;
}

/**
 * Reads one of a fixed set of string values.
 *
 * @example
 * ```ts
 * const direction = choiceOption('translate', 'direction', values.direction, ['a2b', 'b2a'] as const);
 * ```
 */
export function choiceOption<T extends string>(command: string, name: string, value: string | undefined, choices: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value)) {
    throw new UGATITError(`${command}: --${name} must be one of ${choices.join(', ')}, received ${JSON.stringify(value)}`);
  }
  return value as T;
}

/** Whether a path exists on disk, and what it is. */
export async function pathKind(p: string): Promise<'file' | 'dir' | null> {
  const fs = await import('node:fs/promises');
  const s = await fs.stat(p).catch(() => null);
  return s ? (s.isDirectory() ? 'dir' : 'file') : null;
}
