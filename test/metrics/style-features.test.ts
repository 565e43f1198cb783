import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachBackend, useBackend } from '../helpers/backends';
import { patchClassifierFeatures } from '../../src/metrics/patch-classifier';
import {
  featureRMS, predictInBatches, STYLE_FEATURE_FILTERS, STYLE_FEATURE_SCALE_KEY, STYLE_FEATURE_SIZE, styleFeatureExtractor, trainStyleClassifier,
} from '../../src/metrics/style-features';
import { buildPatchClassifier } from '../../src/metrics/patch-classifier';
import { loadLayersModelFromDir, saveLayersModelToDir } from '../../src/io/file-handler';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Three "styles": noisy images around three colours, `n` of each, labels 0, 1, 2 in blocks. */
function threeStyles(n: number, seed: number): { images: tf.Tensor4D; labels: number[] } {
  const colours = [[0.6, -0.4, -0.4], [-0.4, 0.6, -0.4], [-0.4, -0.4, 0.6]];
  const images = tf.tidy(() => tf.concat(colours.map((c, i) =>
    tf.clipByValue(tf.add(tf.randomNormal([n, 16, 16, 3], 0, 0.3, 'float32', seed + i), tf.tensor(c, [1, 1, 1, 3])), -1, 1))) as tf.Tensor4D);
  return { images, labels: colours.flatMap((_, i) => Array<number>(n).fill(i)) };
}

// Not on cpu: its matMul makes even this 128-feature network take minutes to train there.
describeEachBackend('style features on %s', (backend) => {
  let train: ReturnType<typeof threeStyles>;
  let test: ReturnType<typeof threeStyles>;
  beforeAll(async () => {
    await useBackend(backend);
    train = threeStyles(16, 1);
    test = threeStyles(8, 10);
  });
  afterAll(() => tf.dispose([train.images, test.images]));

  it('learns the styles, and its extractor gives the pooled features of the same layers, without leaks', async () => {
    const before = tf.memory().numTensors;
    const model = await trainStyleClassifier(train.images, train.labels, 3, { epochs: 6, batchSize: 8, seed: 0 });
    const probs = predictInBatches(model, test.images, 10);
    expect(probs.shape).toEqual([24, 3]);
    const argMax = tf.argMax(probs, 1);
    const predicted = Array.from(argMax.dataSync());
    argMax.dispose();
    expect(predicted.filter((p, i) => p === test.labels[i]).length / 24).toBeGreaterThan(0.9);

    const extractor = styleFeatureExtractor(model);
    expect(extractor.inputs[0]!.shape).toEqual([null, STYLE_FEATURE_SIZE, STYLE_FEATURE_SIZE, 3]);
    const features = predictInBatches(extractor, test.images, 10);
    expect(features.shape).toEqual([24, STYLE_FEATURE_FILTERS.at(-1)]);
    // The head applied to the extracted features reproduces the classifier's output.
    const head = model.layers.at(-1)!;
    const again = tf.tidy(() => head.apply(features) as tf.Tensor);
    const worst = tf.tidy(() => tf.max(tf.abs(tf.sub(again, probs))));
    expect(worst.dataSync()[0]).toBeLessThan(1e-5);
    worst.dispose();
    tf.dispose([probs, features, again]);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('scales the features by the metadata scale, kept through save and load: features of RMS 1 on the images it was measured on', async () => {
    const before = tf.memory().numTensors;
    const model = buildPatchClassifier({ inputSize: STYLE_FEATURE_SIZE, filters: STYLE_FEATURE_FILTERS, classes: 3, seed: 1 });
    const raw = featureRMS(styleFeatureExtractor(model), train.images);
    expect(raw).toBeGreaterThan(0);
    model.setUserDefinedMetadata({ [STYLE_FEATURE_SCALE_KEY]: raw });
    expect(featureRMS(styleFeatureExtractor(model), train.images)).toBeCloseTo(1, 5);
    const dir = await mkdtemp(path.join(tmpdir(), 'style-features-'));
    try {
      await saveLayersModelToDir(model, dir, { float16: true });
      const loaded = await loadLayersModelFromDir(dir);
      // float16 weights: the RMS moves by well under a percent.
      expect(featureRMS(styleFeatureExtractor(loaded), train.images)).toBeCloseTo(1, 2);
      loaded.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    model.setUserDefinedMetadata({ [STYLE_FEATURE_SCALE_KEY]: -2 });
    expect(() => styleFeatureExtractor(model)).toThrow(/featureScale must be a positive number, received -2/);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names the bad value', async () => {
    await expect(trainStyleClassifier(train.images, [0, 1], 3)).rejects.toThrow(/48 images but 2 labels/);
    const labels = train.labels.slice();
    labels[5] = 3;
    await expect(trainStyleClassifier(train.images, labels, 3)).rejects.toThrow(/label 5 is 3, expected an integer in \[0, 3\)/);
    const plain = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [4], units: 2 }), tfl.layers.dense({ units: 1 })] });
    expect(() => patchClassifierFeatures(plain)).toThrow(/expected a global average pooling layer before the head, found Dense/);
    plain.dispose();
  });
}, ['wasm', 'tensorflow']);
