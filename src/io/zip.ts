import { UGATITFormatError } from '../errors';

/**
 * Most entries a ZIP archive may list in its central directory (a torch checkpoint has one per storage).
 *
 * @example
 * ```ts
 * if (zip.entries.size === ZIP_MAX_ENTRIES) console.warn('archive at the entry limit');
 * ```
 */
export const ZIP_MAX_ENTRIES = 1_000_000;

/**
 * One file inside a ZIP archive, as listed by its central directory.
 *
 * @example
 * ```ts
 * for (const e of readZip(bytes).entries.values()) console.log(e.name, e.size);
 * ```
 */
export interface ZipEntry {
  /** Path inside the archive, e.g. `archive/data.pkl`. */
  readonly name: string;
  /** Offset of the entry's data (after its local header) in the archive bytes. */
  readonly dataOffset: number;
  /** Size of the entry's data in bytes (stored entries: compressed size = uncompressed size). */
  readonly size: number;
  /** CRC-32 of the data, as recorded in the central directory. */
  readonly crc32: number;
}

/**
 * A parsed ZIP archive: its entries by name, and a reader that checks each entry's CRC-32.
 *
 * @example
 * ```ts
 * const zip: ZipArchive = readZip(bytes);
 * const pkl = zip.read('archive/data.pkl');
 * ```
 */
export interface ZipArchive {
  /** Entries in central-directory order, keyed by name. */
  readonly entries: ReadonlyMap<string, ZipEntry>;
  /**
   * Returns the bytes of entry `name` (a view into the archive, not a copy) after checking
   * their CRC-32.
   */
  read(name: string): Uint8Array;
}

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_SIZE = 22;
const CENTRAL_SIZE = 46;
const LOCAL_SIZE = 30;

const METHOD_NAMES: Record<number, string> = { 8: 'deflate', 9: 'deflate64', 12: 'bzip2', 14: 'lzma', 93: 'zstd', 95: 'xz', 99: 'AES' };

let crcTable: Uint32Array | undefined;

/**
 * CRC-32 (IEEE 802.3, as used by ZIP and PNG) of `bytes`.
 *
 * @example
 * ```ts
 * crc32(new TextEncoder().encode('123456789')); // 0xcbf43926
 * ```
 */
export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  const table = crcTable;
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function fail(part: string, message: string): never {
  throw new UGATITFormatError(part, message);
}

/**
 * Parses the central directory of a ZIP archive held in memory. Only what PyTorch writes is
 * supported: single-disk archives under 4 GiB (ZIP64 end records, which PyTorch always
 * writes, are honoured below that), unencrypted, with *stored*
 * (uncompressed) entries; anything else is refused with a {@link ugatit-tf!UGATITFormatError} naming it.
 * Every offset and size is checked against the bytes present; nothing is decompressed or copied.
 *
 * @param bytes - the whole archive.
 * @throws {@link ugatit-tf!UGATITFormatError} when the bytes are not such an archive.
 * @example
 * ```ts
 * const zip = readZip(new Uint8Array(await fs.readFile('checkpoint.pt')));
 * const pickle = zip.read('archive/data.pkl');
 * ```
 */
