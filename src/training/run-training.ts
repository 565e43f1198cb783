import * as tf from '@tensorflow/tfjs-core';
import { UGATITConfigError, UGATITError } from '../errors';
import { encodePNG } from '../data/image-codec';
import { openUnpairedFolders, type ImageFolderState } from '../data/image-folder';
import { tensorToImage } from '../data/tensor-image';
import { createDiscriminator } from '../networks/discriminator';
import { createGenerator } from '../networks/generator';
import { disposeTrainerState, findLatestCheckpoint, loadTrainingCheckpoint, saveTrainingCheckpoint } from './checkpoint';
import { fitInitialNetworks } from './fit-initial-networks';
import { checkAverageDecay, GeneratorAverage, type GeneratorPair } from './generator-average';
import { scheduledLearningRate } from './lr-schedule';
import { translationSampleSheet } from './sample-sheet';
import {
  NETWORK_NAMES, UGATITTrainer, type StepResult, type TrainerOptions, type TrainerState, type UGATITNetworks,
} from './trainer';

/** Options of {@link runTraining}. */
export interface TrainingRunOptions extends TrainerOptions {
  /** Dataset root in the reference layout (`trainA`, `trainB`, `testA`, `testB`). */
  data: string;
  /** Output directory: checkpoints, `samples/`, `log.jsonl`. */
  out: string;
  /** Image side. Default 96 (the 7-layer global discriminator's minimum). */
  size?: number;
  /** Generator width. Default 64. */
  ngf?: number;
  /** Discriminator width. Default: `ngf`. */
  ndf?: number;
  /** Residual blocks. Default 4. */
  nBlocks?: number;
  /** Light generator. Default true. */
  light?: boolean;
  /** Layers of the global discriminators. Default 7 (the reference's). */
  globalLayers?: number;
  /** Layers of the local discriminators. Default 5 (the reference's). */
  localLayers?: number;
  /** Images per domain per iteration. Default 1. */
  batchSize?: number;
  /** Seed of data order and augmentation. Default 0. */
  seed?: number;
  /** Iterations between sample sheets (0: never). Default 500; a resumed run keeps its own. */
  sampleEvery?: number;
  /** Iterations between checkpoints (0: only at the end). Default 500; a resumed run keeps its own. */
  saveEvery?: number;
  /** Checkpoints kept in `out`. Default 2; a resumed run keeps its own. */
  keep?: number;
  /** Test images per sample sheet. Default 4; a resumed run keeps its own. */
  sampleCount?: number;
  /**
   * Also keep an exponential moving average of the generators' weights with this decay (e.g.
   * 0.999), saved in every checkpoint's `average/` and drawn in the sample sheets (see
   * {@link GeneratorAverage}). Training is unchanged. Default: no average. A resumed run keeps
   * its own; given when resuming a run without one, the average starts from the resumed weights.
   */
  averageDecay?: number;
  /** Continue from the newest checkpoint in `out` if there is one. Default false. */
  resume?: boolean;
  /**
   * Start from these six networks, with fresh optimizers: a training directory or `ckpt-*`
   * folder, a weights folder with all six networks, or the name of provided weights
   * (`'avatars'`; its discriminators come from `ugatit-tf-avatars-discriminators`, see
   * `loadPretrained`).
   */
  init?: string;
  /**
   * Start from these networks (e.g. imported with `loadTorchStateDict`), trained in place, with
   * fresh optimizers; `ngf`, `ndf`, `nBlocks`, `light` and the layer counts are then not used.
   * Ignored when resuming.
   */
  networks?: UGATITNetworks;
  /**
   * What a non-finite loss does. `'stop'` (default): throw a {@link UGATITError} naming the
   * iteration and the terms; the last checkpoint stays as it was. `'skip'`: put back the
   * weights (spectral-norm state included), optimizer state and iteration count from before
   * the step, log it, and go on with the next batch.
   */
  onNonFinite?: 'stop' | 'skip';
  /** Stops the run after the current iteration, saving a checkpoint first (e.g. on Ctrl-C). */
  signal?: AbortSignal;
  /** Called after each completed iteration. */
  onStep?: (result: StepResult, trainer: UGATITTrainer) => void;
  /** Receives progress messages (resume, checkpoints, samples, skipped steps). Default: nothing. */
  log?: (message: string) => void;
}

