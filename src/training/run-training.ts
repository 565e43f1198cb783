import * as tf from '@tensorflow/tfjs-core';
import { UgatitError } from '../errors';
import { encodePng } from '../data/image-codec';
import { openUnpairedFolders, type ImageFolderState } from '../data/image-folder';
import { tensorToImage } from '../data/tensor-image';
import { createDiscriminator } from '../networks/discriminator';
import { createGenerator } from '../networks/generator';
import { disposeTrainerState, findLatestCheckpoint, loadTrainingCheckpoint, saveTrainingCheckpoint } from './checkpoint';
import { translationSampleSheet } from './sample-sheet';
import { UGATITTrainer, type StepResult, type TrainerOptions, type UGATITNetworks } from './trainer';

/** Options of {@link runTraining}. */
export interface TrainingRunOptions extends TrainerOptions {
  /** Dataset root in the reference layout (`trainA`, `trainB`, `testA`, `testB`). */
  data: string;
  /** Output directory: checkpoints, `samples/`, `log.jsonl`. */
  out: string;
  /** Image side. Default 96 (the global discriminator's minimum). */
  size?: number;
  /** Generator width. Default 64. */
  ngf?: number;
  /** Discriminator width. Default: `ngf`. */
  ndf?: number;
  /** Residual blocks. Default 4. */
  nBlocks?: number;
  /** Light generator. Default true. */
  light?: boolean;
  /** Images per domain per iteration. Default 1. */
  batchSize?: number;
  /** Seed of data order and augmentation. Default 0. */
  seed?: number;
  /** Iterations between sample sheets (0: never). Default 500. */
  sampleEvery?: number;
  /** Iterations between checkpoints (0: only at the end). Default 500. */
  saveEvery?: number;
  /** Test images per sample sheet. Default 4. */
  sampleCount?: number;
  /** Continue from the newest checkpoint in `out` if there is one. Default false. */
  resume?: boolean;
  /** Start from the networks of this checkpoint (a training directory or `ckpt-*` folder), with fresh optimizers. */
  init?: string;
  /** Called after each iteration. */
  onStep?: (result: StepResult, trainer: UGATITTrainer) => void;
  /** Receives progress messages (checkpoints, samples). Default: nothing. */
  log?: (message: string) => void;
}

/** Configuration saved with each checkpoint so `--resume` rebuilds the same run. */
interface RunConfig {
  size: number; ngf: number; ndf: number; nBlocks: number; light: boolean; batchSize: number; seed: number;
  iterations: number; trainer: TrainerOptions;
}

function buildNetworks(c: RunConfig): UGATITNetworks {
  const gen = (name: string) => createGenerator({ ngf: c.ngf, nBlocks: c.nBlocks, imgSize: c.size, light: c.light, name });
  const dis = (name: string, nLayers: number) => createDiscriminator({ ndf: c.ndf, nLayers, name });
  return {
    genA2B: gen('genA2B'), genB2A: gen('genB2A'),
    disGA: dis('disGA', 7), disGB: dis('disGB', 7), disLA: dis('disLA', 5), disLB: dis('disLB', 5),
  };
}

/**
 * Trains U-GAT-IT on an image folder, the reference's `UGATIT.train()` loop: checkpoints
 * (crash-safe, resumable to the identical result), sample sheets as PNG and one JSON log line
 * per iteration. Node only.
 *
 * @returns the trainer after the last iteration (its networks are the trained ones).
 * @example
 * ```ts
 * await runTraining({ data: 'data/avatars', out: 'runs/avatars', size: 96, ngf: 16, iterations: 20_000 });
 * ```
 */
