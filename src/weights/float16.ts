import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { UgatitFormatError } from '../errors';
import { MODEL_JSON_FILE, MODEL_JSON_MAX_BYTES, MODEL_WEIGHT_MAX_ELEMENTS, WEIGHTS_BIN_FILE } from '../io/file-handler';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * float32 → IEEE 754 half-precision bits, rounding to nearest even (overflow → ±Inf, NaN kept).
 *
 * @example
 * ```ts
 * float32ToFloat16Bits(1); // 0x3c00
 * ```
 */
export function float32ToFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  // A carry out of the mantissa correctly bumps the exponent (up to Inf).
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
  return sign | h;
}

/**
 * IEEE 754 half-precision bits → number.
 *
 * @example
 * ```ts
 * float16BitsToFloat32(0x3c00); // 1
 * ```
 */
export function float16BitsToFloat32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/**
 * Saves a layers model as `model.json` + `weights.bin` with every float32 weight stored as
 * float16 (tfjs's `quantization: { dtype: 'float16' }` manifest entry, which
 * `tf.loadLayersModel` decodes in browsers; in Node, {@link readFloat16ModelFiles} turns it
 * back into float32 before validation). Halves the size.
 *
 * @example
 * ```ts
 * await saveLayersModelFloat16(genA2B, 'weights/avatars/genA2B');
 * ```
 */
export async function saveLayersModelFloat16(model: tfl.LayersModel, dir: string): Promise<void> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    captured = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  const artifacts = captured!;
  const data = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData!));
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const chunks: Uint8Array[] = [];
  const specs: tf.io.WeightsManifestEntry[] = [];
  let offset = 0;
  for (const spec of artifacts.weightSpecs ?? []) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const bytes = count * 4;
    if (spec.dtype === 'float32') {
      const half = new Uint8Array(count * 2);
      const hv = new DataView(half.buffer);
      for (let i = 0; i < count; i++) hv.setUint16(2 * i, float32ToFloat16Bits(view.getFloat32(offset + 4 * i, true)), true);
      chunks.push(half);
      specs.push({ ...spec, quantization: { dtype: 'float16', original_dtype: 'float32' } as tf.io.WeightsManifestEntry['quantization'] });
    } else {
      chunks.push(data.slice(offset, offset + bytes));
      specs.push(spec);
    }
    offset += bytes;
  }
  const weights = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) { weights.set(c, at); at += c.length; }
  const json = {
    modelTopology: artifacts.modelTopology, format: artifacts.format ?? 'layers-model',
    generatedBy: artifacts.generatedBy, convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths: [WEIGHTS_BIN_FILE], weights: specs }],
  };
  const [fs, path] = await Promise.all([import('node:fs/promises'), import('node:path')]);
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, WEIGHTS_BIN_FILE), weights);
  await fs.writeFile(path.join(dir, MODEL_JSON_FILE), JSON.stringify(json));
}

/**
 * Rewrites a `model.json` whose weights are float16-quantized (one weight file) and its weight
 * bytes into the plain float32 form our validated loader accepts. Files without quantized
 * weights come back unchanged.
 *
 * @throws {@link UgatitFormatError} when sizes or entries do not add up.
 * @example
 * ```ts
 * const { modelJson, files } = readFloat16ModelFiles(jsonBytes, { 'weights.bin': bin });
 * const model = await tf.loadLayersModel(tf.io.fromMemory(modelArtifactsFromFiles(modelJson, files)));
 * ```
 */
export function readFloat16ModelFiles(
  modelJson: Uint8Array, files: Readonly<Record<string, Uint8Array>>,
): {
  /** The `model.json` bytes, with float32 weight specs. */
  modelJson: Uint8Array;
  /** Weight files by name, float32 (a copy of the input when nothing was quantized). */
  files: Record<string, Uint8Array>;
} {
  const fail = (m: string): never => { throw new UgatitFormatError(MODEL_JSON_FILE, m); };
  if (modelJson.byteLength > MODEL_JSON_MAX_BYTES) fail(`${modelJson.byteLength} bytes, above the ${MODEL_JSON_MAX_BYTES}-byte limit`);
  let json: { weightsManifest?: Array<{ paths?: unknown; weights?: Array<Record<string, unknown>> }> };
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(modelJson));
  } catch (e) {
    return fail(`not valid UTF-8 JSON (${(e as Error).message})`);
  }
  const groups = Array.isArray(json?.weightsManifest) ? json.weightsManifest : [];
  const quantized = groups.some((g) => Array.isArray(g?.weights) && g.weights.some((w) => w && typeof w === 'object' && w.quantization !== undefined));
  if (!quantized) return { modelJson, files: { ...files } };
  if (groups.length !== 1 || !Array.isArray(groups[0]!.paths) || groups[0]!.paths.length !== 1 || !Array.isArray(groups[0]!.weights)) {
    fail('quantized weights must be listed in one manifest group with one weight file');
  }
  const file = String((groups[0]!.paths as unknown[])[0]);
  const src = files[file] ?? fail(`weight file "${file}" is missing`);
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const parts: Uint8Array[] = [];
  let offset = 0;
  const weights = groups[0]!.weights!.map((w, i) => {
    const shape = w.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) return fail(`weight ${i}: invalid shape`);
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (count > MODEL_WEIGHT_MAX_ELEMENTS) fail(`weight ${i}: more than ${MODEL_WEIGHT_MAX_ELEMENTS} elements`);
    const q = w.quantization as { dtype?: unknown } | undefined;
    if (q !== undefined) {
      if (q?.dtype !== 'float16' || w.dtype !== 'float32') fail(`weight ${i} ("${String(w.name)}"): only float16 quantization of float32 weights is supported`);
      if (offset + count * 2 > src.byteLength) fail(`${file} is shorter than its manifest`);
      const out = new Float32Array(count);
      for (let k = 0; k < count; k++) out[k] = float16BitsToFloat32(view.getUint16(offset + 2 * k, true));
      parts.push(new Uint8Array(out.buffer));
      offset += count * 2;
      const { quantization: _q, ...rest } = w;
      return rest;
    }
    const bytes = count * (w.dtype === 'bool' ? 1 : 4);
    if (offset + bytes > src.byteLength) fail(`${file} is shorter than its manifest`);
    parts.push(src.subarray(offset, offset + bytes));
    offset += bytes;
    return w;
  });
  if (offset !== src.byteLength) fail(`${file} has ${src.byteLength} bytes, its manifest needs ${offset}`);
  const data = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { data.set(p, at); at += p.length; }
  const rewritten = { ...json, weightsManifest: [{ paths: [file], weights }] };
  return { modelJson: new TextEncoder().encode(JSON.stringify(rewritten)), files: { [file]: data } };
}
