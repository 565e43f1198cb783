/**
 * Trains the style feature network (src/metrics/style-features.ts): renders `--per-style` training
 * and `--test-per-style` held-out avatars of every DiceBear style in the collection (except
 * `initials`, which draws only text and renders blank without system fonts), at the datasets' 128
 * px and background, the two domain styles with the datasets' framing; no augmentation. Reports
 * held-out accuracy (overall and per style) and saves the classifier as float16, with the
 * training images' feature RMS in its metadata (the extractor's scale), and a `training.json`
 * (styles in label order, accuracies, feature scale, command, date).
 *
 *   npx tsx scripts/train-style-features.ts --out weights/style-features [--per-style 200] [--test-per-style 50]
 *     [--epochs 8] [--seed 0] [--backend tensorflow|wasm|cpu]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { useCliBackend } from '../src/cli/backend';
import { decodeImage, imageToTensor } from '../src/data';
import { AVATAR_FRAMING, AVATAR_STYLES_B, listDicebearStyles, renderDicebearPng, type DicebearFraming } from '../src/datasets/avatars';
import { saveLayersModelToDir } from '../src/io/file-handler';
import { resizeForClassifier } from '../src/metrics/patch-classifier';
import {
  featureRMS, predictInBatches, STYLE_FEATURE_SCALE_KEY, STYLE_FEATURE_SIZE, styleFeatureExtractor, trainStyleClassifier,
} from '../src/metrics/style-features';

const { values: v } = parseArgs({
  options: {
    out: { type: 'string', default: 'weights/style-features' }, 'per-style': { type: 'string', default: '200' },
    'test-per-style': { type: 'string', default: '50' }, epochs: { type: 'string', default: '8' }, seed: { type: 'string', default: '0' },
    backend: { type: 'string', default: 'tensorflow' },
  },
  strict: true,
});
const int = (name: string, s: string) => {
  if (!/^\d+$/.test(s)) throw new Error(`--${name} takes a non-negative integer, got "${s}"`);
  return Number(s);
};
const perStyle = int('per-style', v['per-style']!);
const testPerStyle = int('test-per-style', v['test-per-style']!);
const epochs = int('epochs', v.epochs!);
const seed = int('seed', v.seed!);

/** The datasets' framing for the styles they use (so domain A and B look as in training data), else DiceBear's own. */
function framingOf(style: string): DicebearFraming {
  const known = [AVATAR_FRAMING.A, ...Object.values(AVATAR_STYLES_B)].find((f) => f.style === style);
  return known ?? { style, scale: 100, translateY: 0, options: {} };
}

/** Renders `count` avatars of `style` (seed strings `<phase>-<seed>-<style>-<i>`) at 128 px, resized to the network's size. */
async function renderStyle(style: string, phase: 'train' | 'test', count: number): Promise<tf.Tensor4D> {
  const framing = framingOf(style);
  const tiles: tf.Tensor4D[] = [];
  for (let i = 0; i < count; i++) {
    const png = await renderDicebearPng(framing, `${phase}-${seed}-${style}-${i}`, 128);
    tiles.push(tf.tidy(() => resizeForClassifier(tf.expandDims(imageToTensor(decodeImage(png))) as tf.Tensor4D, STYLE_FEATURE_SIZE)));
  }
  const out = tf.concat(tiles) as tf.Tensor4D;
  tf.dispose(tiles);
  return out;
}

console.log(`backend: ${await useCliBackend(v.backend!)}`);
const styles = (await listDicebearStyles()).filter((s) => s !== 'initials');
const t0 = Date.now();
const train: tf.Tensor4D[] = [];
const test: tf.Tensor4D[] = [];
for (const style of styles) {
  train.push(await renderStyle(style, 'train', perStyle));
  test.push(await renderStyle(style, 'test', testPerStyle));
}
const labelsOf = (n: number) => styles.flatMap((_, c) => Array<number>(n).fill(c));
const xTrain = tf.concat(train) as tf.Tensor4D;
const xTest = tf.concat(test) as tf.Tensor4D;
tf.dispose([...train, ...test]);
console.log(`rendered ${styles.length} styles × (${perStyle} + ${testPerStyle}) in ${((Date.now() - t0) / 1000).toFixed(0)} s`);

const t1 = Date.now();
const model = await trainStyleClassifier(xTrain, labelsOf(perStyle), styles.length, {
  epochs, seed, onEpochEnd: (e, l) => console.log(`epoch ${e + 1}/${epochs}: loss ${l.loss.toFixed(4)} train acc ${l.acc.toFixed(4)}`),
});
const trainSeconds = (Date.now() - t1) / 1000;
const probs = predictInBatches(model, xTest);
const argMax = tf.argMax(probs, 1);
const predicted = Array.from(argMax.dataSync());
argMax.dispose();
const testLabels = labelsOf(testPerStyle);
const perStyleAccuracy: Record<string, number> = {};
styles.forEach((s, c) => {
  perStyleAccuracy[s] = predicted.filter((p, i) => testLabels[i] === c && p === c).length / testPerStyle;
});
const accuracy = predicted.filter((p, i) => p === testLabels[i]).length / predicted.length;
console.log(`trained in ${trainSeconds.toFixed(0)} s; held-out accuracy ${(100 * accuracy).toFixed(1)}% over ${predicted.length} images`);
console.log(Object.entries(perStyleAccuracy).map(([s, a]) => `${s} ${(100 * a).toFixed(0)}%`).join(', '));

// The training set's feature RMS, stored in the model so that styleFeatureExtractor scales features to order 1.
const featureScale = featureRMS(styleFeatureExtractor(model), xTrain);
model.setUserDefinedMetadata({ [STYLE_FEATURE_SCALE_KEY]: featureScale });
console.log(`feature RMS on the training images: ${featureScale.toFixed(4)}`);
await mkdir(v.out!, { recursive: true });
await saveLayersModelToDir(model, v.out!, { float16: true });
const info = {
  what: 'style classifier; its pooled penultimate layer (128 values) is the KID feature extractor',
  styles, inputSize: STYLE_FEATURE_SIZE, perStyle, testPerStyle, epochs, seed, backend: tf.getBackend(),
  heldOutAccuracy: accuracy, perStyleAccuracy, trainSeconds, featureScale,
  date: new Date().toISOString(), command: `npx tsx scripts/train-style-features.ts ${process.argv.slice(2).join(' ')}`.trim(),
  dtype: 'float16',
};
await writeFile(path.join(v.out!, 'training.json'), JSON.stringify(info, null, 2) + '\n');
console.log(`saved to ${v.out}`);
tf.dispose([xTrain, xTest, probs]);
model.dispose();
