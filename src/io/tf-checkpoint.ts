import * as tf from '@tensorflow/tfjs-core';
import { UGATITFormatError } from '../errors';
import {
  checkTfEntryReadable, decodeTfEntryValues, parseTFBundleIndex, tfEntryRange, TF_INDEX_MAX_BYTES,
  type TFBundleEntry, type TFBundleHeader,
} from './tf-bundle';

/** Largest `checkpoint` text file accepted (1 MiB). */
const STATE_MAX_BYTES = 1024 * 1024;
/** Bytes read from a data shard per call (Node refuses single reads above 2 GiB). */
const READ_CHUNK_BYTES = 64 * 1024 * 1024;

/** The `CheckpointState` text file (`checkpoint`) that `tf.train.Saver` keeps next to its checkpoints. */
export interface TFCheckpointState {
  /** The newest checkpoint's prefix, as written (absolute, or relative to the folder). */
  readonly modelCheckpointPath: string;
  /** Every checkpoint still kept, oldest first. */
  readonly allModelCheckpointPaths: readonly string[];
}

const SIMPLE_ESCAPES: Record<string, number> = { n: 10, t: 9, r: 13, '"': 34, "'": 39, '\\': 92, a: 7, b: 8, f: 12, v: 11, '?': 63 };

/** Undoes text-format string escapes (C-style, octal and hex bytes); the result is UTF-8 decoded. */
function unescapeTextFormat(body: string, line: number): string {
  const bytes: number[] = [];
  const encoder = new TextEncoder();
  const pattern = /\\(?:([ntr"'\\abfv?])|([0-7]{1,3})|x([0-9a-fA-F]{1,2}))|([^\\]+)|(\\.?)/gs;
  for (const m of body.matchAll(pattern)) {
    if (m[1] !== undefined) bytes.push(SIMPLE_ESCAPES[m[1]]!);
    else if (m[2] !== undefined) bytes.push(parseInt(m[2], 8) & 0xff);
    else if (m[3] !== undefined) bytes.push(parseInt(m[3], 16));
    else if (m[4] !== undefined) for (const b of encoder.encode(m[4])) bytes.push(b);
    else throw new UGATITFormatError(`checkpoint state, line ${line}`, `unknown escape ${JSON.stringify(m[5])}`);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
  } catch {
    throw new UGATITFormatError(`checkpoint state, line ${line}`, 'path is not valid UTF-8');
  }
}

/**
 * Parses the `checkpoint` file (a `CheckpointState` protocol buffer in text format) that
 * `tf.train.Saver` writes into its folder: `model_checkpoint_path: "…"` and
 * `all_model_checkpoint_paths: "…"` lines; timestamp fields are accepted and ignored.
 *
 * @throws {@link ugatit-tf!UGATITFormatError} naming the line at fault.
 * @example
 * ```ts
 * parseTFCheckpointState('model_checkpoint_path: "UGATIT.model-1000000"\n').modelCheckpointPath; // 'UGATIT.model-1000000'
 * ```
 */
export function parseTFCheckpointState(text: string): TFCheckpointState {
  if (text.length > STATE_MAX_BYTES) throw new UGATITFormatError('checkpoint state', `${text.length} characters, above the ${STATE_MAX_BYTES} limit`);
  let model: string | undefined;
  const all: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(.*)$/.exec(line);
    if (!m) throw new UGATITFormatError(`checkpoint state, line ${i + 1}`, `not a "field: value" line: ${JSON.stringify(line.slice(0, 80))}`);
    const [, key, rest] = m as unknown as [string, string, string];
    if (key === 'model_checkpoint_path' || key === 'all_model_checkpoint_paths') {
      const s = /^"((?:[^"\\]|\\.)*)"$/.exec(rest) ?? /^'((?:[^'\\]|\\.)*)'$/.exec(rest);
      if (!s) throw new UGATITFormatError(`checkpoint state, line ${i + 1}`, `${key} is not a quoted string`);
      const value = unescapeTextFormat(s[1]!, i + 1);
      if (key === 'model_checkpoint_path') model = value;
      else all.push(value);
    } else if (!/^[-+0-9.eEinfINFa]+$/.test(rest)) {
      throw new UGATITFormatError(`checkpoint state, line ${i + 1}`, `unexpected field ${key}`);
    }
  });
  if (model === undefined || model === '') throw new UGATITFormatError('checkpoint state', 'no model_checkpoint_path');
  return { modelCheckpointPath: model, allModelCheckpointPaths: all };
}

