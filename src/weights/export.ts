import type * as tfl from '@tensorflow/tfjs-layers';
import { UGATITFormatError } from '../errors';
import { loadLayersModelFromDir, saveLayersModelToDir } from '../io/file-handler';
import { findLatestCheckpoint } from '../training/checkpoint';
import type { WeightsProvenance } from './pretrained';

/** Options of {@link exportWeights}. */
export interface ExportWeightsOptions {
  /** A training directory (its newest complete checkpoint is used) or one `ckpt-*` folder. */
  from: string;
  /** Output folder; the generators go to `<out>/genA2B` and `<out>/genB2A`. */
  out: string;
  /** Store float32 weights as float16 (half the size). Default false. */
  float16?: boolean;
  /** Also copy the four discriminators (`disGA`, `disGB`, `disLA`, `disLB`), so that `train --init <out>` can fine-tune all six networks. Default false. */
  discriminators?: boolean;
  /**
   * Export the checkpoint's averaged generators (its `average/`, written by a run with
   * `averageDecay`) instead of the trained ones. Default false.
   */
  average?: boolean;
  /** Recorded in `provenance.json` as `command`. */
  command?: string;
  /** Extra fields for `provenance.json`. */
  extra?: Record<string, unknown>;
}

/** What {@link exportWeights} wrote. */
export interface ExportWeightsResult {
  /** The checkpoint folder read. */
  checkpoint: string;
  /** The provenance written to `<out>/provenance.json`. */
  provenance: WeightsProvenance;
  /** Bytes of each exported network's `weights.bin`. */
  bytes: Record<string, number>;
}

/**
 * Copies the two generators (and optionally the discriminators) of a training checkpoint into
 * a weights folder (the layout `loadPretrained` reads) and writes `provenance.json`: iteration, training configuration,
 * date, command and storage dtype. Node only.
 *
 * @example
 * ```ts
 * await exportWeights({ from: 'runs/avatars', out: 'weights/avatars', float16: true });
 * ```
 */
export async function exportWeights(options: ExportWeightsOptions): Promise<ExportWeightsResult> {
  const [fs, path] = await Promise.all([import('node:fs/promises'), import('node:path')]);
  const isCheckpoint = await fs.stat(path.join(options.from, 'state.json')).then(() => true, () => false);
  const checkpoint = isCheckpoint ? options.from : await findLatestCheckpoint(options.from);
  if (!checkpoint) throw new UGATITFormatError(options.from, 'no complete training checkpoint (ckpt-*/state.json) found');
  const state = JSON.parse(await fs.readFile(path.join(checkpoint, 'state.json'), 'utf8')) as {
    iteration?: number; average?: boolean; extra?: { config?: Record<string, unknown> & { averageDecay?: number } };
  };
  if (options.average && state.average !== true) {
    throw new UGATITFormatError(checkpoint, 'holds no averaged generators (average/): the run was trained without an average');
  }
  const bytes: Record<string, number> = {};
  const networks = options.discriminators ? ['genA2B', 'genB2A', 'disGA', 'disGB', 'disLA', 'disLB'] : ['genA2B', 'genB2A'];
  for (const net of networks) {
    const averaged = options.average && net.startsWith('gen');
    const model: tfl.LayersModel = await loadLayersModelFromDir(path.join(checkpoint, averaged ? 'average' : '', net));
    const dir = path.join(options.out, net);
    await fs.rm(dir, { recursive: true, force: true });
    await saveLayersModelToDir(model, dir, { float16: options.float16 });
    model.dispose();
    bytes[net] = (await fs.stat(path.join(dir, 'weights.bin'))).size;
  }
  const provenance: WeightsProvenance = {
    iteration: state.iteration,
    config: state.extra?.config,
    date: new Date().toISOString(),
    command: options.command,
    checkpoint: path.basename(checkpoint),
    dtype: options.float16 ? 'float16' : 'float32',
    ...(options.average ? { generators: `average (decay ${state.extra?.config?.averageDecay})` } : {}),
    ...options.extra,
  };
  await fs.writeFile(path.join(options.out, 'provenance.json'), `${JSON.stringify(provenance, null, 2)}\n`);
  return { checkpoint, provenance, bytes };
}
