/**
 * A classifier two-sample test (Lopez-Paz & Oquab, "Revisiting classifier two-sample tests",
 * ICLR 2017): a fresh critic learns to tell set X from set Y on part of each, and its accuracy
 * on the held-out rest measures how different the sets are — 50% when they are
 * indistinguishable to it, 100% when it separates them completely.
 *
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import { RNG } from '../data/rng';
import { UGATITConfigError } from '../errors';
import { domainProbabilities, trainDomainClassifier } from './domain-classifier';
import type { FitClassifierOptions } from './patch-classifier';

/** Options of {@link twoSampleTest}. */
export interface TwoSampleTestOptions extends Omit<FitClassifierOptions, 'onEpochEnd'> {
  /** Share of each set held out for scoring (the rest trains the critic). Default 0.25. */
  heldOutFraction?: number;
}

/** A count per set. */
export interface SetCounts {
  /** Images of set X. */
  x: number;
  /** Images of set Y. */
  y: number;
}

/** What {@link twoSampleTest} returns. */
export interface TwoSampleTestResult {
  /** Held-out accuracy over both sets: 0.5 = indistinguishable, 1 = fully separated. */
  accuracy: number;
  /** Share of held-out X images the critic calls X. */
  accuracyX: number;
  /** Share of held-out Y images the critic calls Y. */
  accuracyY: number;
  /** Images of X and of Y the critic was trained on. */
  trainCounts: SetCounts;
  /** Held-out images of X and of Y it was scored on. */
  heldOutCounts: SetCounts;
}

/** Splits `n` indices with a seeded shuffle: the first `n − held` train, the rest are held out. */
function split(rng: RNG, n: number, held: number): { train: number[]; test: number[] } {
  const order = rng.shuffle(Array.from({ length: n }, (_, i) => i));
  return { train: order.slice(0, n - held), test: order.slice(n - held) };
}

/**
 * Trains a fresh critic (the domain classifier's CNN, {@link trainDomainClassifier}: X as label 0,
 * Y as label 1) on a seeded random `1 − heldOutFraction` of each set and scores it on the rest.
 * Images are NHWC in [-1, 1], any size (resized to 64 px inside); the two sets may differ in
 * size. The inputs are not disposed, and the critic is disposed before returning.
 *
 * @example
 * ```ts
 * const { accuracy } = await twoSampleTest(translatedAtoB, realB, { epochs: 5, seed: 0 });
 * // ≈ 0.5: the critic cannot tell translations from real B; ≈ 1: it always can.
 * ```
 */
export async function twoSampleTest(imagesX: tf.Tensor4D, imagesY: tf.Tensor4D, options: TwoSampleTestOptions = {}): Promise<TwoSampleTestResult> {
  const { heldOutFraction = 0.25, seed = 0 } = options;
  if (!(heldOutFraction > 0 && heldOutFraction < 1)) {
    throw new UGATITConfigError(`twoSampleTest: heldOutFraction must be in (0, 1), received ${heldOutFraction}`);
  }
  const nX = imagesX.shape[0];
  const nY = imagesY.shape[0];
  const heldX = Math.round(nX * heldOutFraction);
  const heldY = Math.round(nY * heldOutFraction);
  if (heldX < 1 || heldY < 1 || heldX >= nX || heldY >= nY) {
    throw new UGATITConfigError(
      `twoSampleTest: ${nX} and ${nY} images leave no image to train on or to hold out at heldOutFraction ${heldOutFraction}`,
    );
  }
  // A seed of its own for the split, so the critic's initialisation and shuffling stay those of `seed`.
  const rng = new RNG(seed * 2 + 1);
  const sx = split(rng, nX, heldX);
  const sy = split(rng, nY, heldY);
  const pick = (images: tf.Tensor4D, idx: number[]) => tf.tidy(() => tf.gather(images, tf.tensor1d(idx, 'int32')) as tf.Tensor4D);
  const [trainX, trainY, testX, testY] = [pick(imagesX, sx.train), pick(imagesY, sy.train), pick(imagesX, sx.test), pick(imagesY, sy.test)];
  try {
    const critic = await trainDomainClassifier(trainX, trainY, options);
    try {
      const hitsX = domainProbabilities(critic, testX).filter((p) => p <= 0.5).length;
      const hitsY = domainProbabilities(critic, testY).filter((p) => p > 0.5).length;
      return {
        accuracy: (hitsX + hitsY) / (heldX + heldY),
        accuracyX: hitsX / heldX,
        accuracyY: hitsY / heldY,
        trainCounts: { x: nX - heldX, y: nY - heldY },
        heldOutCounts: { x: heldX, y: heldY },
      };
    } finally {
      critic.dispose();
    }
  } finally {
    tf.dispose([trainX, trainY, testX, testY]);
  }
}
