import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, expect, it } from 'vitest';
import { describeEachBackend, useBackend } from '../helpers/backends';
import { boundViolations, GOLDEN_BOUNDS } from '../helpers/golden-bounds';
import { compareTrainingWithReference, readTrainingFixture, TRAINING_FIXTURES } from '../helpers/reference-training';
import type { TrainingFixture } from '../helpers/reference-training';

// train-step: light generator, the reference's default loss weights, two steps.
// train-step-full: full generator (flattening FC), weights 1.5/8/4/800, lr decay at step 3,
// Adam moments after step 3. Both recorded with the official PyTorch UGATIT.train().
describeEachBackend('the official training iterations on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it.each(TRAINING_FIXTURES)('%s: every loss term, gradient, parameter, buffer and Adam moment', { timeout: 900_000 }, async (name) => {
    const fixture: TrainingFixture = readTrainingFixture(name);
    const before = tf.memory().numTensors;
    const steps = await compareTrainingWithReference(fixture);
    expect(tf.memory().numTensors, 'tensors leaked by the comparison').toBe(before);
    tf.dispose(Object.values(fixture.tensors));
    expect(steps.map((s) => s.step)).toEqual(Array.from({ length: fixture.config.steps }, (_, i) => i + 1));
    const bounds = GOLDEN_BOUNDS[name][backend];
    expect(steps.flatMap((s, i) => boundViolations(s, bounds[i]!))).toEqual([]);
  });
});

