import * as tf from '@tensorflow/tfjs-core';
import { writeFileDurably } from './durable-file';
import { loadLayersModel, version_layers } from '@tensorflow/tfjs-layers';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { UGATITFormatError } from '../errors';
import { isAbsentFileError } from './file-errors';
import { float32ToFloat16Bits } from './float16';

/**
 * Largest `model.json` accepted (64 MiB), checked before it is read.
 *
 * @example
 * ```ts
 * if (size > MODEL_JSON_MAX_BYTES) throw new Error('model.json too large');
 * ```
 */
export const MODEL_JSON_MAX_BYTES = 64 * 1024 * 1024;
/**
 * Most elements one weight of a `model.json` manifest may have (2²⁹).
 *
 * @example
 * ```ts
 * console.log(`weights up to ${MODEL_WEIGHT_MAX_ELEMENTS} elements`);
 * ```
 */
export const MODEL_WEIGHT_MAX_ELEMENTS = 2 ** 29;
/**
 * Most weights a `model.json` manifest may list.
 *
 * @example
 * ```ts
 * console.log(`at most ${MODEL_MAX_WEIGHTS} weights per model.json`);
 * ```
 */
export const MODEL_MAX_WEIGHTS = 100_000;

/**
 * Name of the topology + manifest file written by {@link fileSystemHandler}.
 *
 * @example
 * ```ts
 * await fs.readFile(`${dir}/${MODEL_JSON_FILE}`);
 * ```
 */
export const MODEL_JSON_FILE = 'model.json';
/**
 * Name of the weight file written by {@link fileSystemHandler}.
 *
 * @example
 * ```ts
 * await fs.stat(`${dir}/${WEIGHTS_BIN_FILE}`);
 * ```
 */
export const WEIGHTS_BIN_FILE = 'weights.bin';

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };
/** Bytes per element of a float32 weight stored as float16 (`quantization: { dtype: 'float16' }`). */
const FLOAT16_BYTES = 2;
const SAFE_PATH = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,254}$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function checkManifest(json: Record<string, unknown>): { groups: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[]; bytes: number }> } {
  const fail = (m: string): never => { throw new UGATITFormatError(MODEL_JSON_FILE, m); };
  if (!isObject(json.modelTopology)) fail('modelTopology is missing or not an object');
  for (const key of ['format', 'generatedBy'] as const) {
    if (json[key] !== undefined && typeof json[key] !== 'string') fail(`${key} is not a string`);
  }
  if (json.convertedBy !== undefined && json.convertedBy !== null && typeof json.convertedBy !== 'string') fail('convertedBy is not a string or null');
  for (const key of ['userDefinedMetadata', 'trainingConfig', 'signature', 'modelInitializer', 'initializerSignature'] as const) {
    if (json[key] !== undefined && !isObject(json[key])) fail(`${key} is not an object`);
  }
  const manifest = json.weightsManifest;
  if (!Array.isArray(manifest)) return fail('weightsManifest is missing or not an array');
  const names = new Set<string>();
  const paths = new Set<string>();
  const groups = manifest.map((g, gi) => {
    if (!isObject(g) || !Array.isArray(g.paths) || !Array.isArray(g.weights)) fail(`weightsManifest[${gi}] needs "paths" and "weights" arrays`);
    const group = g as { paths: unknown[]; weights: unknown[] };
    for (const p of group.paths) {
      if (typeof p !== 'string' || !SAFE_PATH.test(p)) fail(`weightsManifest[${gi}]: path ${JSON.stringify(p)} is not a plain file name in the model's folder`);
      if (paths.has(p as string)) fail(`weight file ${JSON.stringify(p)} is listed twice`);
      paths.add(p as string);
    }
    let bytes = 0;
    const weights = group.weights.map((w, wi) => {
      const where = `weightsManifest[${gi}].weights[${wi}]`;
      if (!isObject(w)) return fail(`${where} is not an object`);
      const { name, shape, dtype } = w;
      if (typeof name !== 'string' || name.length === 0 || name.length > 1024) fail(`${where}: name is not a non-empty string`);
      if (names.has(name as string)) fail(`${where}: weight "${name}" is listed twice`);
      if (names.size >= MODEL_MAX_WEIGHTS) fail(`more than ${MODEL_MAX_WEIGHTS} weights`);
      names.add(name as string);
      if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) fail(`${where} ("${name}"): dtype ${JSON.stringify(dtype)} is not float32, int32 or bool`);
      const float16 = w.quantization !== undefined;
      if (float16 && !(dtype === 'float32' && isObject(w.quantization) && w.quantization.dtype === 'float16'
        && (w.quantization.original_dtype === undefined || w.quantization.original_dtype === 'float32'))) {
        fail(`${where} ("${name}"): quantization ${JSON.stringify(w.quantization)?.slice(0, 200)} is not supported (only float16 storage of float32 weights)`);
      }
      if (w.group !== undefined && w.group !== 'model' && w.group !== 'optimizer') fail(`${where} ("${name}"): group ${JSON.stringify(w.group)}`);
      if (!Array.isArray(shape) || shape.length > 64 || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`${where} ("${name}"): invalid shape ${JSON.stringify(shape)}`);
      let count = 1;
      for (const d of shape as number[]) {
        count *= d;
        if (count > MODEL_WEIGHT_MAX_ELEMENTS) fail(`${where} ("${name}"): shape [${shape}] has more than ${MODEL_WEIGHT_MAX_ELEMENTS} elements`);
      }
      bytes += count * (float16 ? FLOAT16_BYTES : DTYPE_BYTES[dtype as string]!);
      const entry: tf.io.WeightsManifestEntry = { name: name as string, shape: [...(shape as number[])], dtype: dtype as 'float32' | 'int32' | 'bool' };
      if (w.group !== undefined) entry.group = w.group as tf.io.WeightGroup;
      // tfjs decodes float16 itself when the model is built, as it does in browsers.
      if (float16) entry.quantization = { dtype: 'float16', original_dtype: 'float32' } as tf.io.WeightsManifestEntry['quantization'];
      return entry;
    });
    return { paths: group.paths as string[], weights, bytes };
  });
  return { groups };
}

