import { UGATITFormatError } from '../errors';
import { crc32c, maskCrc32c } from './crc32c';
import { readVarint, varintToIndex } from './protobuf';

/** LevelDB's table magic number (`kTableMagicNumber`), the last 8 bytes of every table. */
const TABLE_MAGIC = 0xdb4775248b80fb57n;
/** Two block handles of at most 10 + 10 bytes, padded, then the magic number. */
const FOOTER_BYTES = 48;
/** Each block is followed by a compression-type byte and a masked CRC-32C. */
const BLOCK_TRAILER_BYTES = 5;
const BLOCK_TYPE_NAMES: Record<number, string> = { 1: 'snappy', 2: 'zstd' };

/**
 * Longest key a table entry may have after its shared prefix is restored. TensorFlow keys
 * are variable names, a few hundred bytes at most.
 */
export const LEVELDB_MAX_KEY_BYTES = 4096;
/** Most entries one table may hold (the released selfie2anime index has 777). */
export const LEVELDB_MAX_ENTRIES = 1_000_000;
/**
 * Most key bytes all entries may expand to together. Prefix compression lets a small file
 * describe long keys (each entry repeating the previous one's bytes), so this bounds the work
 * independently of the file size.
 */
export const LEVELDB_MAX_TOTAL_KEY_BYTES = 64 * 1024 * 1024;

/**
 * One key/value pair of a LevelDB table, in the table's (bytewise) order. Both are views of
 * the table's bytes or of a fresh key buffer; nothing is decoded.
 */
export interface LevelDbEntry {
  /** The key, prefix restored. */
  readonly key: Uint8Array;
  /** The value bytes. */
  readonly value: Uint8Array;
}

interface BlockHandle { offset: number; size: number }

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

class TableReader {
  private entries = 0;
  private keyBytes = 0;

  /** Blocks must end before this byte: the footer's start once it is known. */
  private limit: number;

  constructor(private readonly bytes: Uint8Array, private readonly part: string) {
    this.limit = bytes.length;
  }

  fail(where: string, message: string): never {
    throw new UGATITFormatError(`${this.part} ${where}`, message);
  }

  handle(bytes: Uint8Array, at: number, end: number, where: string): { handle: BlockHandle; next: number } {
    const offset = readVarint(bytes, at, end, `${this.part} ${where}`);
    const size = readVarint(bytes, offset.next, end, `${this.part} ${where}`);
    return {
      handle: {
        offset: varintToIndex(offset.value, this.limit, `${this.part} ${where}`, 'block offset'),
        size: varintToIndex(size.value, this.limit, `${this.part} ${where}`, 'block size'),
      },
      next: size.next,
    };
  }

  /** A block's contents, after checking that it and its trailer lie before `limit` and its CRC. */
  block(h: BlockHandle, where: string): Uint8Array {
    if (h.offset + h.size + BLOCK_TRAILER_BYTES > this.limit) {
      this.fail(where, `block [${h.offset}, ${h.offset + h.size}) and its trailer run past byte ${this.limit}`);
    }
    const end = h.offset + h.size;
    const type = this.bytes[end]!;
    const stored = new DataView(this.bytes.buffer, this.bytes.byteOffset + end + 1, 4).getUint32(0, true);
    const actual = maskCrc32c(crc32c(this.bytes.subarray(end, end + 1), crc32c(this.bytes.subarray(h.offset, end))));
    if (actual !== stored) this.fail(where, `CRC-32C 0x${actual.toString(16)} does not match the stored 0x${stored.toString(16)} (corrupted file)`);
    if (type !== 0) {
      this.fail(where, `compression type ${type} (${BLOCK_TYPE_NAMES[type] ?? 'unknown'}) is not supported; TensorFlow writes tensor bundle indexes uncompressed`);
    }
    return this.bytes.subarray(h.offset, end);
  }

