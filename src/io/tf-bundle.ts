import * as tf from '@tensorflow/tfjs-core';
import { UGATITFormatError } from '../errors';
import { crc32c, maskCrc32c } from './crc32c';
import { decodeStrided, ELEMENT_BYTES, type ElementType } from './decode';
import { readLevelDbTable } from './leveldb-table';
import { readProtoFields, readVarint, type ProtoField } from './protobuf';

/**
 * Most elements one checkpoint tensor may have when it is read (2²⁹: 2 GiB as float32; the
 * released full selfie2anime generator's largest, `MLP/linear_0/dense/kernel`, has 2²⁸).
 *
 * @example
 * ```ts
 * if (entry.elements > TF_MAX_TENSOR_ELEMENTS) console.warn(`${entry.name} cannot be read`);
 * ```
 */
export const TF_MAX_TENSOR_ELEMENTS = 2 ** 29;
/**
 * Largest tensor-bundle `.index` file accepted (64 MiB, checked before it is read). The
 * released selfie2anime index, 776 variables, is about 60 KB.
 *
 * @example
 * ```ts
 * if ((await fs.stat(indexPath)).size > TF_INDEX_MAX_BYTES) console.warn('refused');
 * ```
 */
export const TF_INDEX_MAX_BYTES = 64 * 1024 * 1024;
/** Most data shards a bundle may declare. */
const MAX_SHARDS = 100_000;
/** Tensor-bundle format version this reader implements (TensorFlow's `kTensorBundleVersion`). */
const BUNDLE_VERSION = 1;

/** TensorFlow `DataType` codes, by name, as stored in a bundle entry. */
const DTYPE_NAMES: Record<number, string> = {
  1: 'float32', 2: 'float64', 3: 'int32', 4: 'uint8', 5: 'int16', 6: 'int8', 7: 'string', 8: 'complex64',
  9: 'int64', 10: 'bool', 11: 'qint8', 12: 'quint8', 13: 'qint32', 14: 'bfloat16', 15: 'qint16', 16: 'quint16',
  17: 'uint16', 18: 'complex128', 19: 'float16', 20: 'resource', 21: 'variant', 22: 'uint32', 23: 'uint64',
};
/** The dtypes this reader turns into tensors, with their stored element type. */
const READABLE: Record<number, ElementType> = { 1: 'F32', 2: 'F64', 3: 'I32', 4: 'U8', 5: 'I16', 6: 'I8', 9: 'I64', 10: 'BOOL', 14: 'BF16', 19: 'F16' };

/** The `BundleHeaderProto` of a tensor bundle (its entry under the empty key). */
export interface TFBundleHeader {
  /** Number of `.data-NNNNN-of-MMMMM` shards. */
  readonly numShards: number;
  /** Byte order of the data; only little-endian bundles are read. */
  readonly endianness: 'little' | 'big';
  /** `VersionDef.producer`: the bundle format version that wrote it. */
  readonly producer: number;
  /** `VersionDef.min_consumer`: the oldest reader version allowed to read it. */
  readonly minConsumer: number;
}

/** One tensor of a tensor bundle (its `BundleEntryProto`), as listed by the `.index` file. */
export interface TFBundleEntry {
  /** The checkpoint key: the variable's name, e.g. `generator_B/conv/conv2d/kernel`. */
  readonly name: string;
  /** TensorFlow's name of the dtype (`float32`, `int64`, …), or `DT_<code>` for a code unknown here. */
  readonly dtype: string;
  /** The `DataType` code as stored. */
  readonly dtypeCode: number;
  /** Shape, row-major (TensorFlow layouts: conv kernels `[kh, kw, in, out]`). */
  readonly shape: readonly number[];
  /** Number of elements (1 for a scalar). */
  readonly elements: number;
  /** Which data shard holds the bytes. */
  readonly shardId: number;
  /** Byte offset in that shard. */
  readonly offset: number;
  /** Byte length in that shard. */
  readonly size: number;
  /** The stored CRC-32C of the bytes (masked, as LevelDB masks). */
  readonly crc32c: number;
  /** True for a partitioned variable stored as slices, which this reader refuses. */
  readonly sliced: boolean;
}

/** What {@link parseTFBundleIndex} read off an `.index` file. */
export interface TFBundleIndex {
  /** The bundle header. */
  readonly header: TFBundleHeader;
  /** Every tensor, keyed by name, in key (bytewise) order. */
  readonly entries: ReadonlyMap<string, TFBundleEntry>;
}