function parseModelJson(bytes: Uint8Array): Record<string, unknown> {
  if (bytes.byteLength > MODEL_JSON_MAX_BYTES) throw new UGATITFormatError(MODEL_JSON_FILE, `${bytes.byteLength} bytes, above the ${MODEL_JSON_MAX_BYTES}-byte limit`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw new UGATITFormatError(MODEL_JSON_FILE, `not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (!isObject(json)) throw new UGATITFormatError(MODEL_JSON_FILE, 'not a JSON object');
  return json;
}

/**
 * Builds tfjs model artifacts from the bytes of a `model.json` and of the weight files it
 * names, validating everything first: the JSON's structure, each weight's name (unique),
 * dtype (`float32`, `int32` or `bool`; float32 may be stored as float16, tfjs's
 * `quantization: { dtype: 'float16' }`, which tfjs decodes; no other quantization), shape and
 * element count, that every
 * weight path is a plain file name present in `files`, and that each manifest group's weight
 * bytes are exactly as long as its weights need.
 *
 * @param modelJson - the bytes of `model.json`.
 * @param files - weight file name → bytes (e.g. `{ 'weights.bin': … }`).
 * @throws {@link ugatit-tf!UGATITFormatError} naming the file and the problem.
 * @example
 * ```ts
 * const artifacts = modelArtifactsFromFiles(jsonBytes, { 'weights.bin': weightBytes });
 * const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
 * ```
 */
export function modelArtifactsFromFiles(modelJson: Uint8Array, files: Readonly<Record<string, Uint8Array>>): tf.io.ModelArtifacts {
  const json = parseModelJson(modelJson);
  const { groups } = checkManifest(json);
  const specs: tf.io.WeightsManifestEntry[] = [];
  const parts: Uint8Array[] = [];
  let total = 0;
  for (const g of groups) {
    let size = 0;
    for (const p of g.paths) {
      const data = Object.prototype.hasOwnProperty.call(files, p) ? files[p] : undefined;
      if (!data) throw new UGATITFormatError(MODEL_JSON_FILE, `weight file "${p}" is missing`);
      size += data.byteLength;
      parts.push(data);
    }
    if (size !== g.bytes) {
      throw new UGATITFormatError(g.paths.join(', ') || MODEL_JSON_FILE, `${size} bytes, but the manifest's ${g.weights.length} weights need ${g.bytes}`);
    }
    specs.push(...g.weights);
    total += size;
  }
  // One weight file that is a whole buffer (what fs.readFile returns for large files) is used as
  // is: a full 256 px generator's weights are a gigabyte, and a copy would double the peak.
  const only = parts.length === 1 ? parts[0]! : undefined;
  let weightData: ArrayBuffer;
  if (only && only.byteOffset === 0 && only.byteLength === only.buffer.byteLength && only.buffer instanceof ArrayBuffer) {
    weightData = only.buffer;
  } else {
    const joined = new Uint8Array(total);
    let at = 0;
    for (const p of parts) { joined.set(p, at); at += p.byteLength; }
    weightData = joined.buffer;
  }
  return tf.io.getModelArtifactsForJSONSync(json as unknown as tf.io.ModelJSON, specs, weightData);
}

