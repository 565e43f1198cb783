import { UGATITFormatError } from '../errors';

/**
 * One field of a protocol-buffer message, as read off the wire: varints and fixed64 as
 * `bigint`, fixed32 as a number, length-delimited fields as a view of their bytes.
 */
export type ProtoField =
  | { readonly field: number; readonly wire: 0 | 1; readonly value: bigint }
  | { readonly field: number; readonly wire: 5; readonly value: number }
  | { readonly field: number; readonly wire: 2; readonly value: Uint8Array };

/**
 * Reads a LEB128 varint (at most 10 bytes, 64 bits) at `at`.
 *
 * @returns the value and the offset after it.
 * @throws {@link UGATITFormatError} naming `part` when it runs past `end` or past 64 bits.
 */
export function readVarint(bytes: Uint8Array, at: number, end: number, part: string): { value: bigint; next: number } {
  let value = 0n;
  for (let i = 0; i < 10; i++) {
    if (at + i >= end) throw new UGATITFormatError(part, `varint at byte ${at} runs past the end`);
    const b = bytes[at + i]!;
    value |= BigInt(b & 0x7f) << BigInt(7 * i);
    if (!(b & 0x80)) {
      if (value >= 1n << 64n) throw new UGATITFormatError(part, `varint at byte ${at} is wider than 64 bits`);
      return { value, next: at + i + 1 };
    }
  }
  throw new UGATITFormatError(part, `varint at byte ${at} is longer than 10 bytes`);
}

/**
 * A varint as a non-negative safe integer no larger than `max`.
 *
 * @throws {@link UGATITFormatError} naming `what` otherwise.
 */
export function varintToIndex(value: bigint, max: number, part: string, what: string): number {
  if (value > BigInt(max)) throw new UGATITFormatError(part, `${what} ${value} is above ${max}`);
  return Number(value);
}

/**
 * Splits a protocol-buffer message into its fields (proto3 wire format: varint, fixed64,
 * length-delimited, fixed32; the deprecated group wire types are refused). Every length is
 * checked against the message's bytes.
 *
 * @param part - names the message in errors, e.g. `'tensor bundle entry "w"'`.
 * @throws {@link UGATITFormatError} when the bytes are not a well-formed message.
 */
export function readProtoFields(bytes: Uint8Array, part: string): ProtoField[] {
  const fields: ProtoField[] = [];
  const end = bytes.length;
  let at = 0;
  while (at < end) {
    const tag = readVarint(bytes, at, end, part);
    at = tag.next;
    const field = Number(tag.value >> 3n);
    const wire = Number(tag.value & 7n);
    if (field === 0 || tag.value >> 3n > 0x1fffffffn) throw new UGATITFormatError(part, `field number ${tag.value >> 3n} is not valid`);
    switch (wire) {
      case 0: {
        const v = readVarint(bytes, at, end, part);
        fields.push({ field, wire, value: v.value });
        at = v.next;
        break;
      }
      case 1: {
        if (at + 8 > end) throw new UGATITFormatError(part, `fixed64 field ${field} runs past the end`);
        const view = new DataView(bytes.buffer, bytes.byteOffset + at, 8);
        fields.push({ field, wire, value: view.getBigUint64(0, true) });
        at += 8;
        break;
      }
      case 2: {
        const len = readVarint(bytes, at, end, part);
        at = len.next;
        if (len.value > BigInt(end - at)) throw new UGATITFormatError(part, `field ${field} claims ${len.value} bytes but ${end - at} remain`);
        const size = Number(len.value);
        fields.push({ field, wire, value: bytes.subarray(at, at + size) });
        at += size;
        break;
      }
      case 5: {
        if (at + 4 > end) throw new UGATITFormatError(part, `fixed32 field ${field} runs past the end`);
        const view = new DataView(bytes.buffer, bytes.byteOffset + at, 4);
        fields.push({ field, wire, value: view.getUint32(0, true) });
        at += 4;
        break;
      }
      default:
        throw new UGATITFormatError(part, `field ${field} has wire type ${wire}, which is not supported`);
    }
  }
  return fields;
}
