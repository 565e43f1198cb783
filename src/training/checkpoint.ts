import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { UgatitFormatError } from '../errors';
import { loadLayersModelFromDir, saveLayersModelToDir } from '../io/file-handler';
import { readSafetensors, writeSafetensors } from '../io/safetensors';
import type { TorchAdamState } from './adam';
import { NETWORK_NAMES, type TrainerState, type UGATITNetworks } from './trainer';

/** Name of the file, inside a training directory, that names the newest complete checkpoint. */
export const LATEST_CHECKPOINT_FILE = 'latest';

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
}

async function writeFileDurably(file: string, bytes: Uint8Array | string): Promise<void> {
  const { fs } = await node();
  const handle = await fs.open(file, 'w');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Saves a complete training state as `<dir>/ckpt-<iteration>/` and then points
 * `<dir>/latest` at it. Crash-safe: everything is written under a temporary name, flushed,
 * and renamed into place, so an interrupted save never replaces the last good checkpoint.
 * Keeps the newest `keep` checkpoints.
 *
 * @returns the folder written.
 * @example
 * ```ts
 * await saveTrainingCheckpoint('runs/avatars', trainer.networks, trainer.getState(), { dataset: ds.getState() });
 * ```
 */
export async function saveTrainingCheckpoint(
  dir: string, networks: UGATITNetworks, state: TrainerState, extra: Record<string, unknown> = {}, keep = 2,
): Promise<string> {
  const { fs, path } = await node();
  await fs.mkdir(dir, { recursive: true });
  const name = `ckpt-${String(state.iteration).padStart(8, '0')}`;
  const tmp = path.join(dir, `.tmp-${name}-${process.pid}-${Date.now()}`);
  await fs.rm(tmp, { recursive: true, force: true });
  await fs.mkdir(tmp, { recursive: true });
  for (const net of NETWORK_NAMES) await saveLayersModelToDir(networks[net], path.join(tmp, net));
  const moments = (s: TorchAdamState, prefix: string) => ({
    ...Object.fromEntries(Object.entries(s.expAvg).map(([k, v]) => [`${prefix}.exp_avg.${k}`, v])),
    ...Object.fromEntries(Object.entries(s.expAvgSq).map(([k, v]) => [`${prefix}.exp_avg_sq.${k}`, v])),
  });
  await writeFileDurably(path.join(tmp, 'optimizers.safetensors'),
    writeSafetensors({ ...moments(state.generatorOptimizer, 'g'), ...moments(state.discriminatorOptimizer, 'd') }));
  const meta: CheckpointMetadata = {
    version: 1, iteration: state.iteration, lr: state.lr,
    generatorSteps: state.generatorOptimizer.steps, discriminatorSteps: state.discriminatorOptimizer.steps, extra,
  };
  // state.json last: a folder without it is incomplete.
  await writeFileDurably(path.join(tmp, STATE_FILE), JSON.stringify(meta, null, 1));
  const final = path.join(dir, name);
  await fs.rm(final, { recursive: true, force: true });
  await fs.rename(tmp, final);
  const latestTmp = path.join(dir, `.${LATEST_CHECKPOINT_FILE}.tmp-${process.pid}`);
  await writeFileDurably(latestTmp, name);
  await fs.rename(latestTmp, path.join(dir, LATEST_CHECKPOINT_FILE));
  const all = (await fs.readdir(dir)).filter((f) => /^ckpt-\d+$/.test(f)).sort();
  for (const old of all.slice(0, Math.max(0, all.length - keep))) await fs.rm(path.join(dir, old), { recursive: true, force: true });
  for (const stale of (await fs.readdir(dir)).filter((f) => f.startsWith('.tmp-ckpt-') && !f.includes(`-${process.pid}-`))) {
    await fs.rm(path.join(dir, stale), { recursive: true, force: true });
  }
  return final;
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
  const { fs, path } = await node();
  const complete = async (folder: string) => fs.stat(path.join(folder, STATE_FILE)).then(() => true, () => false);
  const named = await fs.readFile(path.join(dir, LATEST_CHECKPOINT_FILE), 'utf8').then((s) => s.trim(), () => null);
  if (named && /^ckpt-\d+$/.test(named) && (await complete(path.join(dir, named)))) return path.join(dir, named);
  const all = await fs.readdir(dir).catch(() => [] as string[]);
  for (const f of all.filter((x) => /^ckpt-\d+$/.test(x)).sort().reverse()) {
    if (await complete(path.join(dir, f))) return path.join(dir, f);
  }
  return null;
}

/**
 * Loads a checkpoint written by {@link saveTrainingCheckpoint}: a `ckpt-*` folder, or a
 * training directory (its newest complete checkpoint).
 *
 * @throws {@link UgatitFormatError} when no complete checkpoint is found or a file is invalid.
 * @example
 * ```ts
 * const { networks, state, extra } = await loadTrainingCheckpoint('runs/avatars');
 * const trainer = new UGATITTrainer(networks, options);
 * trainer.setState(state);
 * ```
 */
export async function loadTrainingCheckpoint(dirOrCheckpoint: string): Promise<LoadedCheckpoint> {
  const { fs, path } = await node();
  const isCheckpoint = await fs.stat(path.join(dirOrCheckpoint, STATE_FILE)).then(() => true, () => false);
  const folder = isCheckpoint ? dirOrCheckpoint : await findLatestCheckpoint(dirOrCheckpoint);
  if (!folder) throw new UgatitFormatError(dirOrCheckpoint, 'no complete training checkpoint (ckpt-*/state.json) found');
  let meta: CheckpointMetadata;
  try {
    meta = JSON.parse(await fs.readFile(path.join(folder, STATE_FILE), 'utf8'));
  } catch (e) {
    throw new UgatitFormatError(path.join(folder, STATE_FILE), `unreadable (${(e as Error).message})`);
  }
  if (meta.version !== 1 || !Number.isInteger(meta.iteration)) {
    throw new UgatitFormatError(path.join(folder, STATE_FILE), `unsupported checkpoint version ${meta.version}`);
  }
  const networks = {} as Record<string, tfl.LayersModel>;
  for (const net of NETWORK_NAMES) networks[net] = await loadLayersModelFromDir(path.join(folder, net));
  const tensors = readSafetensors(new Uint8Array(await fs.readFile(path.join(folder, 'optimizers.safetensors'))));
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
  return { networks: networks as unknown as UGATITNetworks, state, extra: meta.extra ?? {}, path: folder };
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
