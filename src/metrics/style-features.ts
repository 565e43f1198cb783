/**
 * A style feature network: a small CNN trained to tell DiceBear styles apart, whose pooled
 * penultimate layer serves as the feature extractor of {@link kid} for avatar images, in place of
 * Inception-v3 (whose weights are not part of this library).
 *
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { UGATITConfigError } from '../errors';
import { buildPatchClassifier, fitFreshClassifier, patchClassifierFeatures, resizeForClassifier, type FitClassifierOptions } from './patch-classifier';

/** Side in pixels the style network works at; inputs of any size are resized to it. */
export const STYLE_FEATURE_SIZE = 64;

/** Output channels of the style network's four stages; the last is the feature dimension. */
export const STYLE_FEATURE_FILTERS: readonly number[] = [32, 64, 128, 128];

/**
 * Trains a fresh style classifier ({@link buildPatchClassifier} with {@link STYLE_FEATURE_FILTERS}
 * and a softmax over `classes`) on `images` (NHWC in [-1, 1], any size, resized to
 * {@link STYLE_FEATURE_SIZE} inside) with integer `labels` in [0, classes). The inputs are not
 * disposed; `seed` seeds the initialisation and the shuffling.
 */
export async function trainStyleClassifier(
  images: tf.Tensor4D,
  labels: readonly number[],
  classes: number,
  options: FitClassifierOptions = {},
): Promise<tfl.LayersModel> {
  if (labels.length !== images.shape[0]) throw new UGATITConfigError(`trainStyleClassifier: ${images.shape[0]} images but ${labels.length} labels`);
  const bad = labels.findIndex((l) => !Number.isInteger(l) || l < 0 || l >= classes);
  if (bad >= 0) throw new UGATITConfigError(`trainStyleClassifier: label ${bad} is ${labels[bad]}, expected an integer in [0, ${classes})`);
  const model = buildPatchClassifier({ inputSize: STYLE_FEATURE_SIZE, filters: STYLE_FEATURE_FILTERS, classes, seed: options.seed ?? 0 });
  const x = resizeForClassifier(images, STYLE_FEATURE_SIZE);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(labels as number[], 'int32'), classes));
  return fitFreshClassifier(model, x, y, options);
}

/** Key of the feature scale in a style classifier's user-defined metadata (saved in its model.json). */
export const STYLE_FEATURE_SCALE_KEY = 'featureScale';

/**
 * The root mean square of every feature value of `extractor` over `images`: the scale that
 * {@link styleFeatureExtractor} divides by. KID's kernel `(x·y/d + 1)³` is not scale-invariant;
 * Inception's pool features are of order 1, whereas a ReLU network's pooled features can be of
 * any size, and at tens per value the cubic kernel makes KID's subset estimates swing by orders
 * of magnitude more than the differences they measure.
 */
export function featureRMS(extractor: tfl.LayersModel, images: tf.Tensor4D): number {
  const f = predictInBatches(extractor, images);
  const rms = tf.tidy(() => tf.sqrt(tf.mean(tf.square(f))));
  const value = rms.dataSync()[0]!;
  tf.dispose([f, rms]);
  return value;
}

/**
 * The feature extractor of a trained style classifier: the same layers up to the pooled
 * `[batch, 128]` features, divided by the feature scale stored in the classifier's user-defined
 * metadata under {@link STYLE_FEATURE_SCALE_KEY} (the training set's {@link featureRMS}, so that
 * values are of order 1; 1 when absent). It shares the classifier's layers and weights: dispose
 * the classifier to free them, and not the extractor too (disposing either disposes the shared layers).
 */
export function styleFeatureExtractor(classifier: tfl.LayersModel): tfl.LayersModel {
  const pooled = patchClassifierFeatures(classifier);
  const scale = (classifier.getUserDefinedMetadata() as Record<string, unknown> | undefined)?.[STYLE_FEATURE_SCALE_KEY] ?? 1;
  if (typeof scale !== 'number' || !(scale > 0) || !Number.isFinite(scale)) {
    throw new UGATITConfigError(`styleFeatureExtractor: metadata ${STYLE_FEATURE_SCALE_KEY} must be a positive number, received ${JSON.stringify(scale)}`);
  }
  if (scale === 1) return pooled;
  const scaled = tfl.layers.rescaling({ scale: 1 / scale }).apply(pooled.outputs[0]!) as tfl.SymbolicTensor;
  return tfl.model({ inputs: classifier.inputs, outputs: scaled });
}

/**
 * Runs `model` (a classifier, or its {@link styleFeatureExtractor}) on `images` (NHWC in [-1, 1],
 * any size, resized to the model's input size) in batches of `batchSize`; returns one new
 * `[n, outputs]` tensor: features for {@link kid}, or class probabilities.
 */
export function predictInBatches(model: tfl.LayersModel, images: tf.Tensor4D, batchSize = 64): tf.Tensor2D {
  const size = model.inputs[0]!.shape[1] as number;
  const parts: tf.Tensor[] = [];
  for (let start = 0; start < images.shape[0]; start += batchSize) {
    const n = Math.min(batchSize, images.shape[0] - start);
    parts.push(tf.tidy(() => model.predict(resizeForClassifier(tf.slice(images, start, n), size)) as tf.Tensor));
  }
  if (parts.length === 0) throw new UGATITConfigError('predictInBatches: no images');
  const out = tf.concat(parts, 0) as tf.Tensor2D;
  tf.dispose(parts);
  return out;
}
