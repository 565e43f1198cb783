import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, expect, it } from 'vitest';

import {
  DEFAULT_LOSS_WEIGHTS,
  ugatitDiscriminatorObjective,
  ugatitGeneratorObjective,
  type AdversarialTerms,
  type DiscriminatorLossTerms,
  type GeneratorLossTerms,
} from '../../src/losses';
import { describeEachBackend, useBackend } from '../helpers/backends';

const adversarial = (g: number, gc: number, l: number, lc: number): AdversarialTerms => ({
  global: tf.scalar(g),
  globalCam: tf.scalar(gc),
  local: tf.scalar(l),
  localCam: tf.scalar(lc),
});

describeEachBackend('U-GAT-IT objectives on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('has the reference weights by default', () => {
    expect(DEFAULT_LOSS_WEIGHTS).toEqual({ adv: 1, cycle: 10, identity: 10, cam: 1000 });
    expect(Object.isFrozen(DEFAULT_LOSS_WEIGHTS)).toBe(true);
  });

  it('discriminator objective is adv × the sum of all its terms', () => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const terms: DiscriminatorLossTerms = {
        A: adversarial(0.5, 0.25, 0.125, 1),
        B: adversarial(2, 0.75, 0.3, 0.2),
      };
      const sum = 0.5 + 0.25 + 0.125 + 1 + 2 + 0.75 + 0.3 + 0.2;
      expect(ugatitDiscriminatorObjective(terms).dataSync()[0]).toBeCloseTo(sum, 5);
      expect(ugatitDiscriminatorObjective(terms, { adv: 3 }).dataSync()[0]).toBeCloseTo(
        3 * sum,
        5,
      );
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('generator objective weights adversarial, cycle, identity and CAM terms', () => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const terms: GeneratorLossTerms = {
        A: {
          adversarial: adversarial(0.9, 0.8, 0.7, 0.6),
          cycle: tf.scalar(0.11),
          identity: tf.scalar(0.05),
          cam: tf.scalar(0.002),
        },
        B: {
          adversarial: adversarial(1.1, 1.2, 0.4, 0.3),
          cycle: tf.scalar(0.13),
          identity: tf.scalar(0.07),
          cam: tf.scalar(0.003),
        },
      };
      const adv = 0.9 + 0.8 + 0.7 + 0.6 + 1.1 + 1.2 + 0.4 + 0.3;
      const expected = (w: { adv: number; cycle: number; identity: number; cam: number }) =>
        w.adv * adv + w.cycle * (0.11 + 0.13) + w.identity * (0.05 + 0.07) + w.cam * (0.002 + 0.003);
      const got = ugatitGeneratorObjective(terms).dataSync()[0];
      expect(got).toBeCloseTo(expected(DEFAULT_LOSS_WEIGHTS), 5);
      const custom = { adv: 2, cycle: 5, identity: 1, cam: 100 };
      expect(ugatitGeneratorObjective(terms, custom).dataSync()[0]).toBeCloseTo(
        expected(custom),
        5,
      );
      // A partial weight object keeps the other defaults.
      expect(ugatitGeneratorObjective(terms, { cam: 0 }).dataSync()[0]).toBeCloseTo(
        expected({ ...DEFAULT_LOSS_WEIGHTS, cam: 0 }),
        5,
      );
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects a negative or non-finite weight, naming it', () => {
    const terms: DiscriminatorLossTerms = tf.tidy(() => ({
      A: adversarial(0, 0, 0, 0),
      B: adversarial(0, 0, 0, 0),
    }));
    expect(() => ugatitDiscriminatorObjective(terms, { adv: -1 })).toThrow(
      /adv must be a finite number >= 0, received -1/,
    );
    expect(() => ugatitDiscriminatorObjective(terms, { adv: Number.NaN })).toThrow(/received NaN/);
    tf.dispose([terms.A, terms.B].flatMap((t) => Object.values(t)));
  });
});
