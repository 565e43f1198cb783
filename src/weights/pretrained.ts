import * as tfl from '@tensorflow/tfjs-layers';
import { UgatitConfigError, UgatitFormatError } from '../errors';
import { loadLayersModelFromDir, MODEL_JSON_FILE } from '../io/file-handler';
// Registers the custom layers the saved topologies name.
import '../layers';

/** Which generators to load: A→B, B→A or both. */
export type PretrainedDirection = 'a2b' | 'b2a' | 'both';

/** Options of {@link loadPretrained}. */
export interface LoadPretrainedOptions {
  /** Generators to load. Default `'both'`. */
  direction?: PretrainedDirection;
  /**
   * Browsers: URL of the folder holding `<name>/genA2B/model.json` etc. Default: the package's
   * `weights/` folder next to the module (what a CDN such as jsDelivr serves). Node: a folder
   * to read instead of the package's `weights/`.
   */
  baseUrl?: string;
}

/** What the weights were trained with, from `provenance.json` next to them. */
export interface WeightsProvenance {
  /** Training iterations completed. */
  iteration?: number;
  /** The training configuration (size, ngf, blocks, light, …). */
  config?: Record<string, unknown>;
  /** When the weights were exported (ISO 8601). */
  date?: string;
  /** The commands that produced them. */
  command?: string;
  /** Anything else the exporter recorded. */
  [key: string]: unknown;
}

/** Generators returned by {@link loadPretrained} (only the requested ones are set). */
export interface PretrainedGenerators {
  /** Generator A → B. */
  genA2B?: tfl.LayersModel;
  /** Generator B → A. */
  genB2A?: tfl.LayersModel;
  /** `provenance.json`, when present. */
  provenance: WeightsProvenance | null;
  /** Where the weights came from (a folder in Node, a URL in browsers). */
  source: string;
}

/** Names of the weights that ship with the package. */
export const PRETRAINED_NAMES: readonly string[] = ['avatars'];

const isNode = (): boolean => typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined';

function moduleUrl(): string | null {
  try {
    // Empty in the CommonJS build, where __filename is used instead.
    const url = import.meta.url;
    if (url) return url;
  } catch {
    /* not an ES module */
  }
  return typeof __filename !== 'undefined' ? `file://${__filename}` : null;
}

/**
 * The package's `weights/` folder in Node: walks up from this module (in `src/weights/` under
 * tsx, in `dist/` when built) to the folder of ugatit-tf's `package.json`.
 *
 * @example
 * ```ts
 * const dir = await packageWeightsDir(); // …/node_modules/ugatit-tf/weights
 * ```
 */
export async function packageWeightsDir(): Promise<string> {
  const [fs, path, url] = await Promise.all([import('node:fs/promises'), import('node:path'), import('node:url')]);
  const here = moduleUrl();
  if (!here) throw new UgatitConfigError('loadPretrained: cannot locate the package folder; pass baseUrl');
  let dir = path.dirname(url.fileURLToPath(here));
  for (;;) {
    const pkg = await fs.readFile(path.join(dir, 'package.json'), 'utf8').then((s) => JSON.parse(s) as { name?: string }, () => null);
    if (pkg?.name === 'ugatit-tf') return path.join(dir, 'weights');
    const up = path.dirname(dir);
    if (up === dir) throw new UgatitConfigError('loadPretrained: the ugatit-tf package folder was not found above this module; pass baseUrl');
    dir = up;
  }
}

function wanted(direction: PretrainedDirection): Array<'genA2B' | 'genB2A'> {
  if (direction === 'a2b') return ['genA2B'];
  if (direction === 'b2a') return ['genB2A'];
  if (direction === 'both') return ['genA2B', 'genB2A'];
  throw new UgatitConfigError(`loadPretrained: direction must be 'a2b', 'b2a' or 'both', received ${JSON.stringify(direction)}`);
}

/**
 * Loads the generators of a folder laid out as `<dir>/{genA2B,genB2A}/model.json` (+ an
 * optional `provenance.json`), the layout of the shipped weights and of training checkpoints.
 *
 * @example
 * ```ts
 * const { genA2B } = await loadGeneratorsFromDir('runs/avatars/ckpt-00020000', 'a2b');
 * ```
 */
