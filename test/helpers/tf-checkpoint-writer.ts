// Writes TensorFlow tensor bundles (a LevelDB-table `.index` plus `.data-00000-of-00001`) the
// way TensorFlow's BundleWriter does, for tests, fuzz seeds and the memory benchmark: the
// reader under test never sees a file this code did not write the same way TensorFlow does
// (the real fixtures in test/fixtures/tf-reference check that claim).
import { crc32c, maskCrc32c } from '../../src/io/crc32c';

const MAGIC = 0xdb4775248b80fb57n;
const DT: Record<string, number> = { float32: 1, float64: 2, int32: 3, int64: 9 };

export function varint(value: number | bigint): number[] {
  let v = BigInt(value);
  if (v < 0n) v += 1n << 64n;
  const out: number[] = [];
  do {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? b | 0x80 : b);
  } while (v > 0n);
  return out;
}

const tag = (field: number, wire: number) => varint((field << 3) | wire);
const lengthDelimited = (field: number, body: number[]) => [...tag(field, 2), ...varint(body.length), ...body];

function concat(parts: ArrayLike<number>[] | Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p as ArrayLike<number>, at); at += p.length; }
  return out;
}

/** A `BundleEntryProto`. */
export function bundleEntryProto(e: { dtype: number; shape: number[]; shardId?: number; offset: number; size: number; crc: number }): Uint8Array {
  const dims = e.shape.flatMap((d) => lengthDelimited(2, [...tag(1, 0), ...varint(d)]));
  const body = [...tag(1, 0), ...varint(e.dtype), ...lengthDelimited(2, dims)];
  if (e.shardId) body.push(...tag(3, 0), ...varint(e.shardId));
  if (e.offset) body.push(...tag(4, 0), ...varint(e.offset));
  if (e.size) body.push(...tag(5, 0), ...varint(e.size));
  body.push(...tag(6, 5), e.crc & 0xff, (e.crc >>> 8) & 0xff, (e.crc >>> 16) & 0xff, (e.crc >>> 24) & 0xff);
  return Uint8Array.from(body);
}

/** A `BundleHeaderProto`: `num_shards`, little-endian, version { producer: 1 }. */
export function bundleHeaderProto(numShards = 1): Uint8Array {
  return Uint8Array.from([...tag(1, 0), ...varint(numShards), ...lengthDelimited(3, [...tag(1, 0), 1])]);
}

/** One LevelDB block's contents: prefix-compressed entries, a restart every `restartInterval`. */
export function encodeBlock(entries: Array<[Uint8Array, Uint8Array]>, restartInterval = 16): Uint8Array {
  const parts: number[] = [];
  const restarts: number[] = [];
  let prev: Uint8Array = new Uint8Array(0);
  entries.forEach(([key, value], i) => {
    let shared = 0;
    if (i % restartInterval === 0) restarts.push(parts.length);
    else while (shared < Math.min(prev.length, key.length) && prev[shared] === key[shared]) shared++;
    parts.push(...varint(shared), ...varint(key.length - shared), ...varint(value.length), ...key.subarray(shared), ...value);
    prev = key;
  });
  if (restarts.length === 0) restarts.push(0);
  const tail = new Uint8Array(4 * (restarts.length + 1));
  const view = new DataView(tail.buffer);
  restarts.forEach((r, i) => view.setUint32(4 * i, r, true));
  view.setUint32(4 * restarts.length, restarts.length, true);
  return concat([Uint8Array.from(parts), tail]);
}

function withTrailer(contents: Uint8Array): Uint8Array {
  const out = new Uint8Array(contents.length + 5);
  out.set(contents);
  out[contents.length] = 0;
  new DataView(out.buffer).setUint32(contents.length + 1, maskCrc32c(crc32c(out.subarray(0, contents.length + 1))), true);
  return out;
}

/** The index block a table of these data blocks gets: each block's last key → its handle. */
export function indexBlockFor(dataBlocks: Uint8Array[], lastKeys: Uint8Array[]): Uint8Array {
  let at = 0;
  return encodeBlock(dataBlocks.map((b, i) => {
    const handle = Uint8Array.from([...varint(at), ...varint(b.length)]);
    at += b.length + 5;
    return [lastKeys[i]!, handle];
  }), 1);
}

/**
 * A LevelDB table from block contents: data blocks in order, each with the last key it holds
 * (the index separator), then an empty metaindex block, the index block and the footer.
 * `indexBlock` / `metaBlock` replace the ones it would build (fuzzing).
 */
export function assembleTable(dataBlocks: Uint8Array[], lastKeys: Uint8Array[], o: { indexBlock?: Uint8Array; metaBlock?: Uint8Array } = {}): Uint8Array {
  const parts = dataBlocks.map(withTrailer);
  let at = parts.reduce((n, p) => n + p.length, 0);
  const meta = o.metaBlock ?? encodeBlock([]);
  const metaHandle = [...varint(at), ...varint(meta.length)];
  parts.push(withTrailer(meta));
  at += meta.length + 5;
  const index = o.indexBlock ?? indexBlockFor(dataBlocks, lastKeys);
  const indexHandle = [...varint(at), ...varint(index.length)];
  parts.push(withTrailer(index));
  const footer = new Uint8Array(48);
  footer.set([...metaHandle, ...indexHandle]);
  new DataView(footer.buffer).setBigUint64(40, MAGIC, true);
  parts.push(footer);
  return concat(parts);
}

