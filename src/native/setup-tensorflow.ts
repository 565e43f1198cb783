import { existsSync, readFileSync, rmSync, symlinkSync, writeFileSync, copyFileSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { UGATITError } from '../errors';
import { buildBinding } from './build-binding';
import { installCudaLibraries } from './cuda-libraries';
import { runCommand } from './run-command';
import { checkPlatform, DEFAULT_TENSORFLOW_VERSION, downloadTensorflowWheel, extractTensorflowWheel, findPython } from './tensorflow-wheel';
import { findTfjsNodePackage, hasNativeBinding, type TfjsNodePackage, type TfjsNodeVariant } from './tfjs-node-package';

/** Options of {@link setupTensorflow}. */
export interface SetupTensorflowOptions {
  /** `cpu` sets up `@tensorflow/tfjs-node`, `gpu` `@tensorflow/tfjs-node-gpu` with CUDA TensorFlow. Default `cpu`. */
  variant?: TfjsNodeVariant;
  /** A TensorFlow wheel file to use instead of downloading one. */
  wheel?: string;
  /** A TensorFlow installation (the `tensorflow` package folder, or an unpacked wheel's) to take the library and headers from. */
  from?: string;
  /** TensorFlow version to download. Default {@link DEFAULT_TENSORFLOW_VERSION}. */
  version?: string;
  /** Rebuild even when a working build of the same TensorFlow is there. */
  force?: boolean;
  /** Folders to find the tfjs-node package from. Default: the working directory, then this library. */
  resolveFrom?: string[];
  /** Progress messages (one per step) and tool output lines. */
  onProgress?: (message: string) => void;
}

/** What {@link setupTensorflow} did. */
export interface SetupTensorflowResult {
  /** The tfjs-node package made usable. */
  package: TfjsNodePackage;
  /** TensorFlow version the binding reports (`TF_Version()`). */
  tensorflowVersion: string;
  /** False when a working build was already there. */
  built: boolean;
  /** Seconds taken. */
  seconds: number;
}

/** What the last successful setup wrote, in `deps/`, to make reruns a no-op. */
interface Stamp { variant: TfjsNodeVariant; source: string; tensorflowVersion: string; napi: string; node: string }
const STAMP_FILE = 'ugatit-tf-setup.json';

/**
 * Makes `@tensorflow/tfjs-node` (or `-gpu`) usable where its install step cannot download
 * libtensorflow: takes TensorFlow's C library and headers from a current TensorFlow wheel
 * (downloaded with pip, or given), puts them where the package's binding expects them, compiles
 * the binding with node-gyp and checks it by running one op in a fresh process.
 * Idempotent: a working build from the same source is left alone.
 *
 * @example
 * ```ts
 * const { tensorflowVersion } = await setupTensorflow({ onProgress: console.log });
 * ```
 * @throws {@link UGATITError} naming what is missing: the package, python/pip, a compiler, a platform without wheels.
 */
export async function setupTensorflow(options: SetupTensorflowOptions = {}): Promise<SetupTensorflowResult> {
  const started = Date.now();
  const variant = options.variant ?? 'cpu';
  const say = options.onProgress ?? (() => {});
  const version = options.version ?? DEFAULT_TENSORFLOW_VERSION;
  if (options.wheel && options.from) throw new UGATITError('setup-tensorflow: give --wheel or --from, not both');
  const pkg = findTfjsNodePackage(variant, options.resolveFrom);
  const source = options.from ? path.resolve(options.from) : options.wheel ? path.resolve(options.wheel) : `${variant === 'gpu' ? 'tensorflow' : 'tensorflow-cpu'}==${version}`;
  const stampPath = path.join(pkg.root, 'deps', STAMP_FILE);

  if (!options.force && hasNativeBinding(pkg) && existsSync(stampPath)) {
    const stamp = JSON.parse(readFileSync(stampPath, 'utf8')) as Stamp;
    if (stamp.variant === variant && stamp.source === source && stamp.node === process.versions.modules) {
      const tensorflowVersion = await verifyBinding(pkg).catch(() => null);
      if (tensorflowVersion) {
        say(`${pkg.name} already runs on TensorFlow ${tensorflowVersion} (from ${source}); nothing to do (--force rebuilds)`);
        return { package: pkg, tensorflowVersion, built: false, seconds: (Date.now() - started) / 1000 };
      }
    }
  }

  checkPlatform();
  // Every input is checked before deps/ is cleared: a mistyped path must not break a working build.
  if (options.from) checkInstallation(path.resolve(options.from));
  if (options.wheel && !existsSync(path.resolve(options.wheel))) throw new UGATITError(`setup-tensorflow: no wheel at ${path.resolve(options.wheel)}`);
  const python = options.from ? '' : findPython();
  say(`setting up ${pkg.name} ${pkg.version} in ${pkg.root}`);
  rmSync(path.join(pkg.root, 'deps'), { recursive: true, force: true });
  mkdirSync(pkg.libDir, { recursive: true });
  let wheel: string | undefined;
  if (options.from) {
    say(`1/4 taking TensorFlow's C library and headers from ${options.from}`);
    copyInstallation(path.resolve(options.from), path.join(pkg.root, 'deps'));
  } else {
    wheel = options.wheel ? path.resolve(options.wheel) : undefined;
    if (!wheel) {
      say(`1/4 downloading ${source} with pip (a few hundred MB, cached for later runs)`);
      wheel = await downloadTensorflowWheel(python, variant, version, (l) => say(`    ${l}`));
    }
    say(`2/4 unpacking the C library and headers of ${path.basename(wheel)}`);
    await extractTensorflowWheel(python, wheel, path.join(pkg.root, 'deps'));
    if (variant === 'gpu') {
      say('    downloading the CUDA libraries the wheel requires (several GB)');
      const libs = await installCudaLibraries(python, wheel, pkg.libDir, (l) => say(`    ${l}`));
      say(`    ${libs.join(', ')}`);
    }
  }
  linkLibraries(pkg.root);
  say('3/4 compiling the binding with node-gyp');
  await buildBinding(pkg.root, pkg.bindingPath, (l) => { if (/error|warning: unused/i.test(l)) say(`    ${l}`); });
  say('4/4 checking the backend with one op in a fresh process');
  const tensorflowVersion = await verifyBinding(pkg);
  const stamp: Stamp = { variant, source, tensorflowVersion, napi: process.versions.napi ?? '', node: process.versions.modules };
  writeFileSync(stampPath, JSON.stringify(stamp, null, 2) + '\n');
  const seconds = (Date.now() - started) / 1000;
  say(`${pkg.name} runs on TensorFlow ${tensorflowVersion} (${seconds.toFixed(0)} s)`);
  return { package: pkg, tensorflowVersion, built: true, seconds };
}

// The binding links -ltensorflow (libtensorflow.so[.2] in tfjs-node's own downloads); the
// wheels ship the same C API inside libtensorflow_cc.so.2.
function linkLibraries(root: string): void {
  const lib = path.join(root, 'deps', 'lib');
  for (const [name, target] of [
    ['libtensorflow.so', 'libtensorflow_cc.so.2'], ['libtensorflow.so.2', 'libtensorflow_cc.so.2'],
    ['libtensorflow_framework.so', 'libtensorflow_framework.so.2'],
  ] as const) {
    rmSync(path.join(lib, name), { force: true });
    symlinkSync(target, path.join(lib, name));
  }
}

const LIBRARIES = ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2'];

function checkInstallation(from: string): void {
  for (const lib of LIBRARIES) {
    if (!existsSync(path.join(from, lib))) throw new UGATITError(`setup-tensorflow --from: ${from} has no ${lib} (give the tensorflow package folder)`);
  }
  if (!existsSync(path.join(from, 'include', 'tensorflow', 'c', 'c_api.h'))) throw new UGATITError(`setup-tensorflow --from: ${from} has no include/tensorflow/c/c_api.h`);
}

function copyInstallation(from: string, deps: string): void {
  for (const lib of LIBRARIES) copyFileSync(path.join(from, lib), path.join(deps, 'lib', lib));
  const include = path.join(from, 'include');
  for (const sub of ['tensorflow/c', 'tensorflow/core/platform', 'tsl', 'xla/tsl']) copyTree(path.join(include, sub), path.join(deps, 'include', sub));
}

function copyTree(from: string, to: string): void {
  if (!existsSync(from)) return;
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from)) {
    const f = path.join(from, entry);
    if (statSync(f).isDirectory()) copyTree(f, path.join(to, entry));
    else copyFileSync(f, path.join(to, entry));
  }
}

// A child process: a binding that crashes on load must not take this process with it.
const VERIFY = `
const tf = require(process.argv[1]);
const y = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5], [6]])).dataSync();
if (tf.getBackend() !== 'tensorflow' || y[0] !== 17 || y[1] !== 39) { console.error('wrong result ' + Array.from(y) + ' on ' + tf.getBackend()); process.exit(1); }
console.log(tf.backend().binding.TF_Version);
`;

/** Loads the package in a fresh Node process, runs a matMul on `tensorflow` and returns TensorFlow's version. */
export async function verifyBinding(pkg: TfjsNodePackage): Promise<string> {
  const out = await runCommand(`loading ${pkg.name}`, process.execPath, ['-e', VERIFY, pkg.root],
    { env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' } });
  return out.trim().split('\n').pop()!;
}