export async function runTraining(options: TrainingRunOptions): Promise<UGATITTrainer> {
  const [fs, path] = await Promise.all([import('node:fs/promises'), import('node:path')]);
  const log = options.log ?? (() => {});
  const { data, out, onStep, init, resume, sampleEvery = 500, saveEvery = 500, sampleCount = 4 } = options;
  const trainerOptions: TrainerOptions = { ...options };
  for (const k of ['data', 'out', 'size', 'ngf', 'ndf', 'nBlocks', 'light', 'batchSize', 'seed', 'sampleEvery', 'saveEvery',
    'sampleCount', 'resume', 'init', 'onStep', 'log'] as const) delete (trainerOptions as Record<string, unknown>)[k];
  let config: RunConfig = {
    size: options.size ?? 96, ngf: options.ngf ?? 64, ndf: options.ndf ?? options.ngf ?? 64, nBlocks: options.nBlocks ?? 4,
    light: options.light ?? true, batchSize: options.batchSize ?? 1, seed: options.seed ?? 0,
    iterations: options.iterations ?? 1_000_000, trainer: trainerOptions,
  };
  let networks: UGATITNetworks;
  let trainer: UGATITTrainer;
  let dataState: { trainA: ImageFolderState; trainB: ImageFolderState } | undefined;
  const checkpoint = resume ? await findLatestCheckpoint(out) : null;
  if (checkpoint) {
    const loaded = await loadTrainingCheckpoint(checkpoint);
    config = { ...(loaded.extra.config as RunConfig), iterations: options.iterations ?? (loaded.extra.config as RunConfig).iterations };
    networks = loaded.networks;
    trainer = new UGATITTrainer(networks, { ...config.trainer, iterations: config.iterations });
    trainer.setState(loaded.state);
    disposeTrainerState(loaded.state);
    dataState = loaded.extra.data as typeof dataState;
    log(`resumed from ${loaded.path} at iteration ${trainer.iteration}`);
  } else {
    if (init) {
      networks = (await loadTrainingCheckpoint(init)).networks;
      log(`initialised from ${init}`);
    } else {
      networks = buildNetworks(config);
    }
    trainer = new UGATITTrainer(networks, { ...config.trainer, iterations: config.iterations });
  }
  const sets = await openUnpairedFolders(data, { size: config.size, seed: config.seed });
  if (dataState) {
    sets.trainA.setState(dataState.trainA);
    sets.trainB.setState(dataState.trainB);
  }
  await fs.mkdir(path.join(out, 'samples'), { recursive: true });
  const logFile = await fs.open(path.join(out, 'log.jsonl'), 'a');
  const testBatch = async (set: typeof sets.testA) => {
    const n = Math.min(sampleCount, set.length);
    return n > 0 ? set.nextBatch(n) : null;
  };
  const samplesA = await testBatch(sets.testA);
  const samplesB = await testBatch(sets.testB);
  const save = () => saveTrainingCheckpoint(out, networks, trainer.getState(),
    { config, data: { trainA: sets.trainA.getState(), trainB: sets.trainB.getState() } })
    .then((p) => log(`saved ${p}`));
  const writeSamples = async () => {
    for (const [name, real, fwd, bwd] of [['A2B', samplesA, networks.genA2B, networks.genB2A], ['B2A', samplesB, networks.genB2A, networks.genA2B]] as const) {
      if (!real) continue;
      const sheet = translationSampleSheet(real, fwd, bwd);
      const png = encodePng(tensorToImage(sheet, [0, 1]));
      sheet.dispose();
      const file = path.join(out, 'samples', `${name}_${String(trainer.iteration).padStart(7, '0')}.png`);
      await fs.writeFile(file, png);
    }
    log(`samples at iteration ${trainer.iteration}`);
  };
  try {
    while (trainer.iteration < config.iterations) {
      const realA = await sets.trainA.nextBatch(config.batchSize);
      const realB = await sets.trainB.nextBatch(config.batchSize);
      const result = await trainer.step(realA, realB);
      tf.dispose([realA, realB]);
      const bad = Object.entries(result.losses).filter(([, v]) => !Number.isFinite(v));
      if (bad.length) {
        throw new UgatitError(`training diverged at iteration ${result.iteration}: non-finite ${bad.map(([k, v]) => `${k}=${v}`).join(', ')}; the last checkpoint in ${out} is intact`);
      }
      await logFile.write(JSON.stringify({ iteration: result.iteration, seconds: result.seconds, lr: result.lr, ...result.losses }) + '\n');
      onStep?.(result, trainer);
      if (sampleEvery > 0 && result.iteration % sampleEvery === 0) await writeSamples();
      if (saveEvery > 0 && result.iteration % saveEvery === 0) await save();
    }
    if (saveEvery === 0 || trainer.iteration % saveEvery !== 0) await save();
  } finally {
    await logFile.close();
    tf.dispose([samplesA, samplesB].filter((t): t is tf.Tensor4D => t !== null));
  }
  return trainer;
}
