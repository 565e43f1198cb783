import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachBackend, useBackend } from '../helpers/backends';
import {
  DOMAIN_CLASSIFIER_SIZE,
  domainAccuracy,
  domainProbabilities,
  prepareDomainImages,
  trainDomainClassifier,
} from '../../src/metrics/domain-classifier';

/**
 * Synthetic two-colour domains: every image is a noisy mix of a background colour and a blob
 * colour; A uses reddish colours, B bluish ones. Values in [-1, 1].
 */
function twoColourDomain(n: number, domain: 'A' | 'B', seed: number, size = 48): tf.Tensor4D {
  return tf.tidy(() => {
    const base = domain === 'A' ? [0.7, -0.3, -0.5] : [-0.5, -0.2, 0.7];
    const blob = domain === 'A' ? [0.2, 0.6, -0.2] : [0.6, 0.5, 0.1];
    const ys = tf.reshape(tf.linspace(-1, 1, size), [1, size, 1, 1]);
    const xs = tf.reshape(tf.linspace(-1, 1, size), [1, 1, size, 1]);
    const centre = tf.randomUniform([n, 1, 1, 2], -0.5, 0.5, 'float32', seed);
    const [cy, cx] = tf.split(centre, 2, 3);
    const d2 = tf.add(tf.square(tf.sub(ys, cy)), tf.square(tf.sub(xs, cx)));
    const mask = tf.cast(tf.less(d2, 0.25), 'float32');
    const img = tf.add(
      tf.mul(tf.sub(1, mask), tf.tensor(base, [1, 1, 1, 3])),
      tf.mul(mask, tf.tensor(blob, [1, 1, 1, 3])),
    );
    const noise = tf.randomNormal([n, size, size, 3], 0, 0.3, 'float32', seed + 1);
    return tf.clipByValue(tf.add(img, noise), -1, 1) as tf.Tensor4D;
  });
}

describeEachBackend('domain classifier on %s', (backend) => {
  let trainA: tf.Tensor4D;
  let trainB: tf.Tensor4D;
  let testA: tf.Tensor4D;
  let testB: tf.Tensor4D;
  beforeAll(async () => {
    await useBackend(backend);
    trainA = twoColourDomain(32, 'A', 1);
    trainB = twoColourDomain(32, 'B', 2);
    testA = twoColourDomain(32, 'A', 3);
    testB = twoColourDomain(32, 'B', 4);
  });
  afterAll(() => tf.dispose([trainA, trainB, testA, testB]));

  it('resizes any input to the classifier size', () => {
    const r = prepareDomainImages(testA);
    expect(r.shape).toEqual([32, DOMAIN_CLASSIFIER_SIZE, DOMAIN_CLASSIFIER_SIZE, 3]);
    r.dispose();
  });

  it('learns two synthetic colour domains to > 90 % held-out accuracy', async () => {
    const before = tf.memory().numTensors;
    const model = await trainDomainClassifier(trainA, trainB, { epochs: 6, seed: 0, batchSize: 16 });
    const accA = domainAccuracy(model, testA, 'A');
    const accB = domainAccuracy(model, testB, 'B');
    expect(accA).toBeGreaterThan(0.9);
    expect(accB).toBeGreaterThan(0.9);
    // Real B images are not accepted as A.
    expect(domainAccuracy(model, testB, 'A')).toBeLessThan(0.1);
    const five = tf.slice(testA, 0, 5);
    expect(domainProbabilities(model, five)).toHaveLength(5);
    five.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  // Seed 0 included: tfjs' normal initialisers alone would treat it as "no seed".
  it.each([0, 3])('is reproducible for seed %i', async (seed) => {
    const before = tf.memory().numTensors;
    const m1 = await trainDomainClassifier(trainA, trainB, { epochs: 1, seed });
    const m2 = await trainDomainClassifier(trainA, trainB, { epochs: 1, seed });
    const p1 = domainProbabilities(m1, testA);
    const p2 = domainProbabilities(m2, testA);
    expect(p1).toEqual(p2);
    m1.dispose();
    m2.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
