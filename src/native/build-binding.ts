import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { UGATITError } from '../errors';
import { commandWorks, runCommand } from './run-command';

/**
 * node-gyp's entry script: `$npm_config_node_gyp` (set inside npm scripts), else the copy that
 * ships inside npm, else `node-gyp` on PATH.
 */
export function findNodeGyp(): string[] {
  const fromEnv = process.env.npm_config_node_gyp;
  if (fromEnv && existsSync(fromEnv)) return [process.execPath, fromEnv];
  const prefix = path.dirname(path.dirname(process.execPath));
  for (const candidate of [
    path.join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    path.join(path.dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ]) {
    if (existsSync(candidate)) return [process.execPath, candidate];
  }
  if (commandWorks('node-gyp')) return ['node-gyp'];
  throw new UGATITError('setup-tensorflow needs node-gyp (it ships with npm); none found: npm i -g node-gyp');
}

/**
 * Node's own headers, so that node-gyp does not download them: `$npm_config_nodedir`, else the
 * installation prefix when it has `include/node/node_api.h` (distribution packages, nvm, the
 * official tarballs). Undefined lets node-gyp fetch them.
 */
export function findNodeHeaders(): string | undefined {
  const fromEnv = process.env.npm_config_nodedir;
  if (fromEnv && existsSync(path.join(fromEnv, 'include', 'node', 'node_api.h'))) return fromEnv;
  const prefix = path.dirname(path.dirname(process.execPath));
  return existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined;
}

/** Fails early, and by name, when node-gyp's toolchain is missing. */
export function checkToolchain(): void {
  const cxx = process.env.CXX ?? 'c++';
  if (!commandWorks(cxx) && !commandWorks('g++') && !commandWorks('clang++')) {
    throw new UGATITError('setup-tensorflow needs a C++ compiler to build the binding (g++ or clang++): apt-get install -y g++ make');
  }
  if (!commandWorks('make')) throw new UGATITError('setup-tensorflow needs make to build the binding: apt-get install -y make');
}

/**
 * Compiles tfjs-node's N-API binding (`binding/*.cc`, its own `binding.gyp`) against the
 * TensorFlow headers and libraries already in its `deps/`, and installs it where the package
 * loads it from.
 */
export async function buildBinding(packageRoot: string, bindingPath: string, onLine?: (line: string) => void): Promise<void> {
  checkToolchain();
  const napi = /napi-v(\d+)/.exec(bindingPath)?.[1];
  if (!napi) throw new UGATITError(`setup-tensorflow: cannot tell the N-API version from the binding path ${bindingPath}`);
  const gyp = findNodeGyp();
  const headers = findNodeHeaders();
  const args = [...gyp.slice(1), 'rebuild', '--module_name=tfjs_binding', `--module_path=${path.dirname(bindingPath)}`, `--napi_build_version=${napi}`,
    ...(headers ? [`--nodedir=${headers}`] : [])];
  await runCommand('building the tfjs-node binding (node-gyp)', gyp[0]!, args, { cwd: packageRoot, onLine });
  const built = path.join(packageRoot, 'build', 'Release', 'tfjs_binding.node');
  if (!existsSync(bindingPath)) {
    if (!existsSync(built)) throw new UGATITError(`setup-tensorflow: node-gyp finished but wrote no ${built}`);
    mkdirSync(path.dirname(bindingPath), { recursive: true });
    copyFileSync(built, bindingPath);
  }
}
