/**
 * A small CNN that tells domain A from domain B, trained on real images of both. Used as a
 * translation metric: the fraction of A→B translations it classifies as B (and vice versa).
 *
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { UGATITConfigError } from '../errors';
import { buildPatchClassifier, fitFreshClassifier, resizeForClassifier, type FitClassifierOptions } from './patch-classifier';

/** Side in pixels the classifier works at; inputs of any size are resized to this. */
export const DOMAIN_CLASSIFIER_SIZE = 64;

/** A domain label: `'A'` (classifier output 0) or `'B'` (output 1). */
export type DomainLabel = 'A' | 'B';

/** Options of {@link trainDomainClassifier}; `seed` seeds the weight initialisation and the shuffling. */
export type DomainClassifierOptions = FitClassifierOptions;

/**
 * Resizes NHWC images in [-1, 1] (the model's image convention) to
 * {@link DOMAIN_CLASSIFIER_SIZE}² with bilinear filtering. Returns a new tensor.
 */
export function prepareDomainImages(images: tf.Tensor4D): tf.Tensor4D {
  return resizeForClassifier(images, DOMAIN_CLASSIFIER_SIZE);
}

/** Output channels of the four downsampling stages of {@link buildDomainClassifier}. */
export const DOMAIN_CLASSIFIER_FILTERS: readonly number[] = [16, 32, 64, 64];

/**
 * Builds the untrained classifier: {@link buildPatchClassifier} with four stages (16, 32, 64, 64
 * filters; 64 → 32 → 16 → 8 → 4 px), global average pooling and one sigmoid unit (probability of
 * domain B). Input `[batch, 64, 64, 3]` in [-1, 1].
 */
export function buildDomainClassifier(seed = 0): tfl.Sequential {
  return buildPatchClassifier({ inputSize: DOMAIN_CLASSIFIER_SIZE, filters: DOMAIN_CLASSIFIER_FILTERS, classes: 1, seed });
}

/**
 * Trains {@link buildDomainClassifier} to separate real `imagesA` (label 0) from real
 * `imagesB` (label 1). Images are NHWC float in [-1, 1], any size (resized to 64 px inside);
 * the inputs are not disposed. Shuffling uses its own seeded PRNG, so with the same seed, data
 * and backend the result is reproducible. The model is returned for prediction: its Adam
 * optimizer (which a compiled model does not own, so `model.dispose()` would leave its slots)
 * is disposed before it is returned, and disposing the model frees everything.
 *
 * @example
 * ```ts
 * const model = await trainDomainClassifier(realA, realB, { epochs: 5, seed: 0 });
 * const fooled = domainAccuracy(model, fakeB, 'B'); // share of A→B outputs that look like B
 * ```
 */
export async function trainDomainClassifier(
  imagesA: tf.Tensor4D,
  imagesB: tf.Tensor4D,
  options: DomainClassifierOptions = {},
): Promise<tfl.LayersModel> {
  if (imagesA.shape[0] === 0 || imagesB.shape[0] === 0) {
    throw new UGATITConfigError('both domains need at least one training image');
  }
  const nA = imagesA.shape[0];
  const nB = imagesB.shape[0];
  const { x, y } = tf.tidy(() => ({
    x: tf.concat([prepareDomainImages(imagesA), prepareDomainImages(imagesB)], 0),
    y: tf.concat([tf.zeros([nA, 1]), tf.ones([nB, 1])], 0),
  }));
  const model = buildDomainClassifier(options.seed ?? 0);
  return fitFreshClassifier(model, x, y, options);
}

/**
 * Probability of domain B for each image (NHWC, [-1, 1], any size), computed in batches of
 * `batchSize`. Returns a plain array of length `images.shape[0]`.
 */
export function domainProbabilities(model: tfl.LayersModel, images: tf.Tensor4D, batchSize = 64): number[] {
  const n = images.shape[0];
  const out: number[] = [];
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    const p = tf.tidy(() => {
      const batch = tf.slice(images, [start, 0, 0, 0], [size, -1, -1, -1]);
      return model.predict(prepareDomainImages(batch)) as tf.Tensor;
    });
    out.push(...(p.dataSync() as Float32Array));
    p.dispose();
  }
  return out;
}

/**
 * Fraction of `images` that `model` assigns to domain `label` (probability of B above 0.5 means
 * B). On real held-out images this is the classifier's accuracy; on translated images it is the
 * share the classifier accepts as the target domain.
 */
export function domainAccuracy(model: tfl.LayersModel, images: tf.Tensor4D, label: DomainLabel): number {
  const probs = domainProbabilities(model, images);
  if (probs.length === 0) return NaN;
  const hits = probs.filter((p) => (label === 'B' ? p > 0.5 : p <= 0.5)).length;
  return hits / probs.length;
}