function signed64(v: bigint): bigint {
  return v >= 1n << 63n ? v - (1n << 64n) : v;
}

function int32Field(f: ProtoField, part: string, what: string): number {
  if (f.wire !== 0) throw new UGATITFormatError(part, `${what} has wire type ${f.wire}, expected a varint`);
  const v = signed64(f.value);
  if (v < -(2n ** 31n) || v >= 2n ** 31n) throw new UGATITFormatError(part, `${what} ${v} does not fit int32`);
  return Number(v);
}

function indexField(f: ProtoField, part: string, what: string): number {
  if (f.wire !== 0) throw new UGATITFormatError(part, `${what} has wire type ${f.wire}, expected a varint`);
  const v = signed64(f.value);
  if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) throw new UGATITFormatError(part, `${what} ${v} is not a non-negative safe integer`);
  return Number(v);
}

function messageField(f: ProtoField, part: string, what: string): Uint8Array {
  if (f.wire !== 2) throw new UGATITFormatError(part, `${what} has wire type ${f.wire}, expected a message`);
  return f.value;
}

function parseHeader(bytes: Uint8Array): TFBundleHeader {
  const part = 'tensor bundle header';
  let numShards = 0;
  let endianness = 0;
  let producer = 0;
  let minConsumer = 0;
  const badConsumers: number[] = [];
  for (const f of readProtoFields(bytes, part)) {
    if (f.field === 1) numShards = int32Field(f, part, 'num_shards');
    else if (f.field === 2) endianness = int32Field(f, part, 'endianness');
    else if (f.field === 3) {
      for (const v of readProtoFields(messageField(f, part, 'version'), `${part} version`)) {
        if (v.field === 1) producer = int32Field(v, part, 'version.producer');
        else if (v.field === 2) minConsumer = int32Field(v, part, 'version.min_consumer');
        else if (v.field === 3 && v.wire === 2) {
          // proto3 packs repeated integers: a run of varints.
          for (let at = 0; at < v.value.length;) {
            const one = readVarint(v.value, at, v.value.length, part);
            badConsumers.push(int32Field({ field: 3, wire: 0, value: one.value }, part, 'version.bad_consumers'));
            at = one.next;
          }
        } else if (v.field === 3) badConsumers.push(int32Field(v, part, 'version.bad_consumers'));
      }
    }
  }
  if (numShards < 1 || numShards > MAX_SHARDS) throw new UGATITFormatError(part, `num_shards ${numShards} is not in [1, ${MAX_SHARDS}]`);
  if (endianness !== 0 && endianness !== 1) throw new UGATITFormatError(part, `endianness ${endianness} is neither LITTLE (0) nor BIG (1)`);
  if (minConsumer > BUNDLE_VERSION || badConsumers.includes(BUNDLE_VERSION)) {
    throw new UGATITFormatError(part, `written for readers of version ≥ ${minConsumer}${badConsumers.length ? ` (bad: ${badConsumers.join(', ')})` : ''}; this reader implements version ${BUNDLE_VERSION}`);
  }
  return { numShards, endianness: endianness === 0 ? 'little' : 'big', producer, minConsumer };
}

function parseShape(bytes: Uint8Array, part: string): number[] {
  const dims: number[] = [];
  for (const f of readProtoFields(bytes, `${part} shape`)) {
    if (f.field === 3 && f.wire === 0 && f.value !== 0n) throw new UGATITFormatError(part, 'shape has unknown rank');
    if (f.field !== 2) continue;
    let size = 0;
    for (const d of readProtoFields(messageField(f, part, 'shape dim'), `${part} shape dim`)) {
      if (d.field === 1) size = indexField(d, part, 'dimension');
    }
    dims.push(size);
    if (dims.length > 64) throw new UGATITFormatError(part, 'shape has more than 64 dimensions');
  }
  return dims;
}

