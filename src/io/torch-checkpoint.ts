import * as tf from '@tensorflow/tfjs-core';
import { UGATITFormatError } from '../errors';
import { decodeStrided, ElementType } from './decode';
import { PickleGlobal, PickleLimits, TorchStorageDtype, TorchStorageType, TorchTensorRef, unpickleAt } from './pickle';
import { readZip } from './zip';

/**
 * Most elements one tensor of a PyTorch checkpoint may have (2²⁹: 2 GiB as float32).
 *
 * @example
 * ```ts
 * readTorchCheckpoint(bytes, { maxTensorElements: TORCH_MAX_TENSOR_ELEMENTS / 4 });
 * ```
 */
export const TORCH_MAX_TENSOR_ELEMENTS = 2 ** 29;
/**
 * Most elements all tensors of one checkpoint may have together (2³⁰). Views may repeat a
 * storage (stride 0, or many tensors sharing one storage), so this is checked before anything
 * is allocated, not implied by the file size.
 *
 * @example
 * ```ts
 * readTorchCheckpoint(bytes, { maxTotalElements: TORCH_MAX_TOTAL_ELEMENTS / 4 });
 * ```
 */
export const TORCH_MAX_TOTAL_ELEMENTS = 2 ** 30;

/**
 * Options of {@link readTorchCheckpoint}: pickle limits plus tensor-size limits.
 *
 * @example
 * ```ts
 * const options: TorchCheckpointOptions = { maxTotalElements: 2 ** 26, maxMemo: 100_000 };
 * ```
 */
export interface TorchCheckpointOptions extends PickleLimits {
  /** Default {@link TORCH_MAX_TENSOR_ELEMENTS}. */
  maxTensorElements?: number;
  /** Default {@link TORCH_MAX_TOTAL_ELEMENTS}. */
  maxTotalElements?: number;
}

/** The magic number the legacy (pre-1.6) format starts with, as its first pickle. */
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;

const TYPE_OF: Record<TorchStorageDtype, ElementType> = {
  float64: 'F64', float32: 'F32', float16: 'F16', bfloat16: 'BF16', int64: 'I64',
  int32: 'I32', int16: 'I16', int8: 'I8', uint8: 'U8', bool: 'BOOL',
};

/** A storage named by a persistent id; `data` is filled once its bytes are located. */
class Storage {
  data?: Uint8Array;
  constructor(readonly key: string, readonly type: TorchStorageType, readonly numel: number) {}
}

/** A legacy-format view of a storage (`view_metadata`): elements [offset, offset + size) of `root`. */
class StorageView {
  constructor(readonly root: Storage, readonly offset: number, readonly size: number) {}
}

function isIndex(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function storageType(v: unknown): TorchStorageType | undefined {
  if (v instanceof TorchStorageType) return v;
  if (v instanceof PickleGlobal && v.value instanceof TorchStorageType) return v.value;
  return undefined;
}

function asText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array && v.length <= 256) return String.fromCharCode(...v);
  return undefined;
}

/**
 * Resolves persistent ids `('storage', storage_type, key, location, numel[, view_metadata])`
 * into {@link Storage} objects, one per key.
 */
function storageLoader(part: string, legacy: boolean, storages: Map<string, Storage>) {
  return (pid: unknown): unknown => {
    const bad = (m: string): never => { throw new UGATITFormatError(part, `persistent id: ${m}`); };
    if (!Array.isArray(pid) || pid.length < 1) return bad('not a tuple');
    const kind = asText(pid[0]);
    if (kind !== 'storage') return bad(`only storages are supported, not ${JSON.stringify(kind ?? typeof pid[0])}${kind === 'module' ? ' (a whole pickled module: save its state_dict instead)' : ''}`);
    if (pid.length !== (legacy ? 6 : 5)) return bad(`a storage id has ${legacy ? 6 : 5} fields, this one ${pid.length}`);
    const type = storageType(pid[1]);
    const key = asText(pid[2]);
    const numel = pid[4];
    if (!type) return bad('storage type is not one of torch.*Storage');
    if (key === undefined || key.length > 256) return bad('storage key is not a short string');
    if (typeof asText(pid[3]) !== 'string') return bad('storage location is not a string');
    if (!isIndex(numel)) return bad(`storage size ${String(numel)} is not a non-negative integer`);
    let s = storages.get(key);
    if (!s) {
      s = new Storage(key, type, numel);
      storages.set(key, s);
    } else if (s.type !== type || s.numel !== numel) {
      bad(`storage "${key}" is named twice with different types or sizes`);
    }
    const meta = legacy ? pid[5] : null;
    if (meta === null) return s;
    if (!Array.isArray(meta) || meta.length !== 3 || !isIndex(meta[1]) || !isIndex(meta[2])) return bad('malformed view metadata');
    if (meta[1] + meta[2] > numel) return bad(`view [${meta[1]}, ${meta[1] + meta[2]}) outside storage "${key}" of ${numel} elements`);
    return new StorageView(s, meta[1], meta[2]);
  };
}

