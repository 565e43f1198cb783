import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachBackend, useBackend } from '../helpers/backends';
import { twoSampleTest } from '../../src/metrics/two-sample';

/**
 * Noisy images around one colour: `colour` is RGB in [-1, 1], `noise` the standard deviation
 * of the per-pixel noise. Two sets with the same colour come from one distribution.
 */
function colourSet(n: number, colour: [number, number, number], seed: number, size = 16): tf.Tensor4D {
  return tf.tidy(() => {
    const noise = tf.randomNormal([n, size, size, 3], 0, 0.3, 'float32', seed);
    return tf.clipByValue(tf.add(noise, tf.tensor(colour, [1, 1, 1, 3])), -1, 1) as tf.Tensor4D;
  });
}

describeEachBackend('two-sample test on %s', (backend) => {
  let grey1: tf.Tensor4D;
  let grey2: tf.Tensor4D;
  let reddish: tf.Tensor4D;
  beforeAll(async () => {
    await useBackend(backend);
    grey1 = colourSet(40, [0, 0, 0], 1);
    grey2 = colourSet(40, [0, 0, 0], 2);
    reddish = colourSet(32, [0.5, -0.2, -0.2], 3);
  });
  afterAll(() => tf.dispose([grey1, grey2, reddish]));

  it('separates two different sets (held-out accuracy near 100%) and leaks no tensors', async () => {
    const before = tf.memory().numTensors;
    const r = await twoSampleTest(grey1, reddish, { epochs: 6, batchSize: 8, seed: 0 });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.accuracy).toBeGreaterThan(0.9);
    expect(r.heldOutCounts).toEqual({ x: 10, y: 8 });
    expect(r.trainCounts).toEqual({ x: 30, y: 24 });
    expect(r.accuracy).toBeCloseTo((r.accuracyX * 10 + r.accuracyY * 8) / 18, 12);
  });

  it('stays near chance for two samples of one distribution', async () => {
    const r = await twoSampleTest(grey1, grey2, { epochs: 6, batchSize: 8, seed: 0, heldOutFraction: 0.5 });
    // 40 held-out images: chance is 0.5 with a standard error of about 0.08.
    expect(r.accuracy).toBeGreaterThan(0.25);
    expect(r.accuracy).toBeLessThan(0.75);
  });

  it('is reproducible for a seed', async () => {
    const a = await twoSampleTest(grey1, grey2, { epochs: 1, seed: 4 });
    const b = await twoSampleTest(grey1, grey2, { epochs: 1, seed: 4 });
    expect(b).toEqual(a);
  });

  it('names the bad value', async () => {
    const before = tf.memory().numTensors;
    await expect(twoSampleTest(grey1, grey2, { heldOutFraction: 1 })).rejects.toThrow(/heldOutFraction must be in \(0, 1\), received 1/);
    const two = tf.slice(grey1, 0, 1);
    await expect(twoSampleTest(two, grey2)).rejects.toThrow(/1 and 40 images leave no image/);
    two.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