/**
 * Finds a checkpoint's prefix (the path before `.index`) from what a user points at: a folder
 * with TensorFlow's `checkpoint` file (its `model_checkpoint_path`, relative to the folder,
 * or absolute; an absolute path that no longer exists is looked up by its base name in the
 * folder, for checkpoints moved after training), a folder with exactly one `.index` file, a
 * prefix, or the `.index` file itself.
 *
 * @throws {@link ugatit-tf!UGATITFormatError} saying what was looked for.
 * @example
 * ```ts
 * await resolveTFCheckpointPrefix('checkpoint/UGATIT_selfie2anime_lsgan_4resblock_6dis_1_1_10_10_1000_sn_smoothing');
 * // → '…/UGATIT.model-1000000'
 * ```
 */
export async function resolveTFCheckpointPrefix(dirOrPrefix: string): Promise<string> {
  const [fs, path] = await Promise.all([import('node:fs/promises'), import('node:path')]);
  const exists = (p: string) => fs.stat(p).then((s) => s.isFile(), () => false);
  const stat = await fs.stat(dirOrPrefix).catch(() => null);
  if (stat?.isDirectory()) {
    const statePath = path.join(dirOrPrefix, 'checkpoint');
    const state = await fs.stat(statePath).catch(() => null);
    if (state?.isFile()) {
      if (state.size > STATE_MAX_BYTES) throw new UGATITFormatError(statePath, `${state.size} bytes, above the ${STATE_MAX_BYTES}-byte limit`);
      const { modelCheckpointPath: p } = parseTFCheckpointState(await fs.readFile(statePath, 'utf8'));
      const candidates = path.isAbsolute(p) ? [p, path.join(dirOrPrefix, path.basename(p))] : [path.join(dirOrPrefix, p)];
      for (const c of candidates) if (await exists(`${c}.index`)) return c;
      throw new UGATITFormatError(statePath, `names checkpoint "${p}", but ${candidates.map((c) => `${c}.index`).join(' and ')} ${candidates.length > 1 ? 'do' : 'does'} not exist`);
    }
    const indexes = (await fs.readdir(dirOrPrefix)).filter((f) => f.endsWith('.index')).sort();
    if (indexes.length === 1) return path.join(dirOrPrefix, indexes[0]!.slice(0, -'.index'.length));
    throw new UGATITFormatError(dirOrPrefix, indexes.length === 0
      ? 'holds neither a TensorFlow "checkpoint" file nor a .index file'
      : `has no "checkpoint" file and ${indexes.length} .index files (${indexes.join(', ')}); pass one prefix`);
  }
  if (stat?.isFile() && dirOrPrefix.endsWith('.index')) return dirOrPrefix.slice(0, -'.index'.length);
  if (await exists(`${dirOrPrefix}.index`)) return dirOrPrefix;
  throw new UGATITFormatError(dirOrPrefix, 'is neither a checkpoint folder, a checkpoint prefix (with <prefix>.index) nor a .index file');
}

/** Progress of {@link TFCheckpoint.readTensor}, reported after every chunk read. */
export interface TFReadProgress {
  /** The tensor being read. */
  readonly name: string;
  /** Bytes of it read so far. */
  readonly bytesRead: number;
  /** Its size in bytes. */
  readonly bytes: number;
}

/**
 * An open TensorFlow checkpoint whose tensors are read one at a time, by offset, from their
 * data shards: memory holds the index and the tensor being read, never the data file.
 */
