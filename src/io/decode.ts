import { UGATITFormatError } from '../errors';
import { float16BitsToFloat32 } from './float16';

/**
 * Element types stored in files, with safetensors' names.
 *
 * @example
 * ```ts
 * const t: ElementType = 'BF16';
 * ```
 */
export type ElementType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

/**
 * Bytes per element of each {@link ElementType}.
 *
 * @example
 * ```ts
 * ELEMENT_BYTES.F16; // 2
 * ```
 */
export const ELEMENT_BYTES: Readonly<Record<ElementType, number>> = Object.freeze({
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
});

/**
 * True when values of this type become `float32` tensors (the others become `int32`).
 *
 * @example
 * ```ts
 * isFloatType('I64'); // false: int64 becomes int32
 * ```
 */
export function isFloatType(t: ElementType): boolean {
  return t === 'F64' || t === 'F32' || t === 'F16' || t === 'BF16';
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Reads a strided view of little-endian elements: element `[i0, i1, …]` is at element index
 * `offset + Σ ik·stride[k]` of `bytes`. Floats become a `Float32Array` (float64 rounded, float16
 * and bfloat16 widened), integers an `Int32Array` (int64 values outside int32 refused).
 * The caller must have checked that every index lies inside `bytes`.
 *
 * @param part - names the tensor in error messages, e.g. `'safetensors tensor "w"'`.
 * @internal
 *
 * @example
 * ```ts
 * decodeStrided('F32', bytes, 0, [3, 2], [1, 3], 'tensor "w"'); // a transposed view
 * ```
 */
export function decodeStrided(
  type: ElementType, bytes: Uint8Array, offset: number, shape: readonly number[], stride: readonly number[], part: string,
): Float32Array | Int32Array {
  const size = ELEMENT_BYTES[type];
  const count = shape.reduce((a, b) => a * b, 1);
  const float = isFloatType(type);
  const out = float ? new Float32Array(count) : new Int32Array(count);
  if (count === 0) return out;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let get: (at: number) => number;
  switch (type) {
    case 'F64': get = (at) => view.getFloat64(at, true); break;
    case 'F32': get = (at) => view.getFloat32(at, true); break;
    case 'F16': get = (at) => float16BitsToFloat32(view.getUint16(at, true)); break;
    case 'BF16': {
      const scratch = new DataView(new ArrayBuffer(4));
      get = (at) => { scratch.setUint32(0, view.getUint16(at, true) << 16); return scratch.getFloat32(0); };
      break;
    }
    case 'I64': get = (at) => {
      const v = view.getBigInt64(at, true);
      if (v > 2147483647n || v < -2147483648n) throw new UGATITFormatError(part, `int64 value ${v} does not fit int32`);
      return Number(v);
    }; break;
    case 'I32': get = (at) => view.getInt32(at, true); break;
    case 'I16': get = (at) => view.getInt16(at, true); break;
    case 'I8': get = (at) => view.getInt8(at); break;
    case 'U8': case 'BOOL': get = (at) => view.getUint8(at); break;
  }
  const rank = shape.length;
  let contiguous = true;
  for (let k = rank - 1, expect = 1; k >= 0; k--) {
    if (shape[k] !== 1 && stride[k] !== expect) { contiguous = false; break; }
    expect *= shape[k];
  }
  if (contiguous) {
    const start = offset * size;
    if (type === 'F32' && LITTLE_ENDIAN && (bytes.byteOffset + start) % 4 === 0) {
      (out as Float32Array).set(new Float32Array(bytes.buffer, bytes.byteOffset + start, count));
    } else {
      for (let i = 0; i < count; i++) out[i] = get(start + i * size);
    }
    return out;
  }
  // Non-contiguous view: walk the index with an odometer.
  const index = new Array<number>(rank).fill(0);
  let at = offset;
  for (let i = 0; i < count; i++) {
    out[i] = get(at * size);
    for (let k = rank - 1; k >= 0; k--) {
      if (++index[k] < shape[k]) { at += stride[k]; break; }
      at -= (shape[k] - 1) * stride[k];
      index[k] = 0;
    }
  }
  return out;
}
