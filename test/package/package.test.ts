// The package as a user installs it: `npm pack`'s tarball installed into a new project with
// the tfjs peers, then the command line and both module formats used from there.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src';
import { builtPackage, ROOT, type BuiltPackage } from '../helpers/package-build';

const SAMPLE = path.join(ROOT, 'examples/samples/A/00000.png');
const repoPackage = JSON.parse(await fs.readFile(path.join(ROOT, 'package.json'), 'utf8')) as {
  version: string; dependencies: Record<string, string>; peerDependencies: Record<string, string>;
};
const installed = async (name: string) => (JSON.parse(await fs.readFile(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

let pkg: BuiltPackage;
let project: string;

interface Run { code: number; stdout: string; stderr: string }

/** Runs a command in the user's project, with none of the npm variables of the test run itself. */
async function run(file: string, args: string[], timeout = 120_000): Promise<Run> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) || /^npm_config_(cache|registry)$/i.test(k)));
  try {
    const { stdout, stderr } = await promisify(execFile)(file, args, { cwd: project, env, timeout, maxBuffer: 16 << 20 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout: string; stderr: string };
    return { code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout, stderr: err.stderr };
  }
}

const npm = (...args: string[]) => run('npm', [...args, '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error']);
const npx = (...args: string[]) => run('npx', ['--no-install', ...args]);

/** What both module formats print: the package's root export used as the README shows. */
const usage = (load: string) => `${load}
  await tf.setBackend('wasm');
  const { genA2B, provenance } = await u.loadPretrained('avatars', { direction: 'a2b' });
  const result = await u.translate(genA2B, 'sample.png');
  console.log(JSON.stringify({ shape: result.image.shape, iteration: provenance.iteration, classes: typeof u.AdaLIN, exports: Object.keys(u).length }));
  result.dispose();`;

/**
 * What both module formats print for the subpath exports: their functions, a reader from
 * `ugatit-tf/io` throwing the root's own error class, and the wasm training kernels installed
 * and restored through `ugatit-tf/backends`.
 */
const subpaths = (load: string) => `${load}
  await tf.setBackend('wasm');
  let sameErrorClass = false;
  try { io.readSafetensors(new Uint8Array(4)); } catch (e) { sameErrorClass = e instanceof u.UGATITFormatError; }
  const written = io.readSafetensors(io.writeSafetensors({ w: tf.ones([2]) }));
  const kernels = be.installWasmTrainingKernels();
  const installed = be.wasmTrainingKernelsInstalled();
  kernels.restore();
  console.log(JSON.stringify({
    io: [typeof io.readTorchCheckpoint, typeof io.unpickle, typeof io.readTFBundle].join(' '),
    backends: [typeof be.installWasmTrainingKernels, typeof be.useWasmThreadsInNode, typeof be.kernelSwap].join(' '),
    tensors: Object.keys(written).length, sameErrorClass, installed, restored: be.wasmTrainingKernelsInstalled(),
    ioAtRoot: 'readSafetensors' in u, backendsAtRoot: 'installWasmTrainingKernels' in u,
  }));`;

beforeAll(async () => {
  pkg = await builtPackage();
  project = await fs.mkdtemp(path.join(os.tmpdir(), 'ugatit-user-'));
  await fs.writeFile(path.join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true }));
  await fs.copyFile(SAMPLE, path.join(project, 'sample.png'));
  const r = await npm('install', pkg.tarball, `@tensorflow/tfjs-core@${await installed('@tensorflow/tfjs-core')}`,
    `@tensorflow/tfjs-layers@${await installed('@tensorflow/tfjs-layers')}`);
  expect(r.code, r.stderr).toBe(0);
}, 300_000);
afterAll(async () => { if (project) await fs.rm(project, { recursive: true, force: true }); });

