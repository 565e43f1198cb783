/**
 * A style feature network: a small CNN trained to tell DiceBear styles apart, whose pooled
 * penultimate layer serves as the feature extractor of {@link kid} for avatar images, in place of
 * Inception-v3 (whose weights are not part of this library).
 *
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { UgatitConfigError } from '../errors';
import { buildPatchClassifier, fitClassifier, patchClassifierFeatures, resizeForClassifier, type FitClassifierOptions } from './patch-classifier';

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
  if (labels.length !== images.shape[0]) throw new UgatitConfigError(`trainStyleClassifier: ${images.shape[0]} images but ${labels.length} labels`);
  const bad = labels.findIndex((l) => !Number.isInteger(l) || l < 0 || l >= classes);
  if (bad >= 0) throw new UgatitConfigError(`trainStyleClassifier: label ${bad} is ${labels[bad]}, expected an integer in [0, ${classes})`);
  const model = buildPatchClassifier({ inputSize: STYLE_FEATURE_SIZE, filters: STYLE_FEATURE_FILTERS, classes, seed: options.seed ?? 0 });
  const x = resizeForClassifier(images, STYLE_FEATURE_SIZE);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(labels as number[], 'int32'), classes));
  try {
    await fitClassifier(model, x, y, options);
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    tf.dispose([x, y]);
  }
  return model;
}

/**
 * The feature extractor of a trained style classifier: the same layers, up to the pooled
 * `[batch, 128]` features. It shares the classifier's layers and weights: dispose the classifier
 * to free them, and not the extractor too (disposing either disposes the shared layers).
 */
export function styleFeatureExtractor(classifier: tfl.LayersModel): tfl.LayersModel {
  return patchClassifierFeatures(classifier);
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
  if (parts.length === 0) throw new UgatitConfigError('predictInBatches: no images');
  const out = tf.concat(parts, 0) as tf.Tensor2D;
  tf.dispose(parts);
  return out;
}