/** Splits sorted entries into data blocks of about `blockSize` bytes (TensorFlow's default: 256 KiB). */
export function dataBlocks(entries: Array<[Uint8Array, Uint8Array]>, blockSize = 262_144, restartInterval = 16): { blocks: Uint8Array[]; lastKeys: Uint8Array[] } {
  const blocks: Uint8Array[] = [];
  const lastKeys: Uint8Array[] = [];
  let current: Array<[Uint8Array, Uint8Array]> = [];
  let size = 0;
  const flush = () => {
    if (!current.length) return;
    blocks.push(encodeBlock(current, restartInterval));
    lastKeys.push(current[current.length - 1]![0]);
    current = [];
    size = 0;
  };
  for (const e of entries) {
    current.push(e);
    size += e[0].length + e[1].length + 3;
    if (size >= blockSize) flush();
  }
  flush();
  return { blocks, lastKeys };
}

/** A tensor of a synthetic checkpoint: its values, or `size` zero bytes written as a hole. */
export interface BundleTensor {
  name: string;
  shape: number[];
  /** Default float32. */
  dtype?: 'float32' | 'float64' | 'int32' | 'int64';
  /** The values; omitted: zeros, which {@link writeTfCheckpoint} leaves as a hole in a sparse file. */
  values?: Float32Array | Float64Array | Int32Array | BigInt64Array;
}

const ITEM: Record<string, number> = { float32: 4, float64: 8, int32: 4, int64: 8 };
const utf8 = (s: string) => new TextEncoder().encode(s);
const sortByName = (tensors: BundleTensor[]) => [...tensors].sort((a, b) => Buffer.compare(Buffer.from(utf8(a.name)), Buffer.from(utf8(b.name))));

function zeroCrc(bytes: number): number {
  const chunk = new Uint8Array(Math.min(bytes, 16 * 1024 * 1024));
  let crc = 0;
  for (let left = bytes; left > 0; left -= chunk.length) crc = crc32c(left >= chunk.length ? chunk : chunk.subarray(0, left), crc);
  return crc;
}

function layout(tensors: BundleTensor[]): Array<{ t: BundleTensor; offset: number; size: number; bytes?: Uint8Array }> {
  let offset = 0;
  return sortByName(tensors).map((t) => {
    const size = t.shape.reduce((a, b) => a * b, 1) * ITEM[t.dtype ?? 'float32']!;
    const bytes = t.values ? new Uint8Array(t.values.buffer, t.values.byteOffset, t.values.byteLength) : undefined;
    if (bytes && bytes.length !== size) throw new Error(`${t.name}: ${bytes.length} bytes for shape [${t.shape}]`);
    const slot = { t, offset, size, bytes };
    offset += size;
    return slot;
  });
}

function indexBytes(slots: ReturnType<typeof layout>, crcs: number[], o: { blockSize?: number; restartInterval?: number }): Uint8Array {
  const entries: Array<[Uint8Array, Uint8Array]> = [[new Uint8Array(0), bundleHeaderProto(1)]];
  slots.forEach((s, i) => entries.push([utf8(s.t.name), bundleEntryProto({
    dtype: DT[s.t.dtype ?? 'float32']!, shape: s.t.shape, offset: s.offset, size: s.size, crc: maskCrc32c(crcs[i]!),
  })]));
  const { blocks, lastKeys } = dataBlocks(entries, o.blockSize, o.restartInterval);
  return assembleTable(blocks, lastKeys);
}

/** The `.index` and `.data-00000-of-00001` bytes of a small bundle, in memory. */
export function buildTfBundle(tensors: BundleTensor[], o: { blockSize?: number; restartInterval?: number } = {}): { index: Uint8Array; data: Uint8Array; entries: Array<[Uint8Array, Uint8Array]> } {
  const slots = layout(tensors);
  const data = new Uint8Array(slots.reduce((n, s) => n + s.size, 0));
  for (const s of slots) if (s.bytes) data.set(s.bytes, s.offset);
  const crcs = slots.map((s) => crc32c(data.subarray(s.offset, s.offset + s.size)));
  const index = indexBytes(slots, crcs, o);
  const entries: Array<[Uint8Array, Uint8Array]> = [[new Uint8Array(0), bundleHeaderProto(1)]];
  slots.forEach((s, i) => entries.push([utf8(s.t.name), bundleEntryProto({ dtype: DT[s.t.dtype ?? 'float32']!, shape: s.t.shape, offset: s.offset, size: s.size, crc: maskCrc32c(crcs[i]!) })]));
  return { index, data, entries };
}

/**
 * Writes `<dir>/<name>.index`, `<dir>/<name>.data-00000-of-00001` and the `checkpoint` text
 * file, as `tf.train.Saver.save` lays them out. Tensors without values are left as holes of
 * the sparse data file: a full-size checkpoint costs the disk only what is written.
 */
export async function writeTfCheckpoint(dir: string, name: string, tensors: BundleTensor[], o: { blockSize?: number } = {}): Promise<string> {
  const [fs, path] = await Promise.all([import('node:fs/promises'), import('node:path')]);
  await fs.mkdir(dir, { recursive: true });
  const prefix = path.join(dir, name);
  const slots = layout(tensors);
  const handle = await fs.open(`${prefix}.data-00000-of-00001`, 'w');
  const crcs: number[] = [];
  try {
    for (const s of slots) {
      if (s.bytes) {
        await handle.write(s.bytes, 0, s.bytes.length, s.offset);
        crcs.push(crc32c(s.bytes));
      } else {
        crcs.push(zeroCrc(s.size));
      }
    }
    await handle.truncate(slots.reduce((n, s) => n + s.size, 0));
  } finally {
    await handle.close();
  }
  await fs.writeFile(`${prefix}.index`, indexBytes(slots, crcs, o));
  await fs.writeFile(path.join(dir, 'checkpoint'), `model_checkpoint_path: "${name}"\nall_model_checkpoint_paths: "${name}"\n`);
  return prefix;
}