/** Configuration saved with each checkpoint so `resume` rebuilds the same run. */
interface RunConfig {
  size: number; ngf: number; ndf: number; nBlocks: number; light: boolean; globalLayers: number; localLayers: number;
  batchSize: number; seed: number; iterations: number; trainer: TrainerOptions; averageDecay?: number;
  /** Absent in checkpoints of earlier versions: the defaults then apply. */
  cadence?: Cadence;
}

/** How often a run writes samples and checkpoints, and how many it keeps. */
interface Cadence { sampleEvery: number; saveEvery: number; keep: number; sampleCount: number }
const DEFAULT_CADENCE: Cadence = { sampleEvery: 500, saveEvery: 500, keep: 2, sampleCount: 4 };

const RUN_ONLY_OPTIONS = ['data', 'out', 'size', 'ngf', 'ndf', 'nBlocks', 'light', 'globalLayers', 'localLayers', 'batchSize',
  'seed', 'averageDecay', 'sampleEvery', 'saveEvery', 'keep', 'sampleCount', 'resume', 'init', 'networks', 'onNonFinite', 'signal', 'onStep', 'log'] as const;

function buildNetworks(c: RunConfig): UGATITNetworks {
  const gen = (name: string) => createGenerator({ ngf: c.ngf, nBlocks: c.nBlocks, imgSize: c.size, light: c.light, name });
  const dis = (name: string, nLayers: number) => createDiscriminator({ ndf: c.ndf, nLayers, name });
  return {
    genA2B: gen('genA2B'), genB2A: gen('genB2A'),
    disGA: dis('disGA', c.globalLayers), disGB: dis('disGB', c.globalLayers),
    disLA: dis('disLA', c.localLayers), disLB: dis('disLB', c.localLayers),
  };
}

/** Every weight of the six networks (trainable or not, e.g. spectral-norm `u`, `v`). */
function allVariables(networks: UGATITNetworks): tf.Variable[] {
  return NETWORK_NAMES.flatMap((n) => networks[n].weights.map((w) => w.read() as tf.Variable));
}

/** A copy of everything a step changes, so a bad step can be undone. */
interface Snapshot { weights: tf.Tensor[]; state: TrainerState }

function takeSnapshot(networks: UGATITNetworks, trainer: UGATITTrainer): Snapshot {
  return { weights: allVariables(networks).map((v) => tf.clone(v)), state: trainer.getState() };
}

function restoreSnapshot(s: Snapshot, networks: UGATITNetworks, trainer: UGATITTrainer): void {
  allVariables(networks).forEach((v, i) => v.assign(s.weights[i]!));
  trainer.setState(s.state);
}

function disposeSnapshot(s: Snapshot): void {
  tf.dispose(s.weights);
  disposeTrainerState(s.state);
}

/**
 * Removes the rows of iterations after `iteration` from a run's log: a run stopped between
 * checkpoints logged iterations that the resumed run repeats, and the log should describe
 * the run that produced the checkpoints.
 */
async function dropLogRowsAfter(file: string, iteration: number): Promise<void> {
  const fs = await import('node:fs/promises');
  const text = await fs.readFile(file, 'utf8').catch(() => null);
  if (text === null) return;
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const kept = lines.filter((l) => {
    try {
      const row = (JSON.parse(l) as { iteration?: unknown }).iteration;
      return typeof row !== 'number' || row <= iteration;
    } catch {
      return true;
    }
  });
  if (kept.length === lines.length) return;
  await fs.writeFile(`${file}.tmp`, kept.map((l) => `${l}\n`).join(''));
  await fs.rename(`${file}.tmp`, file);
}

/** Names of the weights holding NaN or ±Infinity, `<network>/<weight>`. */
function nonFiniteWeights(networks: UGATITNetworks): string[] {
  const names = NETWORK_NAMES.flatMap((n) => networks[n].weights.map((w) => `${n}/${w.originalName}`));
  const flags = tf.tidy(() => tf.stack(allVariables(networks).map((v) => tf.all(tf.isFinite(v)))).dataSync());
  return names.filter((_, i) => !flags[i]);
}

/**
 * Trains U-GAT-IT on an image folder, the reference's `UGATIT.train()` loop: checkpoints
 * (crash-safe, resumable to the identical result: networks, optimizers, data order and
 * augmentation RNG), sample sheets as PNG (`samples/A2B_<iteration>.png`, `B2A_…`) and one JSON
 * line per iteration in `log.jsonl` (iteration, seconds, lr and every loss term). A non-finite
 * loss stops the run or skips the step (`onNonFinite`); a checkpoint is never written from
 * non-finite weights. Node only.
 *
 * @returns the trainer after the last iteration (its networks are the trained ones).
 * @throws {@link UGATITError} when the loss becomes non-finite (`onNonFinite: 'stop'`) or a
 *   weight does at a checkpoint.
 * @example
 * ```ts
 * await runTraining({ data: 'data/avatars', out: 'runs/avatars', size: 96, ngf: 16, iterations: 20_000 });
 * ```
 */
