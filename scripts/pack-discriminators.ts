/**
 * Packs the companion package `ugatit-tf-<name>-discriminators`: the four discriminators of the
 * provided weights `weights/<name>/`, which ugatit-tf's own package leaves out (they would make
 * it five times larger and only fine-tuning needs them). The package's metadata is
 * `packages/<name>-discriminators/` (package.json, README.md); its version must equal
 * ugatit-tf's, which it names as its peer dependency.
 *
 *   npx tsx scripts/pack-discriminators.ts [--name avatars] [--out .] [--json]
 *
 * Prints the tarball's path (with --json: path, size and files); `npm publish <tarball>`
 * publishes it.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DISCRIMINATORS = ['disGA', 'disGB', 'disLA', 'disLB'];

/** Options of {@link packDiscriminators}. */
export interface PackDiscriminatorsOptions {
  /** Provided weights name (`weights/<name>/`). Default 'avatars'. */
  name?: string;
  /** Folder the tarball is written to. Default the current folder. */
  out?: string;
}

/** What {@link packDiscriminators} wrote. */
export interface PackedDiscriminators {
  /** The tarball's path. */
  tarball: string;
  /** Its bytes. */
  size: number;
  /** The files in it and their sizes, as `npm pack` lists them. */
  files: Array<{ path: string; size: number }>;
}

/** Stages the package in a temporary folder and runs `npm pack` there. */
export async function packDiscriminators(options: PackDiscriminatorsOptions = {}): Promise<PackedDiscriminators> {
  const { name = 'avatars', out = '.' } = options;
  const meta = path.join(ROOT, 'packages', `${name}-discriminators`);
  const pkg = JSON.parse(await fs.readFile(path.join(meta, 'package.json'), 'utf8')) as {
    name: string; version: string; peerDependencies?: Record<string, string>;
  };
  const { version } = JSON.parse(await fs.readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  if (pkg.name !== `ugatit-tf-${name}-discriminators`) throw new Error(`${meta}/package.json: name ${pkg.name}, expected ugatit-tf-${name}-discriminators`);
  if (pkg.version !== version || pkg.peerDependencies?.['ugatit-tf'] !== version) {
    throw new Error(`${meta}/package.json: version ${pkg.version} and peer ugatit-tf ${pkg.peerDependencies?.['ugatit-tf']} must both be ugatit-tf's ${version}`);
  }
  const stage = await fs.mkdtemp(path.join(os.tmpdir(), 'ugatit-pack-discriminators-'));
  try {
    await fs.cp(meta, stage, { recursive: true });
    const weights = path.join(ROOT, 'weights', name);
    for (const file of [...DISCRIMINATORS, 'provenance.json']) {
      await fs.cp(path.join(weights, file), path.join(stage, 'weights', name, file), { recursive: true });
    }
    await fs.mkdir(out, { recursive: true });
    const { stdout } = await promisify(execFile)('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', path.resolve(out)], { cwd: stage });
    const [packed] = JSON.parse(stdout) as Array<{ filename: string; size: number; files: Array<{ path: string; size: number }> }>;
    return { tarball: path.resolve(out, packed!.filename), size: packed!.size, files: packed!.files.map((f) => ({ path: f.path, size: f.size })) };
  } finally {
    await fs.rm(stage, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values: v } = parseArgs({
    options: { name: { type: 'string', default: 'avatars' }, out: { type: 'string', default: '.' }, json: { type: 'boolean', default: false } }, strict: true,
  });
  packDiscriminators({ name: v.name, out: v.out }).then((r) => console.log(v.json ? JSON.stringify(r) : r.tarball), (e: unknown) => {
    console.error(`pack-discriminators: ${(e as Error).message}`);
    process.exitCode = 1;
  });
}