export async function loadGeneratorsFromDir(dir: string, direction: PretrainedDirection = 'both'): Promise<PretrainedGenerators> {
  const [fs, path] = await Promise.all([import('node:fs/promises'), import('node:path')]);
  const names = wanted(direction);
  const out: PretrainedGenerators = { provenance: null, source: dir };
  for (const name of names) {
    const sub = path.join(dir, name);
    if (!(await fs.stat(path.join(sub, MODEL_JSON_FILE)).then(() => true, () => false))) {
      throw new UgatitFormatError(dir, `no ${name}/${MODEL_JSON_FILE}; expected a weights folder with genA2B/ and genB2A/`);
    }
    out[name] = await loadLayersModelFromDir(sub);
  }
  const text = await fs.readFile(path.join(dir, 'provenance.json'), 'utf8').catch(() => null);
  if (text !== null) {
    try {
      out.provenance = JSON.parse(text) as WeightsProvenance;
    } catch (e) {
      throw new UgatitFormatError(path.join(dir, 'provenance.json'), `not valid JSON (${(e as Error).message})`);
    }
  }
  return out;
}

function checkName(name: string): void {
  if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    throw new UgatitConfigError(`loadPretrained: invalid weights name ${JSON.stringify(name)}`);
  }
}

/**
 * Loads the generators that ship with the package (see {@link listPretrained}): in Node from
 * `weights/<name>/` in the package folder, in browsers from `<baseUrl>/<name>/` with
 * `tf.loadLayersModel` (float16 weights are decoded by tfjs). The generators are light,
 * square, and expect [−1, 1] inputs of their input size: use {@link translate}.
 *
 * @example
 * ```ts
 * const { genA2B, genB2A, provenance } = await loadPretrained('avatars');
 * const result = await translate(genA2B!, 'face.png');
 * ```
 */
export async function loadPretrained(name = 'avatars', options: LoadPretrainedOptions = {}): Promise<PretrainedGenerators> {
  checkName(name);
  const direction = options.direction ?? 'both';
  const names = wanted(direction);
  if (isNode() && (!options.baseUrl || !/^[a-z]+:\/\//i.test(options.baseUrl) || options.baseUrl.startsWith('file://'))) {
    const path = await import('node:path');
    const base = options.baseUrl ? options.baseUrl.replace(/^file:\/\//, '') : await packageWeightsDir();
    const dir = path.join(base, name);
    const fs = await import('node:fs/promises');
    if (!(await fs.stat(dir).then((s) => s.isDirectory(), () => false))) {
      const available = await listPretrained({ baseUrl: base });
      throw new UgatitConfigError(`loadPretrained: no weights named ${JSON.stringify(name)} in ${base}` +
        (available.length ? ` (available: ${available.join(', ')})` : ' (the folder has no weights; run scripts/export-weights.ts)'));
    }
    return loadGeneratorsFromDir(dir, direction);
  }
  const base = (options.baseUrl ?? new URL('../weights/', moduleUrl() ?? 'http://localhost/').href).replace(/\/?$/, '/');
  const out: PretrainedGenerators = { provenance: null, source: `${base}${name}/` };
  for (const net of names) out[net] = await tfl.loadLayersModel(`${base}${name}/${net}/${MODEL_JSON_FILE}`);
  try {
    const res = await fetch(`${base}${name}/provenance.json`);
    if (res.ok) out.provenance = (await res.json()) as WeightsProvenance;
  } catch {
    /* provenance is optional */
  }
  return out;
}

/**
 * Names of the pretrained weights available: in Node the folders of the package's `weights/`
 * (or `baseUrl`) holding both generators; in browsers {@link PRETRAINED_NAMES}.
 *
 * @example
 * ```ts
 * console.log(await listPretrained()); // ['avatars']
 * ```
 */
export async function listPretrained(options: { baseUrl?: string } = {}): Promise<string[]> {
  if (!isNode()) return [...PRETRAINED_NAMES];
  const [fs, path] = await Promise.all([import('node:fs/promises'), import('node:path')]);
  const base = options.baseUrl ?? (await packageWeightsDir());
  const entries = await fs.readdir(base, { withFileTypes: true }).catch(() => []);
  const names: string[] = [];
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const has = async (net: string) => fs.stat(path.join(base, e.name, net, MODEL_JSON_FILE)).then(() => true, () => false);
    if ((await has('genA2B')) && (await has('genB2A'))) names.push(e.name);
  }
  return names.sort();
}