function join(dir: string, name: string): string {
  return `${dir.replace(/[\\/]+$/, '')}/${name}`;
}

/** Options of {@link fileSystemHandler} and {@link saveLayersModelToDir}. */
export interface ModelFolderOptions {
  /**
   * Save every float32 weight as float16 (tfjs's `quantization: { dtype: 'float16' }` manifest
   * entry, half the bytes; values rounded to nearest even). Loading needs no option: float32
   * and float16 folders are both read. Default false.
   */
  float16?: boolean;
}

/** The weights re-encoded with every float32 weight as float16, and their manifest entries. */
function toFloat16(specs: tf.io.WeightsManifestEntry[], data: Uint8Array): { specs: tf.io.WeightsManifestEntry[]; data: Uint8Array } {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const parts: Uint8Array[] = [];
  const out: tf.io.WeightsManifestEntry[] = [];
  let offset = 0;
  for (const spec of specs) {
    if (spec.quantization !== undefined) throw new UGATITFormatError(MODEL_JSON_FILE, `weight "${spec.name}" is already quantized`);
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const bytes = count * DTYPE_BYTES[spec.dtype]!;
    if (spec.dtype === 'float32') {
      const half = new Uint8Array(count * FLOAT16_BYTES);
      const hv = new DataView(half.buffer);
      for (let i = 0; i < count; i++) hv.setUint16(FLOAT16_BYTES * i, float32ToFloat16Bits(view.getFloat32(offset + 4 * i, true)), true);
      parts.push(half);
      out.push({ ...spec, quantization: { dtype: 'float16', original_dtype: 'float32' } as tf.io.WeightsManifestEntry['quantization'] });
    } else {
      parts.push(data.subarray(offset, offset + bytes));
      out.push(spec);
    }
    offset += bytes;
  }
  const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { joined.set(p, at); at += p.length; }
  return { specs: out, data: joined };
}

/** Refuses a `model.json` that we could not read back with `weightBytes` bytes of weights, without copying them. */
function checkSavable(jsonBytes: Uint8Array, weightBytes: number): void {
  const { groups } = checkManifest(parseModelJson(jsonBytes));
  const needed = groups.reduce((n, g) => n + g.bytes, 0);
  if (needed !== weightBytes) {
    throw new UGATITFormatError(WEIGHTS_BIN_FILE, `${weightBytes} bytes, but the manifest's ${groups.reduce((n, g) => n + g.weights.length, 0)} weights need ${needed}`);
  }
}

/**
 * Writes `model.json` and `weights.bin` into `dir` so that a crash never leaves a `model.json`
 * pointing at a half-written weight file: both under temporary names, each flushed, then
 * `weights.bin` and finally `model.json` renamed into place, and the folder flushed where the
 * platform allows. `writeWeights` streams the weight bytes into the open file.
 */
