// The package as users get it: built with the repository's tsup config and packed with
// `npm pack`, once per test run (test files that need it share one build, whichever asks first).
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { inject } from 'vitest';
import type { PackedDiscriminators } from '../../scripts/pack-discriminators';
import { buildBundle, ROOT } from './bundle';

export { ROOT };

/** What {@link builtPackage} made. */
export interface BuiltPackage {
  /** The package folder (package.json, README.md, weights/, dist/), runnable in place: its node_modules is the repository's. */
  dir: string;
  /** `npm pack`'s tarball of it. */
  tarball: string;
  /** Its bytes. */
  size: number;
  /** Files in the tarball, with their sizes. */
  files: Array<{ path: string; size: number }>;
  /** The companion package with the discriminators, packed as its README says (scripts/pack-discriminators.ts). */
  discriminators: PackedDiscriminators;
}

async function build(root: string): Promise<BuiltPackage> {
  const dir = path.join(root, 'package');
  await fs.mkdir(dir);
  for (const file of ['package.json', 'README.md', 'LICENSE', 'weights']) await fs.cp(path.join(ROOT, file), path.join(dir, file), { recursive: true });
  buildBundle(path.join(dir, 'dist'));
  await fs.symlink(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  const pack = async (cwd: string) => {
    const { stdout } = await promisify(execFile)('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', root], { cwd });
    const [r] = JSON.parse(stdout) as Array<{ filename: string; size: number; files: Array<{ path: string; size: number }> }>;
    return { tarball: path.join(root, r!.filename), size: r!.size, files: r!.files.map((f) => ({ path: f.path, size: f.size })) };
  };
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/pack-discriminators.ts'), '--out', root, '--json'], { cwd: ROOT });
  return { dir, ...(await pack(dir)), discriminators: JSON.parse(stdout) as PackedDiscriminators };
}

let local: Promise<string> | undefined;

/** This run's build folder: the one the globalSetup provides, or one of this process's own. */
function buildRoot(): Promise<string> {
  let provided: string | undefined;
  try {
    provided = inject('packageBuildDir');
  } catch {
    /* run outside vitest's globalSetup */
  }
  if (provided) return Promise.resolve(provided);
  local ??= fs.mkdtemp(path.join(os.tmpdir(), 'ugatit-tf-package-'));
  return local;
}

/**
 * Builds and packs the package once per test run and returns it. Test files run in parallel
 * processes: the first to get here builds (a folder created atomically is the lock), the
 * others wait for its result.
 */
export async function builtPackage(): Promise<BuiltPackage> {
  const root = await buildRoot();
  const result = path.join(root, 'result.json');
  const failure = path.join(root, 'failure.txt');
  if (await fs.mkdir(path.join(root, 'lock')).then(() => true, () => false)) {
    try {
      const built = await build(root);
      await fs.writeFile(`${result}.tmp`, JSON.stringify(built));
      await fs.rename(`${result}.tmp`, result);
      return built;
    } catch (e) {
      await fs.writeFile(failure, String((e as Error).stack ?? e));
      throw e;
    }
  }
  for (let waited = 0; waited < 300_000; waited += 250) {
    const text = await fs.readFile(result, 'utf8').catch(() => null);
    if (text) return JSON.parse(text) as BuiltPackage;
    const failed = await fs.readFile(failure, 'utf8').catch(() => null);
    if (failed) throw new Error(`building the package failed in another test file:\n${failed}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the package build in ${root} did not finish within 5 minutes`);
}