function parseEntry(name: string, bytes: Uint8Array, numShards: number): TFBundleEntry {
  const part = `tensor bundle entry "${name}"`;
  let dtypeCode = 0;
  let shape: number[] = [];
  let shardId = 0;
  let offset = 0;
  let size = 0;
  let crc = 0;
  let sliced = false;
  for (const f of readProtoFields(bytes, part)) {
    switch (f.field) {
      case 1: dtypeCode = int32Field(f, part, 'dtype'); break;
      case 2: shape = parseShape(messageField(f, part, 'shape'), part); break;
      case 3: shardId = indexField(f, part, 'shard_id'); break;
      case 4: offset = indexField(f, part, 'offset'); break;
      case 5: size = indexField(f, part, 'size'); break;
      case 6:
        if (f.wire !== 5) throw new UGATITFormatError(part, `crc32c has wire type ${f.wire}, expected fixed32`);
        crc = f.value;
        break;
      case 7: sliced = true; break;
      default: break;
    }
  }
  const dtype = DTYPE_NAMES[dtypeCode] ?? `DT_${dtypeCode}`;
  if (shardId >= numShards) throw new UGATITFormatError(part, `shard_id ${shardId} is not below num_shards ${numShards}`);
  if (offset + size > Number.MAX_SAFE_INTEGER) throw new UGATITFormatError(part, `offset ${offset} + size ${size} is too large`);
  let count = 1n;
  for (const d of shape) count *= BigInt(d);
  if (count > BigInt(Number.MAX_SAFE_INTEGER)) throw new UGATITFormatError(part, `shape [${shape}] has too many elements`);
  const elements = Number(count);
  const type = READABLE[dtypeCode];
  if (type !== undefined && !sliced && size !== elements * ELEMENT_BYTES[type]) {
    throw new UGATITFormatError(part, `${size} bytes for shape [${shape}] of ${dtype} (expected ${elements * ELEMENT_BYTES[type]})`);
  }
  return { name, dtype, dtypeCode, shape, elements, shardId, offset, size, crc32c: crc, sliced };
}

/**
 * Parses a TensorFlow tensor-bundle `.index` file (what `tf.train.Saver` and `tf.train.Checkpoint`
 * write next to their `.data-NNNNN-of-MMMMM` shards): a LevelDB table whose empty key holds the
 * `BundleHeaderProto` and every other key a variable name with its `BundleEntryProto` (dtype,
 * shape, shard, offset, size, CRC-32C). Every block CRC, length and field is checked; nothing
 * of the data is read.
 *
 * @param bytes - the whole `.index` file.
 * @throws {@link ugatit-tf!UGATITFormatError} naming the block, entry or field at fault.
 * @example
 * ```ts
 * const { header, entries } = parseTFBundleIndex(new Uint8Array(await fs.readFile('model.ckpt-1000.index')));
 * for (const e of entries.values()) console.log(e.name, e.dtype, e.shape);
 * ```
 */
export function parseTFBundleIndex(bytes: Uint8Array): TFBundleIndex {
  if (bytes.length > TF_INDEX_MAX_BYTES) throw new UGATITFormatError('tensor bundle index', `${bytes.length} bytes, above the ${TF_INDEX_MAX_BYTES}-byte limit`);
  const table = readLevelDbTable(bytes, 'tensor bundle index');
  if (table.length === 0 || table[0]!.key.length !== 0) throw new UGATITFormatError('tensor bundle index', 'the first entry is not the header (empty key)');
  const header = parseHeader(table[0]!.value);
  if (header.endianness !== 'little') throw new UGATITFormatError('tensor bundle header', 'big-endian bundles are not supported');
  const names = new TextDecoder('utf-8', { fatal: true });
  const entries = new Map<string, TFBundleEntry>();
  for (let i = 1; i < table.length; i++) {
    let name: string;
    try {
      name = names.decode(table[i]!.key);
    } catch {
      throw new UGATITFormatError('tensor bundle index', `key of entry ${i} is not valid UTF-8`);
    }
    entries.set(name, parseEntry(name, table[i]!.value, header.numShards));
  }
  return { header, entries };
}

/**
 * Throws unless the entry can become a tensor: numeric dtype, not sliced, within
 * {@link TF_MAX_TENSOR_ELEMENTS}. Called before any byte of it is read.
 */
export function checkTfEntryReadable(entry: TFBundleEntry): void {
  const part = `tensor bundle entry "${entry.name}"`;
  if (entry.sliced) throw new UGATITFormatError(part, 'is a partitioned (sliced) variable, which is not supported');
  if (READABLE[entry.dtypeCode] === undefined) throw new UGATITFormatError(part, `dtype ${entry.dtype} cannot be read as a tensor`);
  if (entry.elements > TF_MAX_TENSOR_ELEMENTS) throw new UGATITFormatError(part, `shape [${entry.shape}] has more than ${TF_MAX_TENSOR_ELEMENTS} elements`);
}