  /** The entries of one block: prefix-compressed keys, restart points checked. */
  entriesOf(block: Uint8Array, where: string): LevelDbEntry[] {
    if (block.length < 4) this.fail(where, `block of ${block.length} bytes is too short for its restart count`);
    const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
    const restarts = view.getUint32(block.length - 4, true);
    if (restarts === 0 || restarts > (block.length - 4) / 4) this.fail(where, `${restarts} restart points cannot fit a ${block.length}-byte block`);
    const dataEnd = block.length - 4 - 4 * restarts;
    const out: LevelDbEntry[] = [];
    const starts = new Map<number, number>();
    let prev = new Uint8Array(0);
    let at = 0;
    while (at < dataEnd) {
      const p = `${this.part} ${where}, entry at byte ${at}`;
      const shared = readVarint(block, at, dataEnd, p);
      const unshared = readVarint(block, shared.next, dataEnd, p);
      const valueLength = readVarint(block, unshared.next, dataEnd, p);
      const body = valueLength.next;
      if (shared.value > BigInt(prev.length)) this.fail(`${where}, entry at byte ${at}`, `shares ${shared.value} key bytes but the previous key has ${prev.length}`);
      if (unshared.value + valueLength.value > BigInt(dataEnd - body)) {
        this.fail(`${where}, entry at byte ${at}`, `key and value of ${unshared.value} + ${valueLength.value} bytes run past the entries' end at ${dataEnd}`);
      }
      const s = Number(shared.value);
      const u = Number(unshared.value);
      const v = Number(valueLength.value);
      if (s + u > LEVELDB_MAX_KEY_BYTES) this.fail(`${where}, entry at byte ${at}`, `key of ${s + u} bytes is above the ${LEVELDB_MAX_KEY_BYTES}-byte limit`);
      if (++this.entries > LEVELDB_MAX_ENTRIES) this.fail(where, `more than ${LEVELDB_MAX_ENTRIES} entries`);
      this.keyBytes += s + u;
      if (this.keyBytes > LEVELDB_MAX_TOTAL_KEY_BYTES) this.fail(where, `keys expand to more than ${LEVELDB_MAX_TOTAL_KEY_BYTES} bytes`);
      const key = new Uint8Array(s + u);
      key.set(prev.subarray(0, s));
      key.set(block.subarray(body, body + u), s);
      starts.set(at, s);
      out.push({ key, value: block.subarray(body + u, body + u + v) });
      prev = key;
      at = body + u + v;
    }
    let last = -1;
    for (let i = 0; i < restarts; i++) {
      const r = view.getUint32(dataEnd + 4 * i, true);
      if (out.length === 0 && r === 0) continue;
      if (r <= last || starts.get(r) !== 0 || (i === 0 && r !== 0)) {
        this.fail(where, `restart point ${i} at byte ${r} is not the start of an unshared entry in order`);
      }
      last = r;
    }
    return out;
  }

  read(): LevelDbEntry[] {
    const n = this.bytes.length;
    if (n < FOOTER_BYTES) this.fail('footer', `file is ${n} bytes, shorter than the ${FOOTER_BYTES}-byte table footer`);
    const footer = n - FOOTER_BYTES;
    const magic = new DataView(this.bytes.buffer, this.bytes.byteOffset + n - 8, 8).getBigUint64(0, true);
    if (magic !== TABLE_MAGIC) this.fail('footer', `magic number 0x${magic.toString(16)} is not LevelDB's 0x${TABLE_MAGIC.toString(16)} (not a table, or truncated)`);
    this.limit = footer;
    const meta = this.handle(this.bytes, footer, n - 8, 'footer');
    const index = this.handle(this.bytes, meta.next, n - 8, 'footer');
    this.entriesOf(this.block(meta.handle, 'metaindex block'), 'metaindex block');
    const indexEntries = this.entriesOf(this.block(index.handle, 'index block'), 'index block');
    const out: LevelDbEntry[] = [];
    let previousEnd = 0;
    let previousKey: Uint8Array | undefined;
    indexEntries.forEach((ie, i) => {
      const where = `data block ${i}`;
      const { handle, next } = this.handle(ie.value, 0, ie.value.length, `index entry ${i}`);
      if (next !== ie.value.length) this.fail(`index entry ${i}`, `${ie.value.length - next} bytes follow its block handle`);
      // Data blocks in file order, each once: the work stays linear in the file size.
      if (handle.offset < previousEnd) this.fail(where, `starts at byte ${handle.offset}, inside the previous block (ends at ${previousEnd})`);
      previousEnd = handle.offset + handle.size + BLOCK_TRAILER_BYTES;
      for (const e of this.entriesOf(this.block(handle, where), where)) {
        if (previousKey && compareBytes(previousKey, e.key) >= 0) this.fail(where, 'keys are not in strictly increasing order');
        if (compareBytes(e.key, ie.key) > 0) this.fail(where, 'holds a key above its index entry\'s separator');
        out.push(e);
        previousKey = e.key;
      }
    });
    return out;
  }
}

/**
 * Reads every entry of a LevelDB table (SSTable), the format of TensorFlow's tensor-bundle
 * `.index` files: footer with magic number, metaindex and index block handles; blocks of
 * prefix-compressed entries with restart points; a compression byte and masked CRC-32C after
 * each block, checked. Only uncompressed blocks are supported (what TensorFlow writes). Data
 * blocks must appear in file order and keys in strictly increasing bytewise order.
 *
 * @param bytes - the whole table.
 * @param part - names the file in errors. Default `'leveldb table'`.
 * @returns the entries in key order.
 * @throws {@link UGATITFormatError} naming the block and byte of the first problem.
 * @example
 * ```ts
 * for (const { key, value } of readLevelDbTable(indexBytes)) console.log(new TextDecoder().decode(key), value.length);
 * ```
 */
export function readLevelDbTable(bytes: Uint8Array, part = 'leveldb table'): LevelDbEntry[] {
  return new TableReader(bytes, part).read();
}