export async function runTraining(options: TrainingRunOptions): Promise<UGATITTrainer> {
  const [fs, path] = await Promise.all([import('node:fs/promises'), import('node:path')]);
  const log = options.log ?? (() => {});
  const { data, out, onStep, init, resume, signal } = options;
  const given = (saved: Partial<Cadence> = {}): Cadence => Object.fromEntries((Object.keys(DEFAULT_CADENCE) as Array<keyof Cadence>)
    .map((k) => [k, options[k] ?? saved[k] ?? DEFAULT_CADENCE[k]])) as unknown as Cadence;
  const onNonFinite = options.onNonFinite ?? 'stop';
  if (onNonFinite !== 'stop' && onNonFinite !== 'skip') {
    throw new UGATITConfigError(`runTraining: onNonFinite must be 'stop' or 'skip', received ${String(onNonFinite)}`);
  }
  const { averageDecay } = options;
  if (averageDecay !== undefined) checkAverageDecay('runTraining: averageDecay', averageDecay);
  const trainerOptions: TrainerOptions = { ...options };
  for (const k of RUN_ONLY_OPTIONS) delete (trainerOptions as Record<string, unknown>)[k];
  let config: RunConfig = {
    size: options.size ?? 96, ngf: options.ngf ?? 64, ndf: options.ndf ?? options.ngf ?? 64, nBlocks: options.nBlocks ?? 4,
    light: options.light ?? true, globalLayers: options.globalLayers ?? 7, localLayers: options.localLayers ?? 5,
    batchSize: options.batchSize ?? 1, seed: options.seed ?? 0, iterations: options.iterations ?? 1_000_000, trainer: trainerOptions,
    ...(averageDecay !== undefined ? { averageDecay } : {}), cadence: given(),
  };
  let networks: UGATITNetworks;
  let trainer: UGATITTrainer;
  let dataState: { trainA: ImageFolderState; trainB: ImageFolderState } | undefined;
  let savedAt = -1;
  let loadedAverage: GeneratorPair | undefined;
  const checkpoint = resume ? await findLatestCheckpoint(out) : null;
  if (checkpoint) {
    // Without a log, loadTrainingCheckpoint's own warning reports a skipped checkpoint.
    const onSkip = options.log ? (f: string, e: Error) => log(`skipped corrupt checkpoint ${f}: ${e.message}`) : undefined;
    const loaded = await loadTrainingCheckpoint(out, { onSkip });
    const saved = loaded.extra.config as RunConfig;
    config = { ...saved, globalLayers: saved.globalLayers ?? 7, localLayers: saved.localLayers ?? 5, iterations: options.iterations ?? saved.iterations };
    if (averageDecay !== undefined) config.averageDecay = averageDecay;
    loadedAverage = loaded.average;
    config.trainer = { ...saved.trainer, iterations: config.iterations };
    config.cadence = given(saved.cadence);
    networks = loaded.networks;
    trainer = new UGATITTrainer(networks, config.trainer);
    trainer.setState(loaded.state);
    disposeTrainerState(loaded.state);
    dataState = loaded.extra.data as typeof dataState;
    savedAt = trainer.iteration;
    log(`resumed from ${loaded.path} at iteration ${trainer.iteration}`);
    if (config.iterations !== saved.iterations) {
      trainer.lr = scheduledLearningRate({ initialLr: trainer.initialLr, iterations: config.iterations, decay: trainer.decay }, trainer.iteration);
      log(`iterations ${saved.iterations} → ${config.iterations}: learning rate ${trainer.lr.toExponential(3)} from iteration ${trainer.iteration} of the new schedule`);
    }
    if (saved.averageDecay !== config.averageDecay && config.averageDecay !== undefined) {
      log(loadedAverage ? `generator average decay ${saved.averageDecay} → ${config.averageDecay}` : `generator average (decay ${config.averageDecay}) starts from the resumed weights`);
    }
    await dropLogRowsAfter(path.join(out, 'log.jsonl'), trainer.iteration);
  } else {
    if (options.networks) {
      networks = options.networks;
    } else if (init) {
      const { loadNetworks } = await import('../weights/networks');
      networks = await loadNetworks(init);
      const from = networks.genA2B.inputs[0]!.shape[1];
      const { ngf, ndf, nBlocks, light, globalLayers, localLayers } = options;
      Object.assign(config, fitInitialNetworks(networks, config.size, { ngf, ndf, nBlocks, light, globalLayers, localLayers }, init));
      log(`initialised from ${init}${from === config.size ? '' : ` (its light generators, trained at ${from} px, rebuilt at ${config.size} px with the same weights)`}`);
    } else {
      networks = buildNetworks(config);
    }
    config.trainer = { ...config.trainer, iterations: config.iterations };
    trainer = new UGATITTrainer(networks, config.trainer);
  }
  const { sampleEvery, saveEvery, keep, sampleCount } = config.cadence!;
  const average = config.averageDecay !== undefined ? new GeneratorAverage(networks, config.averageDecay, loadedAverage) : undefined;
  if (!average && loadedAverage) {
    loadedAverage.genA2B.dispose();
    loadedAverage.genB2A.dispose();
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
  const save = async () => {
    const bad = nonFiniteWeights(networks);
    if (bad.length) {
      throw new UGATITError(`training diverged by iteration ${trainer.iteration}: non-finite weights ${bad.slice(0, 8).join(', ')}${bad.length > 8 ? ` and ${bad.length - 8} more` : ''}; not saved, the last checkpoint in ${out} is intact`);
    }
    const state = trainer.getState();
    try {
      const p = await saveTrainingCheckpoint(out, networks, state,
        { config, data: { trainA: sets.trainA.getState(), trainB: sets.trainB.getState() } }, keep, average?.networks);
      savedAt = trainer.iteration;
      log(`saved ${p}`);
    } finally {
      disposeTrainerState(state);
    }
  };
  const writeSamples = async () => {
    const { genA2B, genB2A } = average?.networks ?? networks;
    for (const [name, real, fwd, bwd] of [['A2B', samplesA, genA2B, genB2A], ['B2A', samplesB, genB2A, genA2B]] as const) {
      if (!real) continue;
      const sheet = translationSampleSheet(real, fwd, bwd);
      const png = encodePNG(tensorToImage(sheet, [0, 1]));
      sheet.dispose();
      const file = path.join(out, 'samples', `${name}_${String(trainer.iteration).padStart(7, '0')}.png`);
      await fs.writeFile(file, png);
    }
    log(`samples at iteration ${trainer.iteration}${average ? ' (averaged generators)' : ''}`);
  };
  try {
    while (trainer.iteration < config.iterations && !signal?.aborted) {
      const realA = await sets.trainA.nextBatch(config.batchSize);
      const realB = await sets.trainB.nextBatch(config.batchSize);
      const snapshot = onNonFinite === 'skip' ? takeSnapshot(networks, trainer) : null;
      let result: StepResult;
      try {
        result = await trainer.step(realA, realB);
      } finally {
        tf.dispose([realA, realB]);
      }
      const bad = Object.entries(result.losses).filter(([, v]) => !Number.isFinite(v));
      if (bad.length) {
        const terms = bad.map(([k, v]) => `${k}=${v}`).join(', ');
        if (snapshot) {
          restoreSnapshot(snapshot, networks, trainer);
          disposeSnapshot(snapshot);
          await logFile.write(JSON.stringify({ iteration: result.iteration, skipped: true, nonFinite: Object.fromEntries(bad.map(([k, v]) => [k, String(v)])) }) + '\n');
          log(`skipped iteration ${result.iteration}: non-finite ${terms}; weights and optimizer state restored`);
          continue;
        }
        throw new UGATITError(`training diverged at iteration ${result.iteration}: non-finite ${terms}; the last checkpoint in ${out} is intact`);
      }
      if (snapshot) disposeSnapshot(snapshot);
      average?.update();
      await logFile.write(JSON.stringify({ iteration: result.iteration, seconds: result.seconds, lr: result.lr, ...result.losses }) + '\n');
      onStep?.(result, trainer);
      if (sampleEvery > 0 && result.iteration % sampleEvery === 0) await writeSamples();
      if (saveEvery > 0 && result.iteration % saveEvery === 0) await save();
    }
    if (savedAt !== trainer.iteration) await save();
  } finally {
    await logFile.close();
    average?.dispose();
    tf.dispose([samplesA, samplesB].filter((t): t is tf.Tensor4D => t !== null));
  }
  return trainer;
}
