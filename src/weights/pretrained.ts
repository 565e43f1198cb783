import * as tfl from '@tensorflow/tfjs-layers';
import { UGATITConfigError, UGATITFormatError } from '../errors';
import { isAbsentFileError } from '../io/file-errors';
import { loadLayersModelFromDir, MODEL_JSON_FILE } from '../io/file-handler';
import { moduleUrl } from '../module-location';
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
  /**
   * Also load the four discriminators (`disGA`, `disGB`, `disLA`, `disLB`), which fine-tuning
   * needs. The npm package ships the generators only; in Node the discriminators are read from
   * the weights folder when it holds them (a clone of the repository, or `baseUrl`), and
   * otherwise from the companion package `ugatit-tf-<name>-discriminators`
   * (`npm i ugatit-tf-avatars-discriminators`). In browsers they are read from
   * `<baseUrl>/<name>/`. Default false.
   */
  discriminators?: boolean;
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

/** Networks returned by {@link loadPretrained} (only the requested ones are set). */
export interface PretrainedGenerators {
  /** Generator A → B. */
  genA2B?: tfl.LayersModel;
  /** Generator B → A. */
  genB2A?: tfl.LayersModel;
  /** Global discriminator of domain A (with `discriminators: true`). */
  disGA?: tfl.LayersModel;
  /** Global discriminator of domain B (with `discriminators: true`). */
  disGB?: tfl.LayersModel;
  /** Local discriminator of domain A (with `discriminators: true`). */
  disLA?: tfl.LayersModel;
  /** Local discriminator of domain B (with `discriminators: true`). */
  disLB?: tfl.LayersModel;
  /** `provenance.json`, when present. */
  provenance: WeightsProvenance | null;
  /** Where the weights came from (a folder in Node, a URL in browsers). */
  source: string;
  /** Where the discriminators came from, when loaded. */
  discriminatorsSource?: string;
}

/** Names of the four discriminators, in the order the trainer lists them. */
const DISCRIMINATORS = ['disGA', 'disGB', 'disLA', 'disLB'] as const;
type NetworkKey = 'genA2B' | 'genB2A' | (typeof DISCRIMINATORS)[number];

/** Names of the weights that ship with the package. */
export const PRETRAINED_NAMES: readonly string[] = ['avatars'];

const isNode = (): boolean => typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined';

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
  if (!here) throw new UGATITConfigError('loadPretrained: cannot locate the package folder; pass baseUrl');
  let dir = path.dirname(url.fileURLToPath(here));
  for (;;) {
    const pkg = await fs.readFile(path.join(dir, 'package.json'), 'utf8').then((s) => JSON.parse(s) as { name?: string }, () => null);
    if (pkg?.name === 'ugatit-tf') return path.join(dir, 'weights');
    const up = path.dirname(dir);
    if (up === dir) throw new UGATITConfigError('loadPretrained: the ugatit-tf package folder was not found above this module; pass baseUrl');
    dir = up;
  }
}

/**
 * The npm package that holds the discriminators of the provided weights `name` (they are left
 * out of ugatit-tf's own package, which they would make five times larger).
 *
 * @example
 * ```ts
 * discriminatorPackageName('avatars'); // 'ugatit-tf-avatars-discriminators'
 * ```
 */
export function discriminatorPackageName(name: string): string {
  return `ugatit-tf-${name}-discriminators`;
}

/** `weights/<name>` of the installed discriminator package, seen from the working folder or from this module; null if not installed. */
async function discriminatorPackageDir(name: string): Promise<string | null> {
  const [{ createRequire }, path, url] = await Promise.all([import('node:module'), import('node:path'), import('node:url')]);
  const here = moduleUrl();
  const from = [path.join(process.cwd(), 'package.json'), ...(here ? [url.fileURLToPath(here)] : [])];
  for (const origin of from) {
    try {
      const pkg = createRequire(origin).resolve(`${discriminatorPackageName(name)}/package.json`);
      return path.join(path.dirname(pkg), 'weights', name);
    } catch (e) {
      if ((e as { code?: string }).code !== 'MODULE_NOT_FOUND') throw e;
    }
  }
  return null;
}

