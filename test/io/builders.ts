// Hand-built pickles, ZIP archives and torch checkpoints for the io tests and the fuzzers.
// They follow what torch.save writes (protocol 2, BINPUT after each object, OrderedDict via
// REDUCE, `_rebuild_tensor_v2`, BINPERSID storage ids), checked against pickletools output of
// the fixtures.
import { crc32 } from '../../src/io/zip';

/** Emits pickle opcodes. */
export class PickleWriter {
  private readonly out: number[] = [];
  private memo = 0;

  op(...bytes: number[]): this { this.out.push(...bytes); return this; }
  proto(v = 2): this { return this.op(0x80, v); }
  mark(): this { return this.op(0x28); }
  stop(): this { return this.op(0x2e); }
  none(): this { return this.op(0x4e); }
  bool(v: boolean): this { return this.op(v ? 0x88 : 0x89); }
  emptyTuple(): this { return this.op(0x29); }
  tuple(): this { return this.op(0x74); }
  tupleN(n: 1 | 2 | 3): this { return this.op(0x84 + n); }
  emptyDict(): this { return this.op(0x7d); }
  emptyList(): this { return this.op(0x5d); }
  setitem(): this { return this.op(0x73); }
  setitems(): this { return this.op(0x75); }
  appends(): this { return this.op(0x65); }
  reduce(): this { return this.op(0x52); }
  build(): this { return this.op(0x62); }
  binpersid(): this { return this.op(0x51); }
  put(): this { const k = this.memo++; return k < 256 ? this.op(0x71, k) : this.op(0x72, ...le32(k)); }
  get(k: number): this { return k < 256 ? this.op(0x68, k) : this.op(0x6a, ...le32(k)); }
  int(v: number): this {
    if (v >= 0 && v < 256) return this.op(0x4b, v);
    if (v >= 0 && v < 65536) return this.op(0x4d, v & 0xff, v >> 8);
    if (v >= -(2 ** 31) && v < 2 ** 31) return this.op(0x4a, ...le32(v));
    return this.long(BigInt(v));
  }
  long(v: bigint): this {
    const bytes: number[] = [];
    let x = v;
    do { bytes.push(Number(x & 0xffn)); x >>= 8n; } while (!(x === 0n && (bytes[bytes.length - 1] & 0x80) === 0) && !(x === -1n && (bytes[bytes.length - 1] & 0x80) !== 0));
    return this.op(0x8a, bytes.length, ...bytes);
  }
  str(s: string): this { const b = new TextEncoder().encode(s); return this.op(0x58, ...le32(b.length), ...b); }
  global(module: string, name: string): this { return this.op(0x63, ...new TextEncoder().encode(`${module}\n${name}\n`)); }
  bytes(): Uint8Array { return Uint8Array.from(this.out); }
}

function le32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

/** One tensor of a hand-built checkpoint: a view of storage `key`. */
export interface TensorSpec {
  name: string;
  key: string;
  storage: string; // e.g. 'FloatStorage'
  numel: number; // of the storage
  offset: number;
  shape: number[];
  stride: number[];
}

/** The pickle torch.save writes for `{ [outer]: OrderedDict(name → tensor) }` (or a flat state_dict when `outer` is undefined). */
export function stateDictPickle(tensors: TensorSpec[], legacy: boolean, outer?: string): Uint8Array {
  const w = new PickleWriter().proto(2);
  if (outer !== undefined) w.emptyDict().put().str(outer).put();
  w.global('collections', 'OrderedDict').put().emptyTuple().reduce().put();
  w.mark();
  for (const t of tensors) {
    w.str(t.name).put().global('torch._utils', '_rebuild_tensor_v2').put();
    w.mark().mark().str('storage').put().global('torch', t.storage).put().str(t.key).put().str('cpu').put().int(t.numel);
    if (legacy) w.none();
    w.tuple().put().binpersid();
    w.int(t.offset);
    w.mark(); for (const d of t.shape) w.int(d); w.tuple().put();
    w.mark(); for (const s of t.stride) w.int(s); w.tuple().put();
    w.bool(false).global('collections', 'OrderedDict').put().emptyTuple().reduce().put();
    w.tuple().put().reduce().put();
  }
  w.setitems();
  // OrderedDict state: torch's `_metadata` attribute, dropped by the reader.
  w.emptyDict().put().str('_metadata').put().global('collections', 'OrderedDict').put().emptyTuple().reduce().put()
    .str('').put().emptyDict().put().str('version').put().int(1).setitem().setitem().setitem().build();
  if (outer !== undefined) w.setitem();
  return w.stop().bytes();
}