/**
 * The values of one bundle entry from its bytes (as read from its shard at `entry.offset`),
 * after checking length and CRC-32C: floats as `Float32Array` (float32 bytes are viewed, not
 * copied, when aligned), integers as `Int32Array` (int64 values must fit).
 *
 * @throws {@link ugatit-tf!UGATITFormatError} when the bytes do not match the entry.
 */
export function decodeTfEntryValues(entry: TFBundleEntry, bytes: Uint8Array): Float32Array | Int32Array {
  checkTfEntryReadable(entry);
  const part = `tensor bundle entry "${entry.name}"`;
  if (bytes.length !== entry.size) throw new UGATITFormatError(part, `${bytes.length} bytes read, the entry has ${entry.size}`);
  const actual = maskCrc32c(crc32c(bytes));
  if (actual !== entry.crc32c) throw new UGATITFormatError(part, `CRC-32C 0x${actual.toString(16)} does not match the stored 0x${entry.crc32c.toString(16)} (corrupted data file)`);
  const type = READABLE[entry.dtypeCode]!;
  if (type === 'F32' && bytes.byteOffset % 4 === 0 && new Uint8Array(new Uint16Array([1]).buffer)[0] === 1) {
    return new Float32Array(bytes.buffer, bytes.byteOffset, entry.elements);
  }
  const contiguous = entry.shape.map((_, k) => entry.shape.slice(k + 1).reduce((a, b) => a * b, 1));
  return decodeStrided(type, bytes, 0, entry.shape, contiguous, part);
}

/**
 * The byte range of an entry inside a shard of `shardSize` bytes.
 *
 * @throws {@link ugatit-tf!UGATITFormatError} when the shard is too short.
 */
export function tfEntryRange(entry: TFBundleEntry, shardSize: number, shardName: string): { begin: number; end: number } {
  if (entry.offset + entry.size > shardSize) {
    throw new UGATITFormatError(shardName, `entry "${entry.name}" spans bytes [${entry.offset}, ${entry.offset + entry.size}) but the shard has ${shardSize} (truncated file)`);
  }
  return { begin: entry.offset, end: entry.offset + entry.size };
}

/**
 * Reads a whole tensor bundle held in memory (index and every data shard), for small
 * checkpoints and for browsers, where the files come as bytes. Every tensor is checked before
 * any is created. Large checkpoints should be streamed with {@link openTFCheckpoint} instead.
 *
 * @param index - the `.index` file.
 * @param shards - the `.data-NNNNN-of-MMMMM` files, in shard order.
 * @returns name → tensor for every readable entry, in key order; the caller disposes them.
 * @throws {@link ugatit-tf!UGATITFormatError} when any part is malformed or an entry cannot be read.
 * @example
 * ```ts
 * const tensors = readTFBundle(indexBytes, [dataBytes]);
 * ```
 */
export function readTFBundle(index: Uint8Array, shards: readonly Uint8Array[]): Record<string, tf.Tensor> {
  const { header, entries } = parseTFBundleIndex(index);
  if (shards.length !== header.numShards) throw new UGATITFormatError('tensor bundle', `${shards.length} data shards given, the header declares ${header.numShards}`);
  const decoded: Array<[TFBundleEntry, Float32Array | Int32Array]> = [];
  let total = 0;
  for (const e of entries.values()) {
    checkTfEntryReadable(e);
    total += e.elements;
    if (total > TF_MAX_TENSOR_ELEMENTS) throw new UGATITFormatError('tensor bundle', `tensors hold more than ${TF_MAX_TENSOR_ELEMENTS} elements in all; stream it with openTFCheckpoint`);
    const shard = shards[e.shardId]!;
    const { begin, end } = tfEntryRange(e, shard.length, `data shard ${e.shardId}`);
    decoded.push([e, decodeTfEntryValues(e, shard.subarray(begin, end))]);
  }
  const out: Record<string, tf.Tensor> = {};
  for (const [e, values] of decoded) {
    Object.defineProperty(out, e.name, {
      value: tf.tensor(values, [...e.shape], values instanceof Float32Array ? 'float32' : 'int32'), enumerable: true, writable: true, configurable: true,
    });
  }
  return out;
}