function wanted(direction: PretrainedDirection): Array<'genA2B' | 'genB2A'> {
  if (direction === 'a2b') return ['genA2B'];
  if (direction === 'b2a') return ['genB2A'];
  if (direction === 'both') return ['genA2B', 'genB2A'];
  throw new UGATITConfigError(`loadPretrained: direction must be 'a2b', 'b2a' or 'both', received ${JSON.stringify(direction)}`);
}

async function exists(file: string): Promise<boolean> {
  const fs = await import('node:fs/promises');
  return fs.stat(file).then(() => true, (e: unknown) => {
    if (isAbsentFileError(e)) return false;
    throw e;
  });
}

/** Loads `names` from `<dir>/<name>/`, all or none: what was loaded is disposed when one fails. */
async function loadNetworks(dir: string, names: readonly NetworkKey[], expected: string): Promise<Partial<Record<NetworkKey, tfl.LayersModel>>> {
  const path = await import('node:path');
  const missing: string[] = [];
  for (const name of names) if (!(await exists(path.join(dir, name, MODEL_JSON_FILE)))) missing.push(name);
  if (missing.length > 0) throw new UGATITFormatError(dir, `no ${missing.map((n) => `${n}/${MODEL_JSON_FILE}`).join(', ')}; expected ${expected}`);
  const out: Partial<Record<NetworkKey, tfl.LayersModel>> = {};
  try {
    for (const name of names) out[name] = await loadLayersModelFromDir(path.join(dir, name));
  } catch (e) {
    for (const m of Object.values(out)) m.dispose();
    throw e;
  }
  return out;
}

async function readProvenance(dir: string): Promise<WeightsProvenance | null> {
  const [fs, path] = await Promise.all([import('node:fs/promises'), import('node:path')]);
  const file = path.join(dir, 'provenance.json');
  const text = await fs.readFile(file, 'utf8').catch((e: unknown) => {
    if (isAbsentFileError(e)) return null;
    throw e;
  });
  if (text === null) return null;
  try {
    return JSON.parse(text) as WeightsProvenance;
  } catch (e) {
    throw new UGATITFormatError(file, `not valid JSON (${(e as Error).message})`);
  }
}

/** Options of {@link loadGeneratorsFromDir}. */
export interface LoadFromDirOptions {
  /** Also load `disGA`, `disGB`, `disLA` and `disLB` from the folder. Default false. */
  discriminators?: boolean;
}

/**
 * Loads the generators of a folder laid out as `<dir>/{genA2B,genB2A}/model.json` (+ an
 * optional `provenance.json`), the layout of the shipped weights and of training checkpoints;
 * with `discriminators`, the four discriminators of the same folder too (a weights folder
 * exported with `discriminators: true`, or a checkpoint). float32 and float16 weights are read.
 *
 * @example
 * ```ts
 * const { genA2B } = await loadGeneratorsFromDir('runs/avatars/ckpt-00020000', 'a2b');
 * const all = await loadGeneratorsFromDir('weights/avatars', 'both', { discriminators: true });
 * ```
 */
export async function loadGeneratorsFromDir(dir: string, direction: PretrainedDirection = 'both', options: LoadFromDirOptions = {}): Promise<PretrainedGenerators> {
  const names: NetworkKey[] = [...wanted(direction), ...(options.discriminators ? DISCRIMINATORS : [])];
  const expected = options.discriminators ? 'a weights folder with the six networks (genA2B/, genB2A/, disGA/, disGB/, disLA/, disLB/)'
    : 'a weights folder with genA2B/ and genB2A/';
  const networks = await loadNetworks(dir, names, expected);
  try {
    const provenance = await readProvenance(dir);
    return { ...networks, provenance, source: dir, ...(options.discriminators ? { discriminatorsSource: dir } : {}) };
  } catch (e) {
    for (const m of Object.values(networks)) m.dispose();
    throw e;
  }
}

