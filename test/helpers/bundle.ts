import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root folder. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Builds the library with tsup (tsup.config.ts) into `outDir`: by default exactly what
 * `npm run build` writes (ESM, CommonJS, type declarations); `formats` and `dts: false` for a
 * lighter bundle, such as the ESM-only one a browser page loads.
 */
export function buildBundle(outDir: string, options: { formats?: Array<'esm' | 'cjs'>; dts?: boolean } = {}): void {
  const tsup = path.join(ROOT, 'node_modules/tsup/dist/cli-default.js');
  const args = [tsup, '--out-dir', outDir];
  if (options.formats) args.push('--format', options.formats.join(','));
  if (options.dts === false) args.push('--no-dts');
  execFileSync(process.execPath, args, { cwd: ROOT, stdio: 'pipe' });
}