export function readZip(bytes: Uint8Array): ZipArchive {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.byteLength;
  if (n < EOCD_SIZE) fail('zip', `file is ${n} bytes, too short for a ZIP end-of-central-directory record`);

  // The end record sits at the very end unless a comment (at most 65535 bytes) follows it.
  let eocd = -1;
  const lowest = Math.max(0, n - EOCD_SIZE - 0xffff);
  for (let at = n - EOCD_SIZE; at >= lowest; at--) {
    if (view.getUint32(at, true) === EOCD_SIGNATURE && at + EOCD_SIZE + view.getUint16(at + 20, true) === n) {
      eocd = at;
      break;
    }
  }
  if (eocd < 0) fail('zip', 'no end-of-central-directory record (not a ZIP archive, or truncated)');
  const part = `zip end record at byte ${eocd}`;
  const disk = view.getUint16(eocd + 4, true);
  const cdDisk = view.getUint16(eocd + 6, true);
  const entriesOnDisk = view.getUint16(eocd + 8, true);
  let count = view.getUint16(eocd + 10, true);
  let cdSize = view.getUint32(eocd + 12, true);
  let cdOffset = view.getUint32(eocd + 16, true);
  let cdLimit = eocd;
  // PyTorch (miniz) always writes ZIP64 end records, even for small archives; they are
  // honoured only to locate the central directory, and only below 4 GiB.
  if (eocd >= 20 && view.getUint32(eocd - 20, true) === ZIP64_LOCATOR_SIGNATURE) {
    const p64 = `zip64 end record locator at byte ${eocd - 20}`;
    const at64 = view.getBigUint64(eocd - 12, true);
    if (at64 + 56n > BigInt(eocd - 20)) fail(p64, `points at byte ${at64}, not before the locator`);
    const r = Number(at64);
    if (view.getUint32(r, true) !== ZIP64_EOCD_SIGNATURE) fail(p64, `no zip64 end record at byte ${r}`);
    const count64 = view.getBigUint64(r + 32, true);
    const size64 = view.getBigUint64(r + 40, true);
    const offset64 = view.getBigUint64(r + 48, true);
    if (count64 > BigInt(ZIP_MAX_ENTRIES) || size64 >= 0xffffffffn || offset64 >= 0xffffffffn) {
      fail(`zip64 end record at byte ${r}`, 'archives over 4 GiB or with too many entries are not supported');
    }
    const agree = (a: number, b: bigint, saturated: number): boolean => a === saturated || BigInt(a) === b;
    if (!agree(count, count64, 0xffff) || !agree(cdSize, size64, 0xffffffff) || !agree(cdOffset, offset64, 0xffffffff)) {
      fail(`zip64 end record at byte ${r}`, 'disagrees with the end-of-central-directory record');
    }
    count = Number(count64);
    cdSize = Number(size64);
    cdOffset = Number(offset64);
    cdLimit = r;
  } else if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    fail(part, 'saturated fields but no zip64 end record locator');
  }
  if (disk !== 0 || cdDisk !== 0 || (entriesOnDisk !== count && entriesOnDisk !== 0xffff)) fail(part, 'multi-disk archives are not supported');
  if (count > ZIP_MAX_ENTRIES) fail(part, `${count} entries, above the ${ZIP_MAX_ENTRIES} limit`);
  if (cdOffset + cdSize > cdLimit) fail(part, `central directory [${cdOffset}, ${cdOffset + cdSize}) overlaps the end records at ${cdLimit}`);
  if (count * CENTRAL_SIZE > cdSize) fail(part, `${count} entries cannot fit a ${cdSize}-byte central directory`);

  const names = new TextDecoder('utf-8', { fatal: true });
  const entries = new Map<string, ZipEntry>();
  let at = cdOffset;
  const cdEnd = cdOffset + cdSize;
  for (let i = 0; i < count; i++) {
    const p = `zip central directory entry ${i} at byte ${at}`;
    if (at + CENTRAL_SIZE > cdEnd) fail(p, 'runs past the end of the central directory');
    if (view.getUint32(at, true) !== CENTRAL_SIGNATURE) fail(p, 'bad signature');
    const flags = view.getUint16(at + 8, true);
    const method = view.getUint16(at + 10, true);
    const crc = view.getUint32(at + 16, true);
    const compressed = view.getUint32(at + 20, true);
    const size = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const diskStart = view.getUint16(at + 34, true);
    const localOffset = view.getUint32(at + 42, true);
    const next = at + CENTRAL_SIZE + nameLength + extraLength + commentLength;
    if (next > cdEnd) fail(p, 'name, extra field and comment run past the end of the central directory');
    let name: string;
    try {
      name = names.decode(bytes.subarray(at + CENTRAL_SIZE, at + CENTRAL_SIZE + nameLength));
    } catch {
      fail(p, 'entry name is not valid UTF-8');
    }
    const q = `zip entry "${name}"`;
    if (flags & 0x41) fail(q, 'encrypted entries are not supported');
    if (method !== 0) fail(q, `compression method ${method} (${METHOD_NAMES[method] ?? 'unknown'}) is not supported; only stored (uncompressed) entries are, as torch.save writes`);
    if (compressed === 0xffffffff || size === 0xffffffff || localOffset === 0xffffffff) fail(q, 'ZIP64 entries are not supported');
    if (compressed !== size) fail(q, `stored entry with compressed size ${compressed} but size ${size}`);
    if (diskStart !== 0) fail(q, 'multi-disk archives are not supported');
    if (entries.has(name)) fail(q, 'appears twice in the central directory');
    if (localOffset + LOCAL_SIZE > cdOffset) fail(q, `local header at ${localOffset} is past the central directory at ${cdOffset}`);
    if (view.getUint32(localOffset, true) !== LOCAL_SIGNATURE) fail(q, `no local header signature at byte ${localOffset}`);
    const localName = view.getUint16(localOffset + 26, true);
    const localExtra = view.getUint16(localOffset + 28, true);
    const dataOffset = localOffset + LOCAL_SIZE + localName + localExtra;
    if (localName !== nameLength) fail(q, `local header name length ${localName} differs from the central directory's ${nameLength}`);
    if (dataOffset + size > cdOffset) fail(q, `data [${dataOffset}, ${dataOffset + size}) runs past the central directory at ${cdOffset}`);
    for (let k = 0; k < nameLength; k++) {
      if (bytes[localOffset + LOCAL_SIZE + k] !== bytes[at + CENTRAL_SIZE + k]) fail(q, 'local header name differs from the central directory');
    }
    entries.set(name, { name, dataOffset, size, crc32: crc });
    at = next;
  }

  return {
    entries,
    read(name: string): Uint8Array {
      const e = entries.get(name);
      if (!e) fail('zip', `no entry named "${name}"`);
      const data = bytes.subarray(e.dataOffset, e.dataOffset + e.size);
      const actual = crc32(data);
      if (actual !== e.crc32) fail(`zip entry "${name}"`, `CRC-32 0x${actual.toString(16)} does not match the recorded 0x${e.crc32.toString(16)} (corrupted file)`);
      return data;
    },
  };
}
