/**
 * The six networks of U-GAT-IT as one set: the sources a set is loaded from, the folder it is
 * saved as, and its disposal, so that callers stop spelling out the six names each time.
 *
 * @module
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { UGATITConfigError } from '../errors';
import { saveLayersModelToDir, type ModelFolderOptions } from '../io/file-handler';
import { disposeTrainerState, loadTrainingCheckpoint } from '../training/checkpoint';
import { NETWORK_NAMES, type UGATITNetworks } from '../training/trainer';
import { loadGeneratorsFromDir, loadPretrained } from './pretrained';

/**
 * Loads the six networks (`genA2B`, `genB2A`, `disGA`, `disGB`, `disLA`, `disLB`) from any of
 * the places they are kept: a training directory or one of its `ckpt-*` checkpoints (the
 * optimizer state is dropped), a weights folder holding all six (written by
 * {@link saveNetworks}, or by {@link exportWeights} with `discriminators: true`), or the name
 * of provided weights (`'avatars'`: {@link loadPretrained} with `discriminators: true`). This is
 * what `train --init` reads. Folders need Node; a name also loads in browsers.
 *
 * @param source - a folder (path) or the name of provided weights.
 * @throws {@link UGATITConfigError} when `source` is neither; the loaders' errors otherwise.
 * @example
 * ```ts
 * const networks = await loadNetworks('avatars');   // npm i ugatit-tf-avatars-discriminators
 * const trainer = new UGATITTrainer(networks, { iterations: 1000 });
 * ```
 */
export async function loadNetworks(source: string): Promise<UGATITNetworks> {
  const isNode = typeof process !== 'undefined' && !!process.versions?.node;
  if (!isNode) return asNetworks(await loadPretrained(source, { discriminators: true }));
  const [fs, path] = await Promise.all([import('node:fs/promises'), import('node:path')]);
  const stat = await fs.stat(source).catch((e: { code?: string }) => {
    if (e.code === 'ENOENT') return null;
    throw e;
  });
  if (!stat) {
    if (/[\\/]/.test(source) || source.startsWith('.')) throw new UGATITConfigError(`loadNetworks: ${source}: no such folder`);
    return asNetworks(await loadPretrained(source, { discriminators: true }));
  }
  if (!stat.isDirectory()) {
    throw new UGATITConfigError(`loadNetworks: ${source} is a file; pass a training run, a checkpoint, a weights folder or the name of provided weights`);
  }
  const has = (file: string) => fs.stat(path.join(source, file)).then(() => true, () => false);
  if ((await has('genA2B/model.json')) && !(await has('state.json'))) {
    return asNetworks(await loadGeneratorsFromDir(source, 'both', { discriminators: true }));
  }
  const loaded = await loadTrainingCheckpoint(source);
  disposeTrainerState(loaded.state);
  return loaded.networks;
}

/** The six networks of a loader's result, which loaded them all (`discriminators: true`). */
function asNetworks(loaded: Partial<UGATITNetworks>): UGATITNetworks {
  return Object.fromEntries(NETWORK_NAMES.map((n) => [n, loaded[n]!])) as unknown as UGATITNetworks;
}

/**
 * Saves each network of the set to `<dir>/<name>/` (`model.json` + `weights.bin`), the layout
 * {@link loadNetworks} and {@link loadGeneratorsFromDir} read; the networks a partial set lacks
 * are skipped. Node only.
 *
 * @param options - `float16: true` stores float32 weights as float16 (half the size).
 * @returns the folders written, by network name.
 * @example
 * ```ts
 * await saveNetworks('weights/mine', trainer.networks);
 * ```
 */
export async function saveNetworks(
  dir: string, networks: Partial<UGATITNetworks>, options: ModelFolderOptions = {},
): Promise<Partial<Record<keyof UGATITNetworks, string>>> {
  const path = await import('node:path');
  const written: Partial<Record<keyof UGATITNetworks, string>> = {};
  for (const name of NETWORK_NAMES) {
    const model = networks[name];
    if (!model) continue;
    written[name] = path.join(dir, name);
    await saveLayersModelToDir(model, written[name]!, options);
  }
  return written;
}

/**
 * Disposes every network of a set (any of the six that are present), e.g. what
 * {@link loadNetworks}, {@link loadPretrained} or {@link loadTFCheckpoint} returned; other
 * fields of such a result are ignored.
 *
 * @example
 * ```ts
 * trainer.dispose();
 * disposeNetworks(networks);
 * ```
 */
export function disposeNetworks(networks: Partial<Record<keyof UGATITNetworks, tfl.LayersModel>>): void {
  for (const name of NETWORK_NAMES) networks[name]?.dispose();
}
