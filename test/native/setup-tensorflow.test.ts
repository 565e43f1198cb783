/**
 * `setupTensorflow` / `ugatit-tf setup-tensorflow`: a rerun on a working build is a no-op that
 * still checks the backend, and every bad input is refused, naming it, before anything of an
 * existing build is removed.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupTensorflow } from '../../src/native/setup-tensorflow';
import { backendUnavailable } from '../helpers/backends';
import { runProcess } from '../helpers/processes';

const ROOT = path.resolve(__dirname, '../..');
const REAL_PACKAGE = path.join(ROOT, 'node_modules/@tensorflow/tfjs-node/package.json');

/**
 * A project whose tfjs-node is a copy of the real package.json with a sentinel in deps/:
 * inside the repository, so that the package's own node-pre-gyp resolves as it would.
 */
let project: string;
let sentinel: string;

beforeAll(() => {
  mkdirSync(path.join(ROOT, '.tmp'), { recursive: true });
  project = mkdtempSync(path.join(ROOT, '.tmp', 'setup-tensorflow-'));
  const pkg = path.join(project, 'node_modules/@tensorflow/tfjs-node');
  mkdirSync(path.join(pkg, 'deps/lib'), { recursive: true });
  writeFileSync(path.join(pkg, 'package.json'), readFileSync(REAL_PACKAGE));
  sentinel = path.join(pkg, 'deps/lib/libtensorflow.so.2');
  writeFileSync(sentinel, 'an existing build');
});

afterAll(() => rmSync(project, { recursive: true, force: true }));

describe('setupTensorflow refuses bad input before touching an existing build', () => {
  const setup = (options: Parameters<typeof setupTensorflow>[0]) => setupTensorflow({ resolveFrom: [project], ...options });

  it('names the install command when tfjs-node is not installed', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'no-tfjs-node-'));
    try {
      await expect(setupTensorflow({ resolveFrom: [empty] })).rejects.toThrow('npm i --ignore-scripts @tensorflow/tfjs-node@4.22.0');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('refuses --wheel and --from together', async () => {
    await expect(setup({ wheel: 'a.whl', from: 'b' })).rejects.toThrow('give --wheel or --from, not both');
  });

  it('names a missing wheel and keeps the build', async () => {
    await expect(setup({ wheel: path.join(project, 'missing.whl'), force: true })).rejects.toThrow(`no wheel at ${path.join(project, 'missing.whl')}`);
    expect(existsSync(sentinel)).toBe(true);
  });

  it('names what a --from folder lacks and keeps the build', async () => {
    const folder = mkdtempSync(path.join(project, 'not-tensorflow-'));
    await expect(setup({ from: folder, force: true })).rejects.toThrow(`${folder} has no libtensorflow_cc.so.2`);
    writeFileSync(path.join(folder, 'libtensorflow_cc.so.2'), '');
    writeFileSync(path.join(folder, 'libtensorflow_framework.so.2'), '');
    await expect(setup({ from: folder, force: true })).rejects.toThrow(`${folder} has no include/tensorflow/c/c_api.h`);
    expect(existsSync(sentinel)).toBe(true);
  });
});

const unavailable = backendUnavailable('tensorflow');
describe.skipIf(unavailable)(`ugatit-tf setup-tensorflow on this machine's build${unavailable ? ` [skipped: ${unavailable.split('\n')[0]}]` : ''}`, () => {
  it('reruns as a no-op that loads the backend and reports its TensorFlow version', async () => {
    const r = await runProcess(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), path.join(ROOT, 'src/cli/main.ts'), 'setup-tensorflow'], ROOT);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/@tensorflow\/tfjs-node already runs on TensorFlow \d+\.\d+\.\d+ .*nothing to do/);
  }, 120_000);
});
