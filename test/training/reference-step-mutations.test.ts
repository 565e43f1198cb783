import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { UGATITTrainer } from '../../src';
import { useBackend } from '../helpers/backends';
import { boundViolations, GOLDEN_BOUNDS } from '../helpers/golden-bounds';
import { compareTrainingWithReference, readTrainingFixture } from '../helpers/reference-training';
import type { TrainingFixtureName } from '../helpers/reference-training';

// The golden training tests must fail for the bugs an outside review injected into the trainer
// and saw pass the earlier bounds. Each bug is put into a live trainer here, and the comparison
// with the official values must break the bounds those tests hold.

/** Makes the generator optimiser skip every AdaLIN/ILN ρ, γ and β at the trainer's second step. */
function skipNormUpdatesAtStep2(trainer: UGATITTrainer): void {
  const optimizer = (trainer as unknown as { gOptimizer: { applyGradients(g: tf.NamedTensorMap): void } }).gOptimizer;
  const norms = new Set([trainer.networks.genA2B, trainer.networks.genB2A].flatMap((g) => g.weights)
    .filter((w) => /_norm\/(rho|gamma|beta)$/.test(w.originalName)).map((w) => (w.read() as tf.Variable).name));
  const apply = optimizer.applyGradients.bind(optimizer);
  optimizer.applyGradients = (grads) => apply(trainer.iteration === 1 ? Object.fromEntries(Object.entries(grads).filter(([k]) => !norms.has(k))) : grads);
}

const MUTATIONS: Array<[string, TrainingFixtureName, (t: UGATITTrainer) => void]> = [
  ['cycle and identity weights swapped', 'train-step-full', (t) => {
    const w = t.weights;
    [w.cycle, w.identity] = [w.identity, w.cycle];
  }],
  ['the adversarial weight ignored', 'train-step-full', (t) => { t.weights.adv = 1; }],
  ['step 2 skipping the Adam update of every AdaLIN/ILN ρ, γ, β', 'train-step', skipNormUpdatesAtStep2],
];

describe('the golden training tests catch injected trainer bugs (wasm)', () => {
  beforeAll(() => useBackend('wasm'));

  it.each(MUTATIONS)('%s', { timeout: 600_000 }, async (_, name, mutate) => {
    const fixture = readTrainingFixture(name);
    const steps = await compareTrainingWithReference(fixture, mutate);
    tf.dispose(Object.values(fixture.tensors));
    const violations = steps.flatMap((s, i) => boundViolations(s, GOLDEN_BOUNDS[name].wasm[i]!));
    expect(violations.length, 'the bounds of the golden test were not broken').toBeGreaterThan(0);
  });

});