function readZipCheckpoint(bytes: Uint8Array, options: TorchCheckpointOptions): unknown {
  const zip = readZip(bytes);
  const pickles = [...zip.entries.keys()].filter((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (pickles.length !== 1) {
    throw new UGATITFormatError('torch checkpoint', pickles.length === 0 ? 'zip archive has no <folder>/data.pkl record: not a torch.save file' : `zip archive has ${pickles.length} <folder>/data.pkl records`);
  }
  const prefix = pickles[0].slice(0, -'data.pkl'.length);
  const byteorder = zip.entries.has(`${prefix}byteorder`) ? new TextDecoder().decode(zip.read(`${prefix}byteorder`)).trim() : 'little';
  if (byteorder !== 'little') throw new UGATITFormatError('torch checkpoint', `byte order "${byteorder.slice(0, 20)}" is not supported (only little-endian)`);
  const storages = new Map<string, Storage>();
  const { value } = unpickleAt(zip.read(pickles[0]), {
    ...options, name: pickles[0], persistentLoad: storageLoader(pickles[0], false, storages),
  });
  for (const s of storages.values()) {
    const record = `${prefix}data/${s.key}`;
    if (!zip.entries.has(record)) throw new UGATITFormatError('torch checkpoint', `storage "${s.key}" has no record ${record}`);
    const expected = s.numel * s.type.itemSize;
    const size = zip.entries.get(record)!.size;
    if (size !== expected) throw new UGATITFormatError(`zip entry "${record}"`, `${size} bytes for ${s.numel} elements of ${s.type.name} (expected ${expected})`);
    s.data = zip.read(record);
  }
  return materialize(value, options);
}

function readLegacyCheckpoint(bytes: Uint8Array, options: TorchCheckpointOptions): unknown {
  const part = 'legacy torch checkpoint';
  let magic: unknown;
  let at: number;
  try {
    ({ value: magic, end: at } = unpickleAt(bytes, { ...options, name: 'legacy magic number pickle' }));
  } catch (e) {
    if (!(e instanceof UGATITFormatError)) throw e;
    throw new UGATITFormatError('torch checkpoint', `neither a zip archive nor a legacy checkpoint (${e.message})`);
  }
  if (magic !== LEGACY_MAGIC) throw new UGATITFormatError('torch checkpoint', 'neither a zip archive nor a legacy checkpoint (wrong magic number)');
  const version = unpickleAt(bytes, { ...options, offset: at, name: 'legacy protocol version pickle' });
  if (version.value !== LEGACY_PROTOCOL) throw new UGATITFormatError(part, `protocol version ${String(version.value)} is not ${LEGACY_PROTOCOL}`);
  const sys = unpickleAt(bytes, { ...options, offset: version.end, name: 'legacy sys_info pickle' });
  const info = sys.value as Record<string, unknown> | null;
  if (info === null || typeof info !== 'object' || info.little_endian !== true) throw new UGATITFormatError(part, 'sys_info does not declare a little-endian file');
  const storages = new Map<string, Storage>();
  const main = unpickleAt(bytes, { ...options, offset: sys.end, name: 'legacy main pickle', persistentLoad: storageLoader('legacy main pickle', true, storages) });
  const keys = unpickleAt(bytes, { ...options, offset: main.end, name: 'legacy storage keys pickle' });
  if (!Array.isArray(keys.value) || !keys.value.every((k) => typeof k === 'string')) throw new UGATITFormatError(part, 'storage key list is not a list of strings');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = keys.end;
  for (const key of keys.value as string[]) {
    const s = storages.get(key);
    if (!s) throw new UGATITFormatError(part, `storage "${key}" is listed but no tensor uses it`);
    if (s.data) throw new UGATITFormatError(part, `storage "${key}" is listed twice`);
    if (pos + 8 > bytes.byteLength) throw new UGATITFormatError(part, `storage "${key}": element count at byte ${pos} is past the end (truncated file)`);
    const count = view.getBigInt64(pos, true);
    if (count !== BigInt(s.numel)) throw new UGATITFormatError(part, `storage "${key}" at byte ${pos}: ${count} elements, but its id says ${s.numel}`);
    pos += 8;
    const size = s.numel * s.type.itemSize;
    if (size > bytes.byteLength - pos) throw new UGATITFormatError(part, `storage "${key}": ${size} bytes at byte ${pos} but only ${bytes.byteLength - pos} remain (truncated file)`);
    s.data = bytes.subarray(pos, pos + size);
    pos += size;
  }
  for (const s of storages.values()) {
    if (!s.data) throw new UGATITFormatError(part, `storage "${s.key}" is used but its data is not in the file`);
  }
  return materialize(main.value, options);
}

interface Plan {
  type: ElementType;
  data: Uint8Array;
  offset: number;
  shape: readonly number[];
  stride: readonly number[];
}

/** Checks every tensor view against its storage and the limits, then builds all tensors. */
function materialize(value: unknown, options: TorchCheckpointOptions): unknown {
  const maxTensor = options.maxTensorElements ?? TORCH_MAX_TENSOR_ELEMENTS;
  const maxTotal = options.maxTotalElements ?? TORCH_MAX_TOTAL_ELEMENTS;
  const plans = new Map<TorchTensorRef, Plan>();
  let total = 0;
  const seen = new Set<unknown>();
  const collect = (v: unknown): void => {
    if (v === null || typeof v !== 'object' || seen.has(v)) return;
    seen.add(v);
    if (v instanceof TorchTensorRef) {
      const part = `tensor ${plans.size}`;
      let root: Storage;
      let base = 0;
      let limit: number;
      if (v.storage instanceof Storage) { root = v.storage; limit = root.numel; }
      else if (v.storage instanceof StorageView) { root = v.storage.root; base = v.storage.offset; limit = v.storage.size; }
      else throw new UGATITFormatError(part, 'its storage is not a torch storage');
      if (v.shape.length > 64) throw new UGATITFormatError(part, `${v.shape.length} dimensions`);
      let count = 1;
      for (const d of v.shape) {
        count *= d;
        if (count > maxTensor) throw new UGATITFormatError(part, `shape [${v.shape}] has more than ${maxTensor} elements`);
      }
      total += count;
      if (total > maxTotal) throw new UGATITFormatError(part, `tensors hold more than ${maxTotal} elements in all`);
      if (count > 0) {
        let last = BigInt(v.offset);
        v.shape.forEach((d, k) => { last += BigInt(d - 1) * BigInt(v.stride[k]); });
        if (last >= BigInt(limit)) {
          throw new UGATITFormatError(part, `view (offset ${v.offset}, shape [${v.shape}], stride [${v.stride}]) reaches element ${last}, outside storage "${root.key}" of ${limit} elements`);
        }
      }
      plans.set(v, { type: TYPE_OF[root.type.dtype], data: root.data!, offset: base + v.offset, shape: v.shape, stride: v.stride });
      return;
    }
    if (Array.isArray(v) || v instanceof Set) for (const x of v) collect(x);
    else if (v instanceof Map) for (const [k, x] of v) { collect(k); collect(x); }
    else if (Object.getPrototypeOf(v) === Object.prototype) for (const x of Object.values(v)) collect(x);
  };
  collect(value);

  // Decode everything before creating any tensor, so a bad value (an int64 outside int32)
  // leaves nothing allocated behind.
  const decoded = new Map<TorchTensorRef, Float32Array | Int32Array>();
  let i = 0;
  for (const [ref, p] of plans) decoded.set(ref, decodeStrided(p.type, p.data, p.offset, p.shape, p.stride, `tensor ${i++}`));
  const tensors = new Map<TorchTensorRef, tf.Tensor>();
  for (const [ref, values] of decoded) tensors.set(ref, tf.tensor(values, [...ref.shape], values instanceof Float32Array ? 'float32' : 'int32'));

  const done = new Map<unknown, unknown>();
  const build = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object') return v;
    if (v instanceof TorchTensorRef) return tensors.get(v);
    if (done.has(v)) return done.get(v);
    let out: unknown = v;
    if (Array.isArray(v)) out = v.map(build);
    else if (v instanceof Set) out = new Set([...v].map(build));
    else if (v instanceof Map) out = new Map([...v].map(([k, x]) => [build(k), build(x)]));
    else if (Object.getPrototypeOf(v) === Object.prototype) {
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) Object.defineProperty(o, k, { value: build(x), enumerable: true, writable: true, configurable: true });
      out = o;
    }
    done.set(v, out);
    return out;
  };
  return build(value);
}

