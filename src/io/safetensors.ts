import * as tf from '@tensorflow/tfjs-core';
import { UGATITFormatError } from '../errors';
import { decodeStrided, ELEMENT_BYTES, ElementType } from './decode';

/**
 * Largest JSON header accepted, as the reference safetensors implementation does.
 *
 * @example
 * ```ts
 * if (headerLength > SAFETENSORS_MAX_HEADER_BYTES) console.warn('refused');
 * ```
 */
export const SAFETENSORS_MAX_HEADER_BYTES = 100 * 1024 * 1024;

/**
 * Most elements one safetensors tensor may have (2²⁹: 2 GiB as float32), checked before allocating.
 *
 * @example
 * ```ts
 * console.log(`tensors up to ${SAFETENSORS_MAX_TENSOR_ELEMENTS} elements`);
 * ```
 */
export const SAFETENSORS_MAX_TENSOR_ELEMENTS = 2 ** 29;

/**
 * A map from tensor name to tensor, as stored in a safetensors file or a PyTorch state_dict.
 *
 * @example
 * ```ts
 * const weights: NamedTensors = readSafetensors(bytes);
 * tf.dispose(Object.values(weights));
 * ```
 */
export type NamedTensors = Record<string, tf.Tensor>;

function fail(message: string): never {
  throw new UGATITFormatError('safetensors', message);
}

function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  // defineProperty, not assignment: a tensor named "__proto__" must stay a key.
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Reads a safetensors file into tensors (float types become `float32`, integer types `int32`).
 * Every offset, shape and dtype is checked against the bytes present before anything is allocated.
 *
 * @param bytes - the whole file.
 * @returns name → tensor; the caller owns the tensors and must dispose them.
 * @throws {@link ugatit-tf!UGATITFormatError} when the bytes are not a valid safetensors file.
 * @example
 * ```ts
 * const weights = readSafetensors(new Uint8Array(await fs.readFile('model.safetensors')));
 * ```
 */
export function readSafetensors(bytes: Uint8Array): NamedTensors {
  if (bytes.byteLength < 8) fail(`file is ${bytes.byteLength} bytes, shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const claimed = view.getBigUint64(0, true);
  if (claimed > BigInt(SAFETENSORS_MAX_HEADER_BYTES)) fail(`header claims ${claimed} bytes, above the ${SAFETENSORS_MAX_HEADER_BYTES}-byte limit`);
  const headerLength = Number(claimed);
  if (8 + headerLength > bytes.byteLength) fail(`header claims ${headerLength} bytes but only ${bytes.byteLength - 8} follow`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch (e) {
    fail(`header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) fail('header is not a JSON object');
  const data = bytes.subarray(8 + headerLength);
  const meta = (header as Record<string, unknown>).__metadata__;
  if (meta !== undefined && (meta === null || typeof meta !== 'object' || Array.isArray(meta) || !Object.values(meta).every((v) => typeof v === 'string'))) {
    fail('__metadata__ is not a string → string map');
  }
  const entries = Object.entries(header as Record<string, unknown>).filter(([k]) => k !== '__metadata__');
  const specs = entries.map(([name, raw]) => {
    const spec = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) fail(`tensor "${name}": entry is not an object`);
    const { dtype, shape, data_offsets: offsets } = spec;
    if (typeof dtype !== 'string' || !Object.prototype.hasOwnProperty.call(ELEMENT_BYTES, dtype)) fail(`tensor "${name}": unsupported dtype ${JSON.stringify(dtype)}`);
    const type = dtype as ElementType;
    if (!Array.isArray(shape) || shape.length > 64 || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`tensor "${name}": invalid shape ${JSON.stringify(shape)}`);
    let count = 1;
    for (const d of shape as number[]) {
      count *= d;
      if (count > SAFETENSORS_MAX_TENSOR_ELEMENTS) fail(`tensor "${name}": shape [${shape}] has more than ${SAFETENSORS_MAX_TENSOR_ELEMENTS} elements`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      fail(`tensor "${name}": invalid data_offsets ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    if (end < begin || end > data.byteLength) fail(`tensor "${name}": data_offsets [${begin}, ${end}] outside the ${data.byteLength} data bytes`);
    if (end - begin !== count * ELEMENT_BYTES[type]) {
      fail(`tensor "${name}": ${end - begin} bytes for shape [${shape}] of ${dtype} (expected ${count * ELEMENT_BYTES[type]})`);
    }
    return { name, type, shape: shape as number[], begin, end };
  });
  // As the reference implementation requires: the tensors tile the data exactly, no gaps, no overlaps.
  const sorted = [...specs].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const s of sorted) {
    if (s.begin !== expected) fail(`tensor "${s.name}": data_offsets start at ${s.begin}, expected ${expected} (gap or overlap)`);
    expected = s.end;
  }
  if (expected !== data.byteLength) fail(`tensors cover ${expected} of the ${data.byteLength} data bytes`);
  // Decode everything first so that a bad value (an int64 outside int32) leaves no tensor behind.
  const decoded = specs.map((s) => {
    const contiguous = s.shape.map((_, k) => s.shape.slice(k + 1).reduce((a, b) => a * b, 1));
    return decodeStrided(s.type, data.subarray(s.begin, s.end), 0, s.shape, contiguous, `safetensors tensor "${s.name}"`);
  });
  const out: NamedTensors = {};
  specs.forEach((s, i) => {
    const values = decoded[i];
    setOwn(out, s.name, tf.tensor(values, s.shape, values instanceof Float32Array ? 'float32' : 'int32'));
  });
  return out;
}

/**
 * Writes tensors as a safetensors file (`float32` as F32, `int32` and `bool` as I32), names sorted.
 *
 * @param tensors - name → tensor; not disposed.
 * @param metadata - optional string → string map stored as `__metadata__`.
 * @example
 * ```ts
 * await fs.writeFile('genA2B.safetensors', writeSafetensors(exportTorchStateDict(genA2B)));
 * ```
 */
export function writeSafetensors(tensors: NamedTensors, metadata?: Record<string, string>): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (metadata) {
    if (typeof metadata !== 'object' || !Object.values(metadata).every((v) => typeof v === 'string')) {
      throw new UGATITFormatError('safetensors', 'metadata must map strings to strings');
    }
    header.__metadata__ = metadata;
  }
  if (names.includes('__metadata__')) throw new UGATITFormatError('safetensors', 'a tensor cannot be named "__metadata__"');
  let offset = 0;
  const chunks: Uint8Array[] = [];
  for (const name of names) {
    const t = tensors[name];
    if (t.dtype === 'string' || t.dtype === 'complex64') throw new UGATITFormatError('safetensors', `tensor "${name}": cannot store dtype ${t.dtype}`);
    const values = t.dataSync();
    const typed = t.dtype === 'float32' ? Float32Array.from(values as Float32Array) : Int32Array.from(values as Int32Array);
    const chunk = new Uint8Array(typed.buffer);
    setOwn(header, name, { dtype: t.dtype === 'float32' ? 'F32' : 'I32', shape: t.shape, data_offsets: [offset, offset + chunk.byteLength] });
    chunks.push(chunk);
    offset += chunk.byteLength;
  }
  // Pad with spaces so the data starts 8-byte aligned; count UTF-8 bytes, not UTF-16 units.
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerBytes = new Uint8Array(json.byteLength + ((8 - (json.byteLength % 8)) % 8)).fill(0x20);
  headerBytes.set(json);
  const out = new Uint8Array(8 + headerBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.byteLength;
  for (const c of chunks) { out.set(c, at); at += c.byteLength; }
  return out;
}