/** A stored (uncompressed) ZIP archive; with `zip64`, also the ZIP64 end records PyTorch writes. */
export function buildZip(files: Array<[string, Uint8Array]>, zip64 = true): Uint8Array {
  const chunks: number[] = [];
  const central: number[] = [];
  const enc = new TextEncoder();
  const u16 = (a: number[], v: number): void => { a.push(v & 0xff, (v >> 8) & 0xff); };
  const u32 = (a: number[], v: number): void => { a.push(...le32(v)); };
  const u64 = (a: number[], v: number): void => { u32(a, v); u32(a, 0); };
  for (const [name, data] of files) {
    const offset = chunks.length;
    const nameBytes = enc.encode(name);
    const crc = crc32(data);
    u32(chunks, 0x04034b50); u16(chunks, 20); u16(chunks, 0); u16(chunks, 0); u16(chunks, 0); u16(chunks, 0);
    u32(chunks, crc); u32(chunks, data.length); u32(chunks, data.length); u16(chunks, nameBytes.length); u16(chunks, 0);
    chunks.push(...nameBytes);
    for (const b of data) chunks.push(b);
    u32(central, 0x02014b50); u16(central, 20); u16(central, 20); u16(central, 0); u16(central, 0); u16(central, 0); u16(central, 0);
    u32(central, crc); u32(central, data.length); u32(central, data.length); u16(central, nameBytes.length);
    u16(central, 0); u16(central, 0); u16(central, 0); u16(central, 0); u32(central, 0); u32(central, offset);
    central.push(...nameBytes);
  }
  const cdOffset = chunks.length;
  const end: number[] = [];
  if (zip64) {
    const at = cdOffset + central.length;
    u32(end, 0x06064b50); u64(end, 44); u16(end, 45); u16(end, 45); u32(end, 0); u32(end, 0);
    u64(end, files.length); u64(end, files.length); u64(end, central.length); u64(end, cdOffset);
    u32(end, 0x07064b50); u32(end, 0); u64(end, at); u32(end, 1);
  }
  u32(end, 0x06054b50); u16(end, 0); u16(end, 0); u16(end, files.length); u16(end, files.length);
  u32(end, central.length); u32(end, cdOffset); u16(end, 0);
  return Uint8Array.from([...chunks, ...central, ...end]);
}

/** Raw little-endian storage bytes of `values` for a storage type. */
export function storageBytes(storage: string, values: number[]): Uint8Array {
  switch (storage) {
    case 'FloatStorage': return new Uint8Array(Float32Array.from(values).buffer);
    case 'DoubleStorage': return new Uint8Array(Float64Array.from(values).buffer);
    case 'LongStorage': return new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer);
    case 'IntStorage': return new Uint8Array(Int32Array.from(values).buffer);
    case 'ByteStorage': return Uint8Array.from(values);
    default: throw new Error(`builder: no ${storage}`);
  }
}

/** A zip-format checkpoint holding `pickle` and the storages. */
export function buildZipCheckpoint(pickle: Uint8Array, storages: Array<[string, Uint8Array]>, folder = 'archive'): Uint8Array {
  return buildZip([
    [`${folder}/data.pkl`, pickle],
    ...storages.map(([key, data]) => [`${folder}/data/${key}`, data] as [string, Uint8Array]),
    [`${folder}/version`, new TextEncoder().encode('3\n')],
  ]);
}

/** A legacy-format checkpoint: magic, protocol 1001, sys_info, `pickle`, keys, storages. */
export function buildLegacyCheckpoint(pickle: Uint8Array, storages: Array<[string, number, Uint8Array]>): Uint8Array {
  const magic = new PickleWriter().proto(2).long(0x1950a86a20f9469cfc6cn).stop().bytes();
  const version = new PickleWriter().proto(2).int(1001).stop().bytes();
  const sys = new PickleWriter().proto(2).emptyDict().put().mark()
    .str('protocol_version').put().int(1001).str('little_endian').put().bool(true)
    .str('type_sizes').put().emptyDict().put().mark().str('short').put().int(2).str('int').put().int(4).str('long').put().int(4).setitems()
    .setitems().stop().bytes();
  const keys = new PickleWriter().proto(2).emptyList().put().mark();
  for (const [key] of storages) keys.str(key).put();
  keys.appends().stop();
  const parts: Uint8Array[] = [magic, version, sys, pickle, keys.bytes()];
  for (const [, numel, data] of storages) {
    parts.push(new Uint8Array(BigInt64Array.from([BigInt(numel)]).buffer), data);
  }
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/**
 * A small checkpoint exercising views: a contiguous weight, a transposed (non-contiguous) view,
 * a view at a storage offset sharing the first storage, and an int64 tensor.
 */
export function smallCheckpointSpec(): { tensors: TensorSpec[]; storages: Array<[string, string, number[]]> } {
  const f = [0, 1, 2, 3, 4, 5, -1.5, 2.25, Number.NaN, -0, 1e-7, 3e38];
  return {
    tensors: [
      { name: 'conv.weight', key: '0', storage: 'FloatStorage', numel: 12, offset: 0, shape: [2, 3, 2], stride: [6, 2, 1] },
      { name: 'fc.weight_t', key: '0', storage: 'FloatStorage', numel: 12, offset: 0, shape: [3, 2], stride: [1, 3] },
      { name: 'fc.bias', key: '0', storage: 'FloatStorage', numel: 12, offset: 6, shape: [4], stride: [1] },
      { name: 'norm.num_batches_tracked', key: '1', storage: 'LongStorage', numel: 1, offset: 0, shape: [], stride: [] },
      { name: 'double', key: '2', storage: 'DoubleStorage', numel: 2, offset: 1, shape: [1], stride: [1] },
    ],
    storages: [['0', 'FloatStorage', f], ['1', 'LongStorage', [7]], ['2', 'DoubleStorage', [0.1, -2.5]]],
  };
}

/** {@link smallCheckpointSpec} as a zip-format file. */
export function smallZipCheckpoint(outer?: string): Uint8Array {
  const { tensors, storages } = smallCheckpointSpec();
  return buildZipCheckpoint(stateDictPickle(tensors, false, outer), storages.map(([k, t, v]) => [k, storageBytes(t, v)]));
}

/** {@link smallCheckpointSpec} as a legacy-format file. */
export function smallLegacyCheckpoint(outer?: string): Uint8Array {
  const { tensors, storages } = smallCheckpointSpec();
  return buildLegacyCheckpoint(stateDictPickle(tensors, true, outer), storages.map(([k, t, v]) => [k, v.length, storageBytes(t, v)]));
}