/**
 * The four discriminators of the provided weights `name`, whose generators are in `dir`: from
 * `dir` itself when it holds them, else from the installed `ugatit-tf-<name>-discriminators`
 * package, which must come from the same export as the generators.
 */
async function loadPretrainedDiscriminators(name: string, dir: string, generators: WeightsProvenance | null, searchPackage: boolean) {
  const path = await import('node:path');
  let source = dir;
  if (searchPackage && !(await exists(path.join(dir, 'disGA', MODEL_JSON_FILE)))) {
    const installed = await discriminatorPackageDir(name);
    if (!installed) {
      const pkg = discriminatorPackageName(name);
      throw new UGATITConfigError(`loadPretrained: the discriminators of ${JSON.stringify(name)} (needed to fine-tune) are not in ${dir}; ` +
        `the ugatit-tf package ships the generators only: npm i ${pkg}`);
    }
    source = installed;
  }
  const provenance = source === dir ? generators : await readProvenance(source);
  const same = (k: string) => generators?.[k] === undefined || provenance?.[k] === undefined || generators[k] === provenance[k];
  if (!same('checkpoint') || !same('iteration') || !same('date')) {
    throw new UGATITFormatError(source, `discriminators of another export (iteration ${provenance?.iteration}, ${provenance?.date}) than the generators ` +
      `(iteration ${generators?.iteration}, ${generators?.date}); install the ${discriminatorPackageName(name)} version that matches ugatit-tf's`);
  }
  return { networks: await loadNetworks(source, DISCRIMINATORS, 'the four discriminators (disGA/, disGB/, disLA/, disLB/)'), source };
}

function checkName(name: string): void {
  if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    throw new UGATITConfigError(`loadPretrained: invalid weights name ${JSON.stringify(name)}`);
  }
}

/**
 * Loads the generators that ship with the package (see {@link listPretrained}): in Node from
 * `weights/<name>/` in the package folder, in browsers from `<baseUrl>/<name>/` with
 * `tf.loadLayersModel` (float16 weights are decoded by tfjs). The generators are light,
 * square, and expect [−1, 1] inputs of their input size: use {@link translate}. With
 * `discriminators: true`, the four discriminators too, for fine-tuning (see
 * {@link LoadPretrainedOptions.discriminators} for where they come from).
 *
 * @example
 * ```ts
 * const { genA2B, genB2A, provenance } = await loadPretrained('avatars');
 * const result = await translate(genA2B!, 'face.png');
 * // Fine-tuning: npm i ugatit-tf-avatars-discriminators
 * const { disGA, disGB, disLA, disLB } = await loadPretrained('avatars', { discriminators: true });
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
      throw new UGATITConfigError(`loadPretrained: no weights named ${JSON.stringify(name)} in ${base}` +
        (available.length ? ` (available: ${available.join(', ')})` : ' (the folder has no weights; run scripts/export-weights.ts)'));
    }
    const out = await loadGeneratorsFromDir(dir, direction);
    if (!options.discriminators) return out;
    try {
      const d = await loadPretrainedDiscriminators(name, dir, out.provenance, !options.baseUrl);
      return { ...out, ...d.networks, discriminatorsSource: d.source };
    } catch (e) {
      out.genA2B?.dispose();
      out.genB2A?.dispose();
      throw e;
    }
  }
  const base = (options.baseUrl ?? new URL('../weights/', moduleUrl() ?? 'http://localhost/').href).replace(/\/?$/, '/');
  const out: PretrainedGenerators = { provenance: null, source: `${base}${name}/` };
  const all: NetworkKey[] = [...names, ...(options.discriminators ? DISCRIMINATORS : [])];
  for (const net of all) out[net] = await tfl.loadLayersModel(`${base}${name}/${net}/${MODEL_JSON_FILE}`);
  if (options.discriminators) out.discriminatorsSource = out.source;
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
