/**
 * Fine-tunes U-GAT-IT from existing weights on your own unpaired folders, with both encoders
 * frozen (only the attention, AdaLIN decoders and discriminators learn), then saves the
 * result as a training checkpoint that `ugatit-tf translate --weights` and `train --resume` read.
 *
 *   npx tsx examples/fine-tune.ts <data dir with trainA/ trainB/ testA/ testB/> [steps] [weights]
 *
 * `weights` is a training run or checkpoint folder (all six networks, optimizer state starts
 * fresh), or a weights folder / provided name such as 'avatars' (generators only; the
 * discriminators then start from scratch). In your project, import from 'ugatit-tf' and
 * 'ugatit-tf/backends'.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { installWasmTrainingKernels } from '../src/backends';
import {
  UGATITTrainer, createDiscriminator, disposeNetworks, findLatestCheckpoint, loadGeneratorsFromDir, loadPretrained, loadTrainingCheckpoint,
  openUnpairedFolders, saveTrainingCheckpoint, type UGATITNetworks,
} from '../src/index';

/** Options of {@link main}. */
export interface FineTuneOptions {
  /** Dataset root with trainA/, trainB/, testA/, testB/. */
  data: string;
  /** Starting weights: a run/checkpoint folder, a weights folder, or a provided name. Default 'avatars'. */
  weights?: string;
  /** Iterations. Default 100. */
  steps?: number;
  /** Where the fine-tuned checkpoint goes. Default runs/fine-tune. */
  out?: string;
  /** Learning rate. Default 1e-4. */
  lr?: number;
  /** Backend. Default 'wasm'. */
  backend?: string;
  /** Called after every step. */
  onStep?: (iteration: number, gLoss: number, dLoss: number) => void;
}

/** Encoders of both generators: stem, downsampling and encoder residual blocks. */
export const FROZEN_ENCODERS = /^gen(A2B|B2A)\/(stem|down_|enc_res_)/;

async function startingNetworks(weights: string): Promise<UGATITNetworks> {
  const isDir = await fs.stat(weights).then((s) => s.isDirectory(), () => false);
  if (isDir && (await findLatestCheckpoint(weights) || (await fs.stat(path.join(weights, 'state.json')).catch(() => null)))) {
    return (await loadTrainingCheckpoint(weights)).networks;
  }
  const g = isDir ? await loadGeneratorsFromDir(weights) : await loadPretrained(weights);
  const config = (g.provenance?.config ?? {}) as { ndf?: number; ngf?: number };
  const ndf = config.ndf ?? config.ngf ?? 64;
  const dis = (name: string, nLayers: number) => createDiscriminator({ ndf, nLayers, name });
  return { genA2B: g.genA2B!, genB2A: g.genB2A!, disGA: dis('disGA', 7), disGB: dis('disGB', 7), disLA: dis('disLA', 5), disLB: dis('disLB', 5) };
}

/** Runs the fine-tuning; returns the losses and the saved checkpoint folder. */
export async function main(options: FineTuneOptions): Promise<{ gLosses: number[]; dLosses: number[]; checkpoint: string; frozenUnchanged: boolean }> {
  const { data, weights = 'avatars', steps = 100, out = 'runs/fine-tune', lr = 1e-4, backend = 'wasm' } = options;
  await tf.setBackend(backend);
  // wasm lacks some gradient kernels; this installs them (and float64 reductions) for the process.
  if (backend === 'wasm') installWasmTrainingKernels();
  const networks = await startingNetworks(weights);
  const size = networks.genA2B.inputs[0]!.shape[1]!;
  const trainer = new UGATITTrainer(networks, { lr, iterations: steps, decay: false, freeze: [FROZEN_ENCODERS] });
  const sets = await openUnpairedFolders(data, { size, seed: 0 });
  const stem = networks.genA2B.getLayer('stem_conv').getWeights()[0]!;
  const stemBefore = await stem.data();
  const gLosses: number[] = [];
  const dLosses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const realA = await sets.trainA.nextBatch(1);
    const realB = await sets.trainB.nextBatch(1);
    const { losses } = await trainer.step(realA, realB);
    tf.dispose([realA, realB]);
    gLosses.push(losses.G_loss);
    dLosses.push(losses.D_loss);
    options.onStep?.(trainer.iteration, losses.G_loss, losses.D_loss);
  }
  const stemAfter = await networks.genA2B.getLayer('stem_conv').getWeights()[0]!.data();
  const frozenUnchanged = stemBefore.every((v, i) => v === stemAfter[i]);
  const checkpoint = await saveTrainingCheckpoint(out, networks, trainer.getState(), {
    config: { size, fineTunedFrom: weights, frozen: String(FROZEN_ENCODERS) },
  });
  trainer.dispose();
  disposeNetworks(networks);
  return { gLosses, dLosses, checkpoint, frozenUnchanged };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [data, steps, weights] = process.argv.slice(2);
  if (!data) {
    console.error('usage: npx tsx examples/fine-tune.ts <data dir> [steps] [weights]');
    process.exitCode = 1;
  } else {
    main({ data, steps: steps ? Number(steps) : undefined, weights, onStep: (i, g, d) => console.log(`[${i}] g_loss ${g.toFixed(4)} d_loss ${d.toFixed(4)}`) })
      .then((r) => console.log(`saved ${r.checkpoint}; encoders unchanged: ${r.frozenUnchanged}`));
  }
}
