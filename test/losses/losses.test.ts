import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, beforeEach, expect, it } from 'vitest';

import {
  bceWithLogitsLoss,
  camDiscriminatorLoss,
  camGeneratorLoss,
  cycleLoss,
  identityLoss,
  l1Loss,
  lsganDiscriminatorLoss,
  lsganGeneratorLoss,
  mseLoss,
} from '../../src/losses';
import { UGATITConfigError } from '../../src/errors';
import { describeEachBackend, useBackend } from '../helpers/backends';

// Plain float64 references: the definitions, written out.
const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
const mse = (p: number[], t: number[]): number => mean(p.map((x, i) => (x - t[i]) ** 2));
const l1 = (a: number[], b: number[]): number => mean(a.map((x, i) => Math.abs(x - b[i])));
/** −t·log σ(x) − (1 − t)·log(1 − σ(x)), via log σ(x) = −log(1 + e^−x) in float64. */
const bce = (x: number[], t: number[]): number =>
  mean(
    x.map((xi, i) => {
      const logSig = -Math.log1p(Math.exp(-xi));
      const logOneMinusSig = -Math.log1p(Math.exp(xi));
      return -t[i] * logSig - (1 - t[i]) * logOneMinusSig;
    }),
  );
const fill = (n: number, v: number): number[] => new Array<number>(n).fill(v);

const P = [0.3, -1.2, 2.5, 0.0, -0.7, 1.1];
const Q = [1.0, 0.4, -0.5, 0.25, -0.7, 3.0];
const SHAPE: [number, number, number, number] = [1, 1, 2, 3];

function expectScalarClose(t: tf.Tensor, expected: number, rel = 1e-6): void {
  expect(t.shape).toEqual([]);
  const [got] = t.dataSync();
  expect(Math.abs(got - expected)).toBeLessThanOrEqual(rel * Math.max(Math.abs(expected), 1e-3));
}

describeEachBackend('losses on %s', (backend) => {
  let before = 0;
  beforeAll(async () => {
    await useBackend(backend);
  });
  beforeEach(() => {
    before = tf.memory().numTensors;
  });
  afterEach(() => {
    // Every test disposes what it made; a loss must leave nothing behind.
    expect(tf.memory().numTensors).toBe(before);
  });

  it('mseLoss is the mean squared difference, with a number or tensor target', () => {
    tf.tidy(() => {
      const p = tf.tensor4d(P, SHAPE);
      expectScalarClose(mseLoss(p, tf.tensor4d(Q, SHAPE)), mse(P, Q));
      expectScalarClose(mseLoss(p, 1), mse(P, fill(6, 1)));
      expectScalarClose(mseLoss(p, 0), mse(P, fill(6, 0)));
    });
  });

  it('l1Loss is the mean absolute difference', () => {
    tf.tidy(() => {
      expectScalarClose(l1Loss(tf.tensor4d(P, SHAPE), tf.tensor4d(Q, SHAPE)), l1(P, Q));
    });
  });

  it('bceWithLogitsLoss matches the definition for 0/1 and soft targets', () => {
    tf.tidy(() => {
      const x = tf.tensor2d(P, [6, 1]);
      expectScalarClose(bceWithLogitsLoss(x, 1), bce(P, fill(6, 1)));
      expectScalarClose(bceWithLogitsLoss(x, 0), bce(P, fill(6, 0)));
      const soft = [0.1, 0.9, 0.5, 0.3, 1, 0];
      expectScalarClose(bceWithLogitsLoss(x, tf.tensor2d(soft, [6, 1])), bce(P, soft));
    });
  });

  it('bceWithLogitsLoss is finite for logits of ±100, in value and gradient', () => {
    tf.tidy(() => {
      const xs = [100, -100, 100, -100];
      const x = tf.tensor1d(xs);
      for (const target of [0, 1]) {
        // Per element: 0 when the sign agrees with the target, 100 (+ e^−100) when it does not.
        const expected = mean(xs.map((v) => (target === 1 ? Math.max(-v, 0) : Math.max(v, 0))));
        expectScalarClose(bceWithLogitsLoss(x, target), expected);
        const grad = tf.grad((l: tf.Tensor) => bceWithLogitsLoss(l, target))(x);
        const g = Array.from(grad.dataSync());
        // (σ(x) − t) / n, exactly 0 or ±1/4 in float32.
        const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));
        g.forEach((gi, i) => {
          expect(Number.isFinite(gi)).toBe(true);
          expect(gi).toBeCloseTo((sigmoid(xs[i]) - target) / xs.length, 7);
        });
      }
    });
  });

  it("bceWithLogitsLoss's gradient is PyTorch's (σ(x) − t)/n, also at x = 0", () => {
    tf.tidy(() => {
      const xs = [0, 0.5, -2, 0];
      const ts = [1, 0.25, 0, 0];
      const [gx, gt] = tf.grads((x: tf.Tensor, t: tf.Tensor) => bceWithLogitsLoss(x, t))([
        tf.tensor1d(xs),
        tf.tensor1d(ts),
      ]);
      const n = xs.length;
      const expectedGx = xs.map((x, i) => (1 / (1 + Math.exp(-x)) - ts[i]) / n);
      const expectedGt = xs.map((x) => -x / n);
      Array.from(gx.dataSync()).forEach((g, i) => expect(g).toBeCloseTo(expectedGx[i], 7));
      Array.from(gt.dataSync()).forEach((g, i) => expect(g).toBeCloseTo(expectedGt[i], 7));
    });
  });

  it('bceWithLogitsLoss rejects a target of another shape', () => {
    tf.tidy(() => {
      expect(() => bceWithLogitsLoss(tf.zeros([2, 1]), tf.zeros([2]))).toThrow(UGATITConfigError);
      expect(() => bceWithLogitsLoss(tf.zeros([2, 1]), tf.zeros([2]))).toThrow(
        /target shape \[2\] must equal logits shape \[2,1\]/,
      );
    });
  });

  it('LSGAN losses: D = MSE(real, 1) + MSE(fake, 0), G = MSE(fake, 1)', () => {
    tf.tidy(() => {
      const real = tf.tensor4d(P, SHAPE);
      const fake = tf.tensor4d(Q, SHAPE);
      expectScalarClose(
        lsganDiscriminatorLoss(real, fake),
        mse(P, fill(6, 1)) + mse(Q, fill(6, 0)),
      );
      expectScalarClose(lsganGeneratorLoss(fake), mse(Q, fill(6, 1)));
    });
  });

  it('CAM losses: G = BCE(fake, 1) + BCE(identity, 0); D = LSGAN on CAM logits', () => {
    tf.tidy(() => {
      const camFake = [2.0, -0.3];
      const camIdentity = [-1.5, 0.8];
      expectScalarClose(
        camGeneratorLoss(tf.tensor2d(camFake, [2, 1]), tf.tensor2d(camIdentity, [2, 1])),
        bce(camFake, [1, 1]) + bce(camIdentity, [0, 0]),
      );
      expectScalarClose(
        camDiscriminatorLoss(tf.tensor2d(camFake, [2, 1]), tf.tensor2d(camIdentity, [2, 1])),
        mse(camFake, [1, 1]) + mse(camIdentity, [0, 0]),
      );
    });
  });

  it('cycle and identity losses are L1 means', () => {
    tf.tidy(() => {
      const a = tf.tensor4d(P, SHAPE);
      const b = tf.tensor4d(Q, SHAPE);
      expectScalarClose(cycleLoss(a, b), l1(P, Q));
      expectScalarClose(identityLoss(b, a), l1(Q, P));
    });
  });
});
