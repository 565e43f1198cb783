import type * as tfl from '@tensorflow/tfjs-layers';
import * as path from 'node:path';
import { UGATITError } from '../errors';
import { findLatestCheckpoint } from '../training/checkpoint';
import { loadLayersModelFromDir } from '../io/file-handler';
import { loadGeneratorsFromDir, loadPretrained, type PretrainedGenerators } from '../weights/pretrained';
import { pathKind } from './args';

/**
 * Resolves `--weights` for the CLI: a shipped name (`avatars`), a weights folder
 * (`<dir>/genA2B`, `<dir>/genB2A`), a training run or `ckpt-*` folder (its newest checkpoint),
 * or one model folder (`<dir>/model.json`, used for the requested direction).
 *
 * @example
 * ```ts
 * const gen = await resolveGenerator('runs/avatars', 'a2b');
 * ```
 */
export async function resolveGenerator(weights: string | undefined, direction: 'a2b' | 'b2a'): Promise<{ generator: tfl.LayersModel; source: string }> {
  const net = direction === 'a2b' ? 'genA2B' : 'genB2A';
  const pick = (g: PretrainedGenerators) => ({ generator: g[net]!, source: g.source });
  if (weights === undefined) return pick(await loadPretrained('avatars', { direction }));
  const kind = await pathKind(weights);
  if (kind === 'file') throw new UGATITError(`--weights ${weights} is a file; pass a weights folder, a training run folder or a name (convert .pt files with ugatit-tf convert)`);
  if (kind === null) {
    if (/[\\/]/.test(weights) || weights.startsWith('.')) throw new UGATITError(`--weights ${weights}: no such folder`);
    return pick(await loadPretrained(weights, { direction }));
  }
  if (await pathKind(path.join(weights, net, 'model.json'))) return pick(await loadGeneratorsFromDir(weights, direction));
  if (await pathKind(path.join(weights, 'model.json'))) return { generator: await loadLayersModelFromDir(weights), source: weights };
  const ckpt = await findLatestCheckpoint(weights);
  if (ckpt) return pick(await loadGeneratorsFromDir(ckpt, direction));
  throw new UGATITError(`--weights ${weights}: no ${net}/model.json, model.json or training checkpoint in this folder`);
}
