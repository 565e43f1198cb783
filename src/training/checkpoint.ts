import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { UGATITConfigError, UGATITFormatError } from '../errors';
import { writeFileDurably } from '../io/durable-file';
import { isAbsentFileError, isReadFailure } from '../io/file-errors';
import { loadLayersModelFromDir, saveLayersModelToDir } from '../io/file-handler';
import { readSafetensors, writeSafetensors } from '../io/safetensors';
import type { TorchAdamState } from './adam';
import { GENERATOR_NAMES, type GeneratorAverage, type GeneratorPair } from './generator-average';
import { NETWORK_NAMES, type TrainerState, type UGATITNetworks } from './trainer';

/** Name of the file, inside a training directory, that names the newest complete checkpoint. */
export const LATEST_CHECKPOINT_FILE = 'latest';
/** The folder of a checkpoint holding its averaged generators. */
const AVERAGE_FOLDER = 'average';

const STATE_FILE = 'state.json';

async function node() {
  const [fs, path] = await Promise.all([import('node:fs/promises'), import('node:path')]);
  return { fs, path };
}

/** What a training checkpoint holds besides the networks and optimizer moments. */
export interface CheckpointMetadata {
  /** Format version. */
  version: 1;
  /** Iterations completed. */
  iteration: number;
  /** Learning rate the next iteration starts from. */
  lr: number;
  /** Optimizer step counters, keyed `<network>/<weight>`. */
  generatorSteps: Record<string, number>;
  /** Optimizer step counters, keyed `<network>/<weight>`. */
  discriminatorSteps: Record<string, number>;
  /** Caller data (configuration, data-pipeline and RNG state), JSON. */
  extra: Record<string, unknown>;
  /** Whether the checkpoint holds averaged generators in `average/` (see {@link GeneratorAverage}). */
  average?: boolean;
}

/** A loaded training checkpoint. */
export interface LoadedCheckpoint {
  /** The six networks, spectral-norm state included. */
  networks: UGATITNetworks;
  /** Pass to `trainer.setState` (tensors are owned by the caller: dispose after). */
  state: TrainerState;
  /** What was saved as `extra`. */
  extra: Record<string, unknown>;
  /** The checkpoint folder read. */
  path: string;
  /** The averaged generators, where the run keeps an average (see {@link GeneratorAverage}). */
  average?: GeneratorPair;
}

type Fs = typeof import('node:fs/promises');

const CHECKPOINT_NAME = /^ckpt-(\d+)$/;
/** A complete checkpoint moved aside while a newer save of the same iteration replaces it. */
const REPLACED_NAME = /^\.replaced-ckpt-(\d+)-/;
/** Work folders and files of unfinished saves or deletions: never loaded, removed by the next save. */
const STALE_NAME = /^\.(tmp-|trash-|latest\.tmp)/;

