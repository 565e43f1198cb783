import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UGATITError } from '../errors';
import { moduleUrl } from '../module-location';

/** Which npm package carries the native backend: CPU TensorFlow or CUDA TensorFlow. */
export type TfjsNodeVariant = 'cpu' | 'gpu';

/** Where an installed `@tensorflow/tfjs-node` (or `-gpu`) keeps what the native backend needs. */
export interface TfjsNodePackage {
  /** `@tensorflow/tfjs-node` or `@tensorflow/tfjs-node-gpu`. */
  name: string;
  /** Its version (`package.json`). */
  version: string;
  /** The package folder. */
  root: string;
  /** Where its binding looks for `libtensorflow*.so` (`deps/lib`, the binding's rpath). */
  libDir: string;
  /** Where `binding.gyp` looks for TensorFlow's C headers (`deps/include`). */
  includeDir: string;
  /** The compiled binding the package loads (`lib/napi-vN/tfjs_binding.node`). */
  bindingPath: string;
}

/** The npm package name of a variant. */
export function tfjsNodePackageName(variant: TfjsNodeVariant): string {
  return variant === 'gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
}

/**
 * Finds the installed tfjs-node package of `variant`, resolving from `fromDirs` in order (by
 * default the working directory, then this library's own location).
 *
 * @throws {@link UGATITError} naming the install command when it is not installed.
 */
export function findTfjsNodePackage(variant: TfjsNodeVariant, fromDirs = defaultResolutionDirs()): TfjsNodePackage {
  const name = tfjsNodePackageName(variant);
  for (const dir of fromDirs) {
    let pkgJson: string;
    try {
      pkgJson = createRequire(path.join(dir, 'noop.js')).resolve(`${name}/package.json`);
    } catch {
      continue;
    }
    const root = path.dirname(pkgJson);
    const pkg = JSON.parse(readFileSync(pkgJson, 'utf8')) as { version: string; binary?: { module_path?: string } };
    // node-pre-gyp's own lookup: the binding loader of the package uses it, so the path agrees.
    const preGyp = createRequire(pkgJson)('@mapbox/node-pre-gyp') as { find(packageJson: string): string };
    return {
      name, version: pkg.version, root,
      libDir: path.join(root, 'deps', 'lib'),
      includeDir: path.join(root, 'deps', 'include'),
      bindingPath: preGyp.find(pkgJson),
    };
  }
  throw new UGATITError(`${name} is not installed here; install it without its download step first: `
    + `npm i --ignore-scripts ${name}@4.22.0`);
}

function defaultResolutionDirs(): string[] {
  const here = moduleUrl();
  return here ? [process.cwd(), path.dirname(fileURLToPath(here))] : [process.cwd()];
}

/** Whether the package holds a built binding and the TensorFlow library it links against. */
export function hasNativeBinding(pkg: TfjsNodePackage): boolean {
  return existsSync(pkg.bindingPath) && existsSync(path.join(pkg.libDir, 'libtensorflow.so.2'));
}
