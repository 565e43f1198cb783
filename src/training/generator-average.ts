import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { UGATITConfigError } from '../errors';
import { networkFlavor } from '../networks/flavor';
import { createGenerator } from '../networks/generator';
import { inferModelNetwork } from '../weights/convert';

/** The two generators of a run, as a pair (e.g. the averaged copies of {@link GeneratorAverage}). */
export interface GeneratorPair {
  /** Generator A → B. */
  genA2B: tfl.LayersModel;
  /** Generator B → A. */
  genB2A: tfl.LayersModel;
}

/** The generators' names, in the reference's order. */
export const GENERATOR_NAMES: ReadonlyArray<keyof GeneratorPair> = ['genA2B', 'genB2A'];

/** Throws `<who> must be in [0, 1), received <decay>` unless `decay` can weight a moving average. */
export function checkAverageDecay(who: string, decay: number): void {
  if (!(decay >= 0 && decay < 1)) throw new UGATITConfigError(`${who} must be in [0, 1), received ${decay}`);
}

/**
 * One exponential-moving-average step, in place: `average ← decay · average + (1 − decay) · current`
 * for each pair of variables.
 */
export function updateAverage(average: readonly tf.Variable[], current: readonly tf.Tensor[], decay: number): void {
  if (average.length !== current.length) {
    throw new UGATITConfigError(`updateAverage: ${average.length} averaged variables for ${current.length} current ones`);
  }
  tf.tidy(() => {
    average.forEach((a, i) => a.assign(tf.add(tf.mul(a, decay), tf.mul(current[i]!, 1 - decay))));
  });
}

/** A new generator with the architecture, flavour and name of `model` and a copy of its weights. */
export function copyGenerator(model: tfl.LayersModel, imgSize?: number): tfl.LayersModel {
  const inferred = inferModelNetwork(model);
  if (inferred.kind !== 'generator') throw new UGATITConfigError(`copyGenerator: ${model.name} is not a generator`);
  const copy = createGenerator({ ...inferred.config, flavor: networkFlavor(model), imgSize: imgSize ?? inferred.config.imgSize, name: model.name });
  copy.setWeights(model.getWeights());
  return copy;
}

const weightVariables = (model: tfl.LayersModel) => model.weights.map((w) => w.read() as tf.Variable);

/**
 * An exponential moving average of both generators' weights over training iterations, kept in
 * two generators of its own. GAN generators at a constant learning rate oscillate from step to
 * step; their average draws steadier, cleaner images (Yazıcı et al., ICLR 2019, "The Unusual
 * Effectiveness of Averaging in GAN Training"). Training itself is unchanged: the average only
 * watches. The official U-GAT-IT code has no average, so it is off unless asked for.
 *
 * @example
 * ```ts
 * const average = new GeneratorAverage(trainer.networks, 0.999);
 * for (...) { await trainer.step(realA, realB); average.update(); }
 * await translate(average.networks.genA2B, 'face.png');
 * ```
 */
export class GeneratorAverage {
  /** The averaged generators. */
  readonly networks: GeneratorPair;

  /**
   * @param source - The generators being trained.
   * @param decay - Weight of the old average per update, in [0, 1): 0.999 averages over about
   *   the last 1,000 iterations.
   * @param start - Averaged generators to continue (e.g. from a checkpoint; taken, not copied).
   *   Default: copies of `source`.
   */
  constructor(readonly source: GeneratorPair, readonly decay: number, start?: GeneratorPair) {
    checkAverageDecay('GeneratorAverage: decay', decay);
    this.networks = start ?? { genA2B: copyGenerator(source.genA2B), genB2A: copyGenerator(source.genB2A) };
    for (const name of GENERATOR_NAMES) {
      const [a, s] = [this.networks[name].weights, source[name].weights];
      const same = a.length === s.length && a.every((w, i) => w.originalName === s[i]!.originalName && tf.util.arraysEqual(w.shape as number[], s[i]!.shape as number[]));
      if (!same) throw new UGATITConfigError(`GeneratorAverage: the averaged ${name} does not have the trained ${name}'s weights (names and shapes differ)`);
    }
  }

  /** Moves the average one step towards the generators' current weights. */
  update(): void {
    for (const name of GENERATOR_NAMES) {
      updateAverage(weightVariables(this.networks[name]), weightVariables(this.source[name]), this.decay);
    }
  }

  /** Frees the averaged generators. */
  dispose(): void {
    this.networks.genA2B.dispose();
    this.networks.genB2A.dispose();
  }
}