/** Makes renames and new entries in `folder` durable, where the platform can fsync a folder. */
async function syncFolder(fs: Fs, folder: string): Promise<void> {
  let handle: Awaited<ReturnType<Fs['open']>> | undefined;
  try {
    handle = await fs.open(folder, 'r');
    await handle.sync();
  } catch {
    /* Windows and some file systems cannot open or fsync a folder. */
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

const uniqueTag = () => `${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

/** Deletes a folder so that no crash can leave a half-deleted one under a loadable name. */
async function removeAtomically(fs: Fs, dir: string, name: string): Promise<void> {
  const trash = `${dir}/.trash-${name.replace(/^\./, '')}-${uniqueTag()}`;
  await fs.rename(`${dir}/${name}`, trash);
  await fs.rm(trash, { recursive: true, force: true });
}

/** Removes what killed saves left behind; a replaced checkpoint whose successor never landed is put back. */
async function cleanStale(fs: Fs, dir: string): Promise<void> {
  const entries = await fs.readdir(dir);
  for (const entry of entries) {
    if (STALE_NAME.test(entry)) await fs.rm(`${dir}/${entry}`, { recursive: true, force: true });
  }
  for (const entry of entries) {
    const m = REPLACED_NAME.exec(entry);
    if (!m) continue;
    const original = `ckpt-${m[1]}`;
    if (!entries.includes(original) && (await isComplete(fs, `${dir}/${entry}`))) await fs.rename(`${dir}/${entry}`, `${dir}/${original}`);
    else await removeAtomically(fs, dir, entry);
  }
}

/** `null` for a path that is missing or of the wrong kind; any other failure to read is thrown. */
function orNullIfAbsent<T>(e: unknown): T | null {
  if (isAbsentFileError(e)) return null;
  throw e;
}

/** Whether `folder` holds its `state.json` (written last); an unreadable folder throws. */
const isComplete = (fs: Fs, folder: string) => fs.stat(`${folder}/${STATE_FILE}`).then((s) => s.isFile(), (e) => orNullIfAbsent<boolean>(e) ?? false);

/**
 * Saves a complete training state as `<dir>/ckpt-<iteration>/` (eight digits) and then points
 * `<dir>/latest` at it. Crash-safe at every point: the checkpoint is written into a temporary
 * folder (`state.json` last), every file is fsynced, the folder is renamed into place and the
 * renames are fsynced too where the platform allows; `latest` is replaced the same way. A
 * checkpoint being replaced (same iteration) or pruned is first renamed away, so a killed
 * process never leaves a half-written or half-deleted folder under a `ckpt-*` name. What an
 * earlier killed save left behind is cleaned up first. One writer per directory.
 * Keeps the newest `keep` checkpoints. Averaged generators (`average`, see
 * {@link GeneratorAverage}) go to `average/genA2B` and `average/genB2A` of the checkpoint.
 *
 * @returns the folder written.
 * @example
 * ```ts
 * await saveTrainingCheckpoint('runs/avatars', trainer.networks, trainer.getState(), { dataset: ds.getState() });
 * ```
 */
export async function saveTrainingCheckpoint(
  dir: string, networks: UGATITNetworks, state: TrainerState, extra: Record<string, unknown> = {}, keep = 2, average?: GeneratorPair,
): Promise<string> {
  if (!(Number.isInteger(keep) && keep >= 1)) throw new UGATITConfigError(`saveTrainingCheckpoint: keep must be an integer ≥ 1, received ${keep}`);
  if (!(Number.isInteger(state.iteration) && state.iteration >= 0)) {
    throw new UGATITConfigError(`saveTrainingCheckpoint: iteration must be a non-negative integer, received ${state.iteration}`);
  }
  const { fs, path } = await node();
  dir = path.resolve(dir);
  await fs.mkdir(dir, { recursive: true });
  await cleanStale(fs, dir);
  const name = `ckpt-${String(state.iteration).padStart(8, '0')}`;
  const tmp = path.join(dir, `.tmp-${name}-${uniqueTag()}`);
  await fs.mkdir(tmp);
  for (const net of NETWORK_NAMES) await saveLayersModelToDir(networks[net], path.join(tmp, net));
  if (average) {
    for (const net of GENERATOR_NAMES) await saveLayersModelToDir(average[net], path.join(tmp, AVERAGE_FOLDER, net));
  }
  const moments = (s: TorchAdamState, prefix: string) => ({
    ...Object.fromEntries(Object.entries(s.expAvg).map(([k, v]) => [`${prefix}.exp_avg.${k}`, v])),
    ...Object.fromEntries(Object.entries(s.expAvgSq).map(([k, v]) => [`${prefix}.exp_avg_sq.${k}`, v])),
  });
  await writeFileDurably(fs, path.join(tmp, 'optimizers.safetensors'),
    writeSafetensors({ ...moments(state.generatorOptimizer, 'g'), ...moments(state.discriminatorOptimizer, 'd') }));
  const meta: CheckpointMetadata = {
    version: 1, iteration: state.iteration, lr: state.lr,
    generatorSteps: state.generatorOptimizer.steps, discriminatorSteps: state.discriminatorOptimizer.steps, extra,
    ...(average ? { average: true } : {}),
  };
  // state.json last: a folder without it is incomplete.
  await writeFileDurably(fs, path.join(tmp, STATE_FILE), JSON.stringify(meta, null, 1));
  await syncFolder(fs, tmp);

  const final = path.join(dir, name);
  let replaced: string | null = null;
  if (await fs.stat(final).then(() => true, () => false)) {
    replaced = `.replaced-${name}-${uniqueTag()}`;
    await fs.rename(final, path.join(dir, replaced));
  }
  await fs.rename(tmp, final);
  await syncFolder(fs, dir);
  const latestTmp = path.join(dir, `.${LATEST_CHECKPOINT_FILE}.tmp-${uniqueTag()}`);
  await writeFileDurably(fs, latestTmp, name);
  await fs.rename(latestTmp, path.join(dir, LATEST_CHECKPOINT_FILE));
  await syncFolder(fs, dir);

  if (replaced) await removeAtomically(fs, dir, replaced);
  const all = (await fs.readdir(dir)).filter((f) => CHECKPOINT_NAME.test(f)).sort();
  for (const old of all.slice(0, Math.max(0, all.length - keep))) {
    if (old !== name) await removeAtomically(fs, dir, old);
  }
  return final;
}

/** Complete checkpoint folders in `dir`, the most trustworthy first: `latest`, then by iteration. */
async function checkpointCandidates(dir: string): Promise<string[]> {
  const { fs, path } = await node();
  const entries = (await fs.readdir(dir).catch((e) => orNullIfAbsent<string[]>(e))) ?? [];
  const ranked = entries.flatMap((f) => {
    const m = CHECKPOINT_NAME.exec(f) ?? REPLACED_NAME.exec(f);
    return m ? [{ f, iteration: Number(m[1]), primary: f.startsWith('ckpt-') }] : [];
  }).sort((a, b) => b.iteration - a.iteration || Number(b.primary) - Number(a.primary)).map((c) => c.f);
  const named = await fs.readFile(path.join(dir, LATEST_CHECKPOINT_FILE), 'utf8').then((s) => s.trim(), (e) => orNullIfAbsent<string>(e));
  const ordered = named && CHECKPOINT_NAME.test(named) && ranked.includes(named) ? [named, ...ranked.filter((f) => f !== named)] : ranked;
  const complete: string[] = [];
  for (const f of ordered) if (await isComplete(fs, path.join(dir, f))) complete.push(path.join(dir, f));
  return complete;
}

/**
 * Finds the newest complete checkpoint folder in a training directory: the one `latest`
 * names, or else the newest `ckpt-*` that has its `state.json`. `null` when there is none.
 *
 * @example
 * ```ts
 * const folder = await findLatestCheckpoint('runs/avatars');
 * ```
 */
export async function findLatestCheckpoint(dir: string): Promise<string | null> {
  return (await checkpointCandidates(dir))[0] ?? null;
}

/** Options of {@link loadTrainingCheckpoint}. */
export interface LoadCheckpointOptions {
  /**
   * Called for each checkpoint of a training directory that is corrupt or incomplete, before
   * the next older one is tried (e.g. a disk that lost data despite the fsyncs). Default:
   * a warning on the console (`console.warn`), so that falling back is never silent.
   */
  onSkip?: (folder: string, error: Error) => void;
}

async function loadCheckpointFolder(folder: string): Promise<LoadedCheckpoint> {
  const { fs, path } = await node();
  let meta: CheckpointMetadata;
  const stateFile = path.join(folder, STATE_FILE);
  const text = await fs.readFile(stateFile, 'utf8').catch((e) => orNullIfAbsent<string>(e));
  if (text === null) throw new UGATITFormatError(stateFile, 'missing');
  try {
    meta = JSON.parse(text);
  } catch (e) {
    throw new UGATITFormatError(stateFile, `not valid JSON (${(e as Error).message})`);
  }
  if (meta?.version !== 1 || !Number.isInteger(meta.iteration) || meta.iteration < 0 || typeof meta.lr !== 'number'
    || !isObject(meta.generatorSteps) || !isObject(meta.discriminatorSteps)) {
    throw new UGATITFormatError(path.join(folder, STATE_FILE), `unsupported checkpoint (version ${meta?.version}) or missing iteration, lr or step counts`);
  }
  const networks = {} as Record<string, tfl.LayersModel>;
  const average = {} as Record<string, tfl.LayersModel>;
  let tensors: Record<string, tf.Tensor> = {};
  try {
    for (const net of NETWORK_NAMES) networks[net] = await loadLayersModelFromDir(path.join(folder, net));
    if (meta.average === true) {
      for (const net of GENERATOR_NAMES) average[net] = await loadLayersModelFromDir(path.join(folder, AVERAGE_FOLDER, net));
    }
    tensors = readSafetensors(new Uint8Array(await fs.readFile(path.join(folder, 'optimizers.safetensors'))));
  } catch (e) {
    for (const m of [...Object.values(networks), ...Object.values(average)]) m.dispose();
    // Permissions, EIO, too many open files: the checkpoint may be fine, so never skip it.
    if (isReadFailure(e) || e instanceof UGATITFormatError) throw e;
    // What tfjs refuses in a topology or weights (unknown layer, shape mismatch) is corruption.
    throw new UGATITFormatError(folder, `corrupt checkpoint (${(e as Error).message})`);
  }
  const moments = (prefix: string, steps: Record<string, number>): TorchAdamState => {
    const pick = (kind: string) => Object.fromEntries(Object.entries(tensors)
      .filter(([k]) => k.startsWith(`${prefix}.${kind}.`)).map(([k, v]) => [k.slice(prefix.length + kind.length + 2), v]));
    return { steps, expAvg: pick('exp_avg'), expAvgSq: pick('exp_avg_sq') };
  };
  const state: TrainerState = {
    iteration: meta.iteration, lr: meta.lr,
    generatorOptimizer: moments('g', meta.generatorSteps),
    discriminatorOptimizer: moments('d', meta.discriminatorSteps),
  };
  return {
    networks: networks as unknown as UGATITNetworks, state, extra: meta.extra ?? {}, path: folder,
    ...(meta.average === true ? { average: average as unknown as GeneratorPair } : {}),
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Loads a checkpoint written by {@link saveTrainingCheckpoint}: a `ckpt-*` folder, or a
 * training directory, whose newest complete checkpoint is read (`latest` first). A corrupt or
 * incomplete checkpoint (a missing, truncated or invalid file) is reported through `onSkip`
 * (default: `console.warn`) and the next older one tried; any other failure to read (EACCES,
 * EIO, EMFILE, …) stops the search and is thrown as Node reported it, since falling back would
 * silently lose the progress of a checkpoint that may be intact.
 *
 * @throws {@link UGATITFormatError} when no complete checkpoint is found or every one is invalid;
 * the file system's own error when one cannot be read.
 * @example
 * ```ts
 * const { networks, state, extra } = await loadTrainingCheckpoint('runs/avatars');
 * const trainer = new UGATITTrainer(networks, options);
 * trainer.setState(state);
 * disposeTrainerState(state);
 * ```
 */
export async function loadTrainingCheckpoint(dirOrCheckpoint: string, options: LoadCheckpointOptions = {}): Promise<LoadedCheckpoint> {
  const { fs } = await node();
  if (await isComplete(fs, dirOrCheckpoint)) {
    return loadCheckpointFolder(dirOrCheckpoint);
  }
  const candidates = await checkpointCandidates(dirOrCheckpoint);
  if (candidates.length === 0) throw new UGATITFormatError(dirOrCheckpoint, 'no complete training checkpoint (ckpt-*/state.json) found');
  const onSkip = options.onSkip ?? ((folder: string, e: Error) => console.warn(`ugatit-tf: skipping corrupt checkpoint ${folder}: ${e.message}`));
  let first: Error | undefined;
  for (const folder of candidates) {
    try {
      return await loadCheckpointFolder(folder);
    } catch (e) {
      if (!(e instanceof UGATITFormatError)) throw e;
      first ??= e;
      onSkip(folder, e);
    }
  }
  throw first!;
}

/**
 * Disposes the tensors of a {@link TrainerState} (after `trainer.setState` copied them).
 *
 * @example
 * ```ts
 * trainer.setState(state); disposeTrainerState(state);
 * ```
 */
export function disposeTrainerState(state: TrainerState): void {
  for (const s of [state.generatorOptimizer, state.discriminatorOptimizer]) {
    tf.dispose([...Object.values(s.expAvg), ...Object.values(s.expAvgSq)]);
  }
}
