import * as tf from '@tensorflow/tfjs-core';
import { UgatitFormatError } from '../errors';

/** Largest JSON header accepted, as the reference safetensors implementation does. */
export const SAFETENSORS_MAX_HEADER_BYTES = 100 * 1024 * 1024;

const BYTES_PER_ELEMENT: Record<string, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
};

/** A map from tensor name to tensor, as stored in a safetensors file or a PyTorch state_dict. */
export type NamedTensors = Record<string, tf.Tensor>;

function fail(message: string): never {
  throw new UgatitFormatError('safetensors', message);
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

function decode(dtype: string, bytes: Uint8Array, count: number, name: string): Float32Array | Int32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (dtype) {
    case 'F32': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
      return out;
    }
    case 'F64': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    }
    case 'F16': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
      return out;
    }
    case 'BF16': {
      const out = new Float32Array(count);
      const u32 = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) u32[i] = view.getUint16(i * 2, true) << 16;
      return out;
    }
    case 'I64': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const v = view.getBigInt64(i * 8, true);
        if (v > 2147483647n || v < -2147483648n) fail(`tensor "${name}": int64 value ${v} does not fit int32`);
        out[i] = Number(v);
      }
      return out;
    }
    case 'I32': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(i * 4, true);
      return out;
    }
    case 'I16': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(i * 2, true);
      return out;
    }
    case 'I8': return Int32Array.from(new Int8Array(bytes.buffer, bytes.byteOffset, count));
    case 'U8': case 'BOOL': return Int32Array.from(bytes.subarray(0, count));
    default: return fail(`tensor "${name}": unsupported dtype ${dtype}`);
  }
}

/**
 * Reads a safetensors file into tensors (float types become `float32`, integer types `int32`).
 * Every offset, shape and dtype is checked against the bytes present before anything is allocated.
 *
 * @param bytes - the whole file.
 * @returns name → tensor; the caller owns the tensors and must dispose them.
 * @throws {@link UgatitFormatError} when the bytes are not a valid safetensors file.
 * @example
 * ```ts
 * const weights = readSafetensors(new Uint8Array(await fs.readFile('model.safetensors')));
 * ```
 */
export function readSafetensors(bytes: Uint8Array): NamedTensors {
  if (bytes.byteLength < 8) fail(`file is ${bytes.byteLength} bytes, shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > SAFETENSORS_MAX_HEADER_BYTES) fail(`header claims ${headerLength} bytes, above the ${SAFETENSORS_MAX_HEADER_BYTES}-byte limit`);
  if (8 + headerLength > bytes.byteLength) fail(`header claims ${headerLength} bytes but only ${bytes.byteLength - 8} follow`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch (e) {
    fail(`header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) fail('header is not a JSON object');
  const data = bytes.subarray(8 + headerLength);
  const entries = Object.entries(header as Record<string, unknown>).filter(([k]) => k !== '__metadata__');
  const specs = entries.map(([name, raw]) => {
    const spec = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (spec === null || typeof spec !== 'object') fail(`tensor "${name}": entry is not an object`);
    const { dtype, shape, data_offsets: offsets } = spec;
    if (typeof dtype !== 'string' || !(dtype in BYTES_PER_ELEMENT)) fail(`tensor "${name}": unsupported dtype ${JSON.stringify(dtype)}`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`tensor "${name}": invalid shape ${JSON.stringify(shape)}`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      fail(`tensor "${name}": invalid data_offsets ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end < begin || end > data.byteLength) fail(`tensor "${name}": data_offsets [${begin}, ${end}] outside the ${data.byteLength} data bytes`);
    if (end - begin !== count * BYTES_PER_ELEMENT[dtype]) {
      fail(`tensor "${name}": ${end - begin} bytes for shape [${shape}] of ${dtype} (expected ${count * BYTES_PER_ELEMENT[dtype]})`);
    }
    return { name, dtype, shape: shape as number[], begin, end, count };
  });
  const out: NamedTensors = {};
  for (const s of specs) {
    const values = decode(s.dtype, data.subarray(s.begin, s.end), s.count, s.name);
    out[s.name] = tf.tensor(values, s.shape, values instanceof Float32Array ? 'float32' : 'int32');
  }
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
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  const chunks: Uint8Array[] = [];
  for (const name of names) {
    const t = tensors[name];
    if (t.dtype === 'string' || t.dtype === 'complex64') throw new UgatitFormatError('safetensors', `tensor "${name}": cannot store dtype ${t.dtype}`);
    const values = t.dataSync();
    const typed = t.dtype === 'float32' ? Float32Array.from(values as Float32Array) : Int32Array.from(values as Int32Array);
    const chunk = new Uint8Array(typed.buffer);
    header[name] = { dtype: t.dtype === 'float32' ? 'F32' : 'I32', shape: t.shape, data_offsets: [offset, offset + chunk.byteLength] };
    chunks.push(chunk);
    offset += chunk.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((json.length + 8) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.byteLength;
  for (const c of chunks) { out.set(c, at); at += c.byteLength; }
  return out;
}