async function writeModelFolder(
  dir: string, jsonBytes: Uint8Array, writeWeights: (write: (bytes: Uint8Array) => Promise<void>) => Promise<void>,
): Promise<void> {
  const fs = await import('node:fs/promises');
  await fs.mkdir(dir, { recursive: true });
  const tag = `.tmp-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  const tmpWeights = join(dir, WEIGHTS_BIN_FILE + tag);
  const tmpJson = join(dir, MODEL_JSON_FILE + tag);
  try {
    const handle = await fs.open(tmpWeights, 'wx');
    try {
      await writeWeights(async (bytes) => {
        for (let done = 0; done < bytes.byteLength;) done += (await handle.write(bytes, done, bytes.byteLength - done)).bytesWritten;
      });
      await handle.sync();
    } finally {
      await handle.close();
    }
    await writeFileDurably(fs, tmpJson, jsonBytes, 'wx');
    await fs.rename(tmpWeights, join(dir, WEIGHTS_BIN_FILE));
    await fs.rename(tmpJson, join(dir, MODEL_JSON_FILE));
  } catch (e) {
    await Promise.all([fs.rm(tmpWeights, { force: true }), fs.rm(tmpJson, { force: true })]).catch(() => undefined);
    throw e;
  }
  // Make the renames themselves durable where the platform allows fsync on a folder.
  try {
    const d = await fs.open(dir, 'r');
    try { await d.sync(); } finally { await d.close(); }
  } catch {
    /* Windows and some file systems cannot fsync a directory. */
  }
}

function saveResult(modelTopology: unknown, specs: tf.io.WeightsManifestEntry[], weightBytes: number): tf.io.SaveResult {
  return {
    modelArtifactsInfo: {
      dateSaved: new Date(),
      modelTopologyType: 'JSON',
      modelTopologyBytes: new TextEncoder().encode(JSON.stringify(modelTopology)).byteLength,
      weightSpecsBytes: new TextEncoder().encode(JSON.stringify(specs)).byteLength,
      weightDataBytes: weightBytes,
    },
  };
}

/**
 * A tfjs `IOHandler` that saves a model as `model.json` (tfjs layers format: `modelTopology`,
 * `weightsManifest` with paths `['weights.bin']`, `format`, `generatedBy`, `convertedBy`,
 * `userDefinedMetadata`, …) plus `weights.bin` in `dir`, and loads it back. Works in plain
 * Node (no tfjs-node); `node:fs` is imported only when `save`/`load` run, so bundling this
 * module for browsers is harmless.
 *
 * Saving writes both files under temporary names in `dir`, fsyncs them, then renames
 * `weights.bin` and finally `model.json` into place, so a crash never leaves a `model.json`
 * pointing at a half-written weight file. With `float16`, float32 weights are stored as
 * float16. Loading reads float32 and float16 folders alike, validates the manifest against
 * the weight bytes ({@link modelArtifactsFromFiles}) and throws {@link ugatit-tf!UGATITFormatError} on
 * a mismatch or a missing file; any other I/O error (permissions, EIO, …) is thrown as Node
 * reports it, so that callers can tell a broken folder from an unreadable one.
 *
 * @param dir - the model's folder (created on save if missing).
 * @param options - what saving writes (`float16`).
 * @example
 * ```ts
 * await model.save(fileSystemHandler('./checkpoints/genA2B'));
 * const again = await tf.loadLayersModel(fileSystemHandler('./checkpoints/genA2B'));
 * ```
 */
export function fileSystemHandler(dir: string, options: ModelFolderOptions = {}): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer || !isObject(artifacts.modelTopology)) {
        throw new UGATITFormatError(MODEL_JSON_FILE, 'only JSON model topologies (layers models) can be saved');
      }
      let specs = artifacts.weightSpecs ?? [];
      let weightBytes: Uint8Array = new Uint8Array(artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData));
      if (options.float16) ({ specs, data: weightBytes } = toFloat16(specs, weightBytes));
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-core v${tf.version_core}`,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [WEIGHTS_BIN_FILE], weights: specs }],
      };
      if (artifacts.trainingConfig !== undefined) modelJson.trainingConfig = artifacts.trainingConfig;
      if (artifacts.signature !== undefined) modelJson.signature = artifacts.signature;
      if (artifacts.userDefinedMetadata !== undefined) modelJson.userDefinedMetadata = artifacts.userDefinedMetadata;
      if (artifacts.modelInitializer !== undefined) modelJson.modelInitializer = artifacts.modelInitializer;
      if (artifacts.initializerSignature !== undefined) modelJson.initializerSignature = artifacts.initializerSignature;
      const jsonBytes = new TextEncoder().encode(JSON.stringify(modelJson));
      // Refuse to write what we could not read back.
      checkSavable(jsonBytes, weightBytes.byteLength);
      await writeModelFolder(dir, jsonBytes, (write) => write(weightBytes));
      return saveResult(artifacts.modelTopology, specs, weightBytes.byteLength);
    },

    async load(): Promise<tf.io.ModelArtifacts> {
      const fs = await import('node:fs/promises');
      const jsonPath = join(dir, MODEL_JSON_FILE);
      const absent = (what: string) => (e: unknown): never => {
        if (isAbsentFileError(e)) throw new UGATITFormatError(what, `not found (${(e as { code: string }).code})`);
        throw e;
      };
      const { size } = await fs.stat(jsonPath).catch(absent(jsonPath));
      if (size > MODEL_JSON_MAX_BYTES) throw new UGATITFormatError(MODEL_JSON_FILE, `${size} bytes, above the ${MODEL_JSON_MAX_BYTES}-byte limit`);
      const jsonBytes = new Uint8Array(await fs.readFile(jsonPath).catch(absent(jsonPath)));
      const { groups } = checkManifest(parseModelJson(jsonBytes));
      const files: Record<string, Uint8Array> = {};
      for (const p of groups.flatMap((g) => g.paths)) {
        try {
          files[p] = new Uint8Array(await fs.readFile(join(dir, p)));
        } catch (e) {
          if (isAbsentFileError(e)) throw new UGATITFormatError(MODEL_JSON_FILE, `weight file "${p}" is missing from ${dir}`);
          throw e;
        }
      }
      return modelArtifactsFromFiles(jsonBytes, files);
    },
  };
}