/**
 * Reads a file written by `torch.save` — the zip format (PyTorch ≥ 1.6: `<folder>/data.pkl`
 * plus `<folder>/data/<key>` records) or the legacy format (magic number, protocol 1001,
 * sys_info, main pickle, storage keys, raw storages) — without executing anything: pickles
 * are read by a restricted VM (see {@link PICKLE_ALLOWED_GLOBALS}). Tensors come back as
 * `tf.Tensor`s (float types as `float32`, integer and bool types as `int32`; int64 values
 * must fit int32), with storage offsets and strides applied; `dict`/`OrderedDict` with string
 * keys (a `state_dict`) become plain objects in insertion order. Every offset, length and
 * shape is checked against the bytes present and the limits before anything is allocated.
 *
 * @param bytes - the whole file.
 * @returns the object that was saved; the caller owns its tensors and must dispose them.
 * @throws {@link ugatit-tf!UGATITFormatError} when the file is malformed, names a global outside the
 *   allowlist, or exceeds a limit.
 * @example
 * ```ts
 * const ckpt = readTorchCheckpoint(new Uint8Array(await fs.readFile('selfie2anime_params_latest.pt')));
 * const genA2B = (ckpt as Record<string, Record<string, tf.Tensor>>).genA2B;
 * ```
 */
export function readTorchCheckpoint(bytes: Uint8Array, options: TorchCheckpointOptions = {}): unknown {
  if (bytes.byteLength >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) {
    return readZipCheckpoint(bytes, options);
  }
  if (bytes.byteLength > 262 && String.fromCharCode(...bytes.subarray(257, 262)) === 'ustar') {
    throw new UGATITFormatError('torch checkpoint', 'tar-format checkpoints (PyTorch before 0.4) are not supported');
  }
  return readLegacyCheckpoint(bytes, options);
}