export interface TFCheckpoint {
  /** The checkpoint prefix (`…/UGATIT.model-1000000`). */
  readonly prefix: string;
  /** The bundle header. */
  readonly header: TFBundleHeader;
  /** Every tensor of the checkpoint, keyed by variable name, in key order. */
  readonly entries: ReadonlyMap<string, TFBundleEntry>;
  /**
   * Reads one tensor (its shard is opened on first use): bounds checked against the shard's
   * size before anything is allocated, CRC-32C checked after. The caller disposes it.
   */
  readTensor(name: string, onProgress?: (p: TFReadProgress) => void): Promise<tf.Tensor>;
  /** Closes the open shards. */
  close(): Promise<void>;
}

function shardSuffix(id: number, count: number): string {
  const pad = (n: number) => String(n).padStart(5, '0');
  return `.data-${pad(id)}-of-${pad(count)}`;
}

/**
 * Opens a TensorFlow 1 / 2 checkpoint (a tensor bundle: `<prefix>.index` plus
 * `<prefix>.data-NNNNN-of-MMMMM`) for streaming reads, without Python and without reading the
 * data files whole: the released selfie2anime data file is 8 GB, two thirds of it Adam slots.
 * The `.meta` graph file, if any, is not read. Node only.
 *
 * @param dirOrPrefix - see {@link resolveTFCheckpointPrefix}.
 * @throws {@link ugatit-tf!UGATITFormatError} when the index is malformed or too large ({@link TF_INDEX_MAX_BYTES}).
 * @example
 * ```ts
 * const ckpt = await openTFCheckpoint('checkpoint/UGATIT_selfie2anime_lsgan_4resblock_6dis_1_1_10_10_1000_sn_smoothing');
 * try {
 *   const kernel = await ckpt.readTensor('generator_B/conv/conv2d/kernel'); // [7, 7, 3, 64]
 *   kernel.dispose();
 * } finally {
 *   await ckpt.close();
 * }
 * ```
 */
export async function openTFCheckpoint(dirOrPrefix: string): Promise<TFCheckpoint> {
  const fs = await import('node:fs/promises');
  const prefix = await resolveTFCheckpointPrefix(dirOrPrefix);
  const indexPath = `${prefix}.index`;
  const { size } = await fs.stat(indexPath);
  if (size > TF_INDEX_MAX_BYTES) throw new UGATITFormatError(indexPath, `${size} bytes, above the ${TF_INDEX_MAX_BYTES}-byte limit`);
  const { header, entries } = parseTFBundleIndex(new Uint8Array(await fs.readFile(indexPath)));
  const shards = new Map<number, Promise<{ handle: import('node:fs/promises').FileHandle; size: number; path: string }>>();
  const shard = (id: number) => {
    let s = shards.get(id);
    if (!s) {
      const p = `${prefix}${shardSuffix(id, header.numShards)}`;
      s = fs.open(p, 'r').then(async (handle) => ({ handle, size: (await handle.stat()).size, path: p }), (e: NodeJS.ErrnoException) => {
        throw e.code === 'ENOENT' ? new UGATITFormatError(p, 'data shard is missing') : e;
      });
      shards.set(id, s);
    }
    return s;
  };
  return {
    prefix,
    header,
    entries,
    async readTensor(name, onProgress) {
      const entry = entries.get(name);
      if (!entry) throw new UGATITFormatError(indexPath, `no variable named "${name}"`);
      checkTfEntryReadable(entry);
      const s = await shard(entry.shardId);
      const { begin } = tfEntryRange(entry, s.size, s.path);
      const bytes = new Uint8Array(entry.size);
      for (let done = 0; done < entry.size;) {
        const length = Math.min(READ_CHUNK_BYTES, entry.size - done);
        const { bytesRead } = await s.handle.read(bytes, done, length, begin + done);
        if (bytesRead === 0) throw new UGATITFormatError(s.path, `ends inside entry "${name}" (truncated while reading)`);
        done += bytesRead;
        onProgress?.({ name, bytesRead: done, bytes: entry.size });
      }
      const values = decodeTfEntryValues(entry, bytes);
      return tf.tensor(values, [...entry.shape], values instanceof Float32Array ? 'float32' : 'int32');
    },
    async close() {
      const open = [...shards.values()];
      shards.clear();
      await Promise.all(open.map((s) => s.then((x) => x.handle.close(), () => undefined)));
    },
  };
}