/** Elements converted to float16 per piece written, so the conversion never holds a second copy of a large weight. */
const FLOAT16_CHUNK = 1 << 22;

/**
 * Saves a tfjs layers model into `dir` as `model.json` + `weights.bin`: the files of
 * {@link fileSystemHandler}, written as crash-safely, but each weight streamed into
 * `weights.bin` rather than gathered in one buffer first as `model.save` does, so that saving
 * a full 256 px generator (a gigabyte of weights) needs no memory beyond the model's own.
 * `float16: true` halves the size (what the shipped weights use).
 *
 * @param model - the model to save.
 * @param dir - the target folder (created if missing).
 * @param config - `float16`, and tfjs save options (`trainableOnly`; `includeOptimizer` goes through `model.save`).
 * @example
 * ```ts
 * await saveLayersModelToDir(genA2B, './out/genA2B');
 * await saveLayersModelToDir(genA2B, './out/genA2B-half', { float16: true });
 * ```
 */
export async function saveLayersModelToDir(model: LayersModel, dir: string, config: tf.io.SaveConfig & ModelFolderOptions = {}): Promise<tf.io.SaveResult> {
  const { float16, ...saveConfig } = config;
  if (saveConfig.includeOptimizer && model.optimizer != null) return model.save(fileSystemHandler(dir, { float16 }), saveConfig);
  const weights = saveConfig.trainableOnly ? model.trainableWeights : model.weights;
  const specs: tf.io.WeightsManifestEntry[] = weights.map((w) => {
    const spec: tf.io.WeightsManifestEntry = { name: w.originalName, shape: [...w.shape] as number[], dtype: w.dtype as 'float32' | 'int32' | 'bool' };
    if (float16 && w.dtype === 'float32') spec.quantization = { dtype: 'float16', original_dtype: 'float32' } as tf.io.WeightsManifestEntry['quantization'];
    return spec;
  });
  const modelTopology = model.toJSON(null, false) as tf.io.ModelJSON['modelTopology'];
  const modelJson: tf.io.ModelJSON = {
    modelTopology, format: 'layers-model', generatedBy: `TensorFlow.js tfjs-layers v${version_layers}`, convertedBy: null,
    weightsManifest: [{ paths: [WEIGHTS_BIN_FILE], weights: specs }],
  };
  const metadata = model.getUserDefinedMetadata();
  if (metadata !== undefined) modelJson.userDefinedMetadata = metadata;
  const size = (s: tf.io.WeightsManifestEntry) => s.shape.reduce((a, b) => a * b, 1) * (s.quantization ? FLOAT16_BYTES : DTYPE_BYTES[s.dtype]!);
  const weightBytes = specs.reduce((n, s) => n + size(s), 0);
  const jsonBytes = new TextEncoder().encode(JSON.stringify(modelJson));
  checkSavable(jsonBytes, weightBytes);
  await writeModelFolder(dir, jsonBytes, async (write) => {
    for (const [i, w] of weights.entries()) {
      const values = w.read().dataSync();
      if (specs[i]!.quantization) {
        for (let at = 0; at < values.length; at += FLOAT16_CHUNK) {
          const half = new Uint16Array(Math.min(FLOAT16_CHUNK, values.length - at));
          for (let k = 0; k < half.length; k++) half[k] = float32ToFloat16Bits(values[at + k] as number);
          await write(new Uint8Array(half.buffer));
        }
      } else if (values instanceof Float32Array || values instanceof Int32Array) {
        await write(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
      } else {
        await write(Uint8Array.from(values as ArrayLike<number>));
      }
    }
  });
  return saveResult(modelTopology, specs, weightBytes);
}

/**
 * Loads a tfjs layers model from a folder: what {@link saveLayersModelToDir} writes (float32 or
 * float16), or any `model.json` + weight files in one folder, validating the files first.
 * Custom layers must be registered (importing this library registers its own).
 *
 * @param dir - the model's folder.
 * @param options - `strict` (default true): whether every weight must match.
 * @example
 * ```ts
 * const genA2B = await loadLayersModelFromDir('./out/genA2B');
 * ```
 */
export async function loadLayersModelFromDir(dir: string, options?: { strict?: boolean }): Promise<LayersModel> {
  return loadLayersModel(fileSystemHandler(dir), options);
}