describe('the npm package', () => {
  it('ships the generators and no discriminators: 2.7 MB of weights in a tarball under 4.5 MB', () => {
    const paths = pkg.files.map((f) => f.path);
    const entries = ['index', 'io', 'backends'].flatMap((e) => ['.js', '.cjs', '.d.ts', '.d.cts'].map((x) => `dist/${e}${x}`));
    for (const f of ['dist/cli.js', ...entries, 'README.md', 'LICENSE', 'package.json',
      'weights/avatars/provenance.json', 'weights/avatars/README.md']) expect(paths, f).toContain(f);
    const generators = pkg.files.filter((f) => /^weights\/avatars\/gen(A2B|B2A)\/(model\.json|weights\.bin)$/.test(f.path));
    expect(generators).toHaveLength(4);
    expect((generators.reduce((n, f) => n + f.size, 0) / 1e6).toFixed(1)).toBe('2.7');
    expect(paths.filter((p) => /\/dis(GA|GB|LA|LB)\//.test(p))).toEqual([]);
    // The rest: dist with source maps (three entry points, ESM and CommonJS) and the weights
    // card's pictures (its 16-column validation grid is 0.9 MB); the discriminators alone were 13.8 MB.
    expect(pkg.size).toBeLessThan(4.5e6);
  });

  it('declares the command line\'s default backend as a dependency, in the range of its tfjs peers', () => {
    expect(repoPackage.dependencies['@tensorflow/tfjs-backend-wasm']).toBe(repoPackage.peerDependencies['@tensorflow/tfjs-core']);
    expect(Object.keys(repoPackage.peerDependencies).sort()).toEqual(['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers']);
  });

  it('npx ugatit-tf translate works right after npm i ugatit-tf and the tfjs peers', async () => {
    const r = await npx('ugatit-tf', 'translate', 'sample.png', '--out', 'out');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/translating 1 image a2b with .*node_modules\/ugatit-tf\/weights\/avatars on wasm/);
    const input = decodeImage(await fs.readFile(SAMPLE));
    const output = decodeImage(await fs.readFile(path.join(project, 'out/sample.png')));
    expect([output.width, output.height]).toEqual([input.width, input.height]);
    // The wasm backend brings the cpu one, which --backend cpu uses.
    const cpu = await npx('ugatit-tf', 'translate', 'sample.png', '--out', 'out-cpu', '--backend', 'cpu');
    expect(cpu.code, cpu.stderr).toBe(0);
    expect(cpu.stderr).toMatch(/ on cpu$/m);
  });

  it.each([
    ['ESM', ['--input-type=module', '-e', usage(`import * as tf from '@tensorflow/tfjs-core';\nimport '@tensorflow/tfjs-backend-wasm';\nimport * as u from 'ugatit-tf';`)]],
    ['CommonJS', ['-e', `(async () => {${usage(`const tf = require('@tensorflow/tfjs-core');\nrequire('@tensorflow/tfjs-backend-wasm');\nconst u = require('ugatit-tf');`)}\n})()`]],
  ])('%s: import, load the provided weights, translate', async (_, args) => {
    const r = await run(process.execPath, args as string[]);
    expect(r.code, r.stderr).toBe(0);
    const printed = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { shape: number[]; iteration: number; classes: string; exports: number };
    const input = decodeImage(await fs.readFile(SAMPLE));
    expect(printed.shape).toEqual([1, input.height, input.width, 3]);
    expect(printed.iteration).toBe(JSON.parse(await fs.readFile(path.join(ROOT, 'weights/avatars/provenance.json'), 'utf8')).iteration);
    expect(printed.classes).toBe('function');
    expect(printed.exports).toBeGreaterThan(50);
  });

  it.each([
    ['ESM', ['--input-type=module', '-e', subpaths(`import * as tf from '@tensorflow/tfjs-core';\nimport '@tensorflow/tfjs-backend-wasm';\n`
      + `import * as u from 'ugatit-tf';\nimport * as io from 'ugatit-tf/io';\nimport * as be from 'ugatit-tf/backends';`)]],
    ['CommonJS', ['-e', `(async () => {${subpaths(`const tf = require('@tensorflow/tfjs-core');\nrequire('@tensorflow/tfjs-backend-wasm');\n`
      + `const u = require('ugatit-tf');\nconst io = require('ugatit-tf/io');\nconst be = require('ugatit-tf/backends');`)}\n})()`]],
  ])('%s: ugatit-tf/io and ugatit-tf/backends load, work, and share the root export\'s modules', async (_, args) => {
    const r = await run(process.execPath, args as string[]);
    expect(r.code, r.stderr).toBe(0);
    const printed = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(printed).toEqual({
      io: 'function function function', backends: 'function function function', tensors: 1, sameErrorClass: true,
      installed: true, restored: false, ioAtRoot: false, backendsAtRoot: false,
    });
  });

  it('the subpaths have types for import and require (tsc, moduleResolution node16)', async () => {
    await fs.writeFile(path.join(project, 'check.mts'), [
      "import { UGATITFormatError, type NamedTensors } from 'ugatit-tf';",
      "import { readSafetensors } from 'ugatit-tf/io';",
      "import { installWasmTrainingKernels, type InstalledWasmKernels } from 'ugatit-tf/backends';",
      'const k: InstalledWasmKernels = installWasmTrainingKernels();',
      'const t: NamedTensors = readSafetensors(new Uint8Array(0));',
      'export { k, t, UGATITFormatError };',
    ].join('\n'));
    await fs.writeFile(path.join(project, 'check.cts'), [
      "import io = require('ugatit-tf/io');",
      "import backends = require('ugatit-tf/backends');",
      "import root = require('ugatit-tf');",
      'const bytes: Uint8Array = io.writeSafetensors({});',
      'const names: readonly string[] = backends.TENSORFLOW_KERNEL_NAMES;',
      'const trainer: typeof root.UGATITTrainer = root.UGATITTrainer;',
      'export = { bytes, names, trainer };',
    ].join('\n'));
    const tsc = path.join(ROOT, 'node_modules/typescript/bin/tsc');
    const r = await run(process.execPath, [tsc, '--noEmit', '--strict', '--skipLibCheck', '--lib', 'es2022,dom',
      '--module', 'node16', '--moduleResolution', 'node16', 'check.mts', 'check.cts']);
    expect(r.code, `${r.stdout}${r.stderr}`).toBe(0);
  });

  it('fine-tuning: train --init avatars names the discriminator package, and runs once it is installed', async () => {
    for (const [split, domain] of [['trainA', 'A'], ['trainB', 'B'], ['testA', 'A'], ['testB', 'B']] as const) {
      await fs.mkdir(path.join(project, 'data', split), { recursive: true });
      await fs.copyFile(path.join(ROOT, 'examples/samples', domain, '00000.png'), path.join(project, 'data', split, '00000.png'));
    }
    const train = () => npx('ugatit-tf', 'train', '--data', 'data', '--out', 'run', '--init', 'avatars', '--iterations', '1', '--sample-every', '0');
    const without = await train();
    expect(without.code).toBe(1);
    expect(without.stderr).toMatch(/discriminators of "avatars" .*ships the generators only: npm i ugatit-tf-avatars-discriminators/);

    // The companion package: the four discriminators, 14 MB, version-locked to ugatit-tf.
    const weights = pkg.discriminators.files.filter((f) => /^weights\/avatars\/dis(GA|GB|LA|LB)\/(model\.json|weights\.bin)$/.test(f.path));
    expect(weights).toHaveLength(8);
    expect(Math.round(weights.reduce((n, f) => n + f.size, 0) / 1e6)).toBe(14);
    expect(pkg.discriminators.files.filter((f) => /gen(A2B|B2A)/.test(f.path))).toEqual([]);
    const installedCompanion = await npm('install', pkg.discriminators.tarball);
    expect(installedCompanion.code, installedCompanion.stderr).toBe(0);
    const companion = JSON.parse(await fs.readFile(path.join(project, 'node_modules/ugatit-tf-avatars-discriminators/package.json'), 'utf8'));
    expect(companion.version).toBe(repoPackage.version);
    expect(companion.peerDependencies).toEqual({ 'ugatit-tf': repoPackage.version });

    const withIt = await train();
    expect(withIt.code, withIt.stderr).toBe(0);
    expect(`${withIt.stdout}${withIt.stderr}`).toMatch(/initialised from avatars/);
    const state = JSON.parse(await fs.readFile(path.join(project, 'run/ckpt-00000001/state.json'), 'utf8'));
    expect(state.iteration).toBe(1);

    // Discriminators of another export than the generators are refused.
    const provenanceFile = path.join(project, 'node_modules/ugatit-tf-avatars-discriminators/weights/avatars/provenance.json');
    const provenance = JSON.parse(await fs.readFile(provenanceFile, 'utf8'));
    await fs.writeFile(provenanceFile, JSON.stringify({ ...provenance, iteration: provenance.iteration + 400 }));
    const mismatched = await npx('ugatit-tf', 'train', '--data', 'data', '--out', 'run2', '--init', 'avatars', '--iterations', '1');
    expect(mismatched.code).toBe(1);
    expect(mismatched.stderr).toMatch(new RegExp(`discriminators of another export \\(iteration ${provenance.iteration + 400}, .*\\) than the generators \\(iteration ${provenance.iteration},`));
  });

  it('dataset needs the renderers, which are not installed with the package, and says how to get them', async () => {
    const r = await npx('ugatit-tf', 'dataset', 'avatars', '--out', 'avatars', '--count', '1');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/needs '@dicebear\/core', which is not installed; run: npm install @dicebear\/core @dicebear\/collection @resvg\/resvg-js/);
  });
});
