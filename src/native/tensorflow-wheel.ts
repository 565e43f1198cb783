import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UGATITError } from '../errors';
import { commandWorks, runCommand } from './run-command';
import type { TfjsNodeVariant } from './tfjs-node-package';

/** The TensorFlow release the native backend is built against unless told otherwise. */
export const DEFAULT_TENSORFLOW_VERSION = '2.21.0';

/**
 * The pip distribution carrying TensorFlow's C library for a variant: `tensorflow-cpu` (no
 * CUDA code, 274 MB) or `tensorflow` (with CUDA 12 kernels; the CUDA libraries themselves come
 * from the `nvidia-*` wheels of its `and-cuda` extra).
 */
export function tensorflowDistribution(variant: TfjsNodeVariant): string {
  return variant === 'gpu' ? 'tensorflow' : 'tensorflow-cpu';
}

/** Only Linux wheels carry the C library at the path this setup builds against. */
export function checkPlatform(platform = process.platform, arch = process.arch): void {
  if (platform !== 'linux' || !(arch === 'x64' || arch === 'arm64')) {
    throw new UGATITError(`setup-tensorflow builds the native backend from TensorFlow's Linux wheels (x64 or arm64); `
      + `this is ${platform}/${arch}. There, use tfjs-node's own prebuilt binary (npm i @tensorflow/tfjs-node) or the wasm backend.`);
  }
}

/** The python interpreter to run pip and unpack wheels with: `$PYTHON`, else python3, else python. */
export function findPython(): string {
  for (const candidate of [process.env.PYTHON, 'python3', 'python']) {
    if (candidate && commandWorks(candidate, ['-c', 'import zipfile'])) return candidate;
  }
  throw new UGATITError('setup-tensorflow needs Python 3 (with pip to download a TensorFlow wheel, and to unpack it); '
    + 'none found as python3 or python (set PYTHON to its path)');
}

/** Where downloaded wheels are kept between runs: `$XDG_CACHE_HOME/ugatit-tf/wheels` or `~/.cache/…`. */
export function wheelCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'ugatit-tf', 'wheels');
}

/** The wheel file of `distribution==version` for this interpreter in `dir`, if there. */
function findWheel(dir: string, distribution: string, version: string): string | null {
  if (!existsSync(dir)) return null;
  const prefix = `${distribution.replace(/-/g, '_')}-${version}-`;
  const hit = readdirSync(dir).find((f) => f.startsWith(prefix) && f.endsWith('.whl'));
  return hit ? path.join(dir, hit) : null;
}

/**
 * The TensorFlow wheel: from the cache, else downloaded with `pip download --no-deps` (which
 * honours the user's pip configuration, index and proxies).
 */
export async function downloadTensorflowWheel(python: string, variant: TfjsNodeVariant, version: string, onLine?: (line: string) => void): Promise<string> {
  const distribution = tensorflowDistribution(variant);
  const dir = wheelCacheDir();
  const cached = findWheel(dir, distribution, version);
  if (cached) return cached;
  if (!commandWorks(python, ['-m', 'pip', '--version'])) {
    throw new UGATITError(`setup-tensorflow: ${python} has no pip to download ${distribution}==${version}; `
      + 'install pip, or pass --wheel <file.whl> or --from <tensorflow folder>');
  }
  mkdirSync(dir, { recursive: true });
  await runCommand(`pip download ${distribution}==${version}`, python,
    ['-m', 'pip', 'download', '--no-deps', '--only-binary', ':all:', '--dest', dir, `${distribution}==${version}`], { onLine });
  const wheel = findWheel(dir, distribution, version);
  if (!wheel) throw new UGATITError(`setup-tensorflow: pip reported success but no ${distribution} ${version} wheel is in ${dir}`);
  return wheel;
}

/** Wheel members the native backend needs: the two libraries and the C API's headers. */
export const WHEEL_MEMBERS = [
  /^tensorflow\/libtensorflow_cc\.so\.2$/,
  /^tensorflow\/libtensorflow_framework\.so\.2$/,
  /^tensorflow\/include\/tensorflow\/c\//,
  /^tensorflow\/include\/tensorflow\/core\/platform\//,
  /^tensorflow\/include\/tsl\//,
  /^tensorflow\/include\/xla\/tsl\//,
];

// Streams only the wanted members out of the (274 MB, zip) wheel: libraries into lib/, headers into include/.
const EXTRACT = `
import re, shutil, sys, zipfile, os
wheel, dest = sys.argv[1], sys.argv[2]
wanted = [re.compile(p) for p in sys.argv[3:]]
n = 0
with zipfile.ZipFile(wheel) as z:
    for info in z.infolist():
        if info.is_dir() or not any(p.search(info.filename) for p in wanted):
            continue
        name = info.filename[len('tensorflow/'):]
        target = os.path.join(dest, name if name.startswith('include/') else os.path.join('lib', name))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with z.open(info) as src, open(target + '.part', 'wb') as out:
            shutil.copyfileobj(src, out, 1 << 20)
        os.replace(target + '.part', target)
        n += 1
print(n)
`;

/**
 * Unpacks the libraries and headers of a TensorFlow wheel into `dest` (`dest/lib/libtensorflow_cc.so.2`,
 * `dest/include/tensorflow/c/…`).
 *
 * @returns how many files were written.
 * @throws {@link UGATITError} when the wheel lacks the C library (not a TensorFlow wheel, or a
 *   platform without it).
 */
export async function extractTensorflowWheel(python: string, wheel: string, dest: string): Promise<number> {
  mkdirSync(dest, { recursive: true });
  const out = await runCommand(`unpacking ${path.basename(wheel)}`, python, ['-c', EXTRACT, wheel, dest, ...WHEEL_MEMBERS.map((r) => r.source)]);
  for (const lib of ['lib/libtensorflow_cc.so.2', 'lib/libtensorflow_framework.so.2', 'include/tensorflow/c/c_api.h']) {
    if (!existsSync(path.join(dest, lib))) {
      throw new UGATITError(`setup-tensorflow: ${path.basename(wheel)} has no tensorflow/${lib.replace(/^lib\//, '')}; pass a TensorFlow ≥ 2.16 wheel for Linux`);
    }
  }
  return Number(out.trim().split('\n').pop());
}
