import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, beforeEach, expect, it } from 'vitest';

import { UGATITConfigError } from '../../src/errors';
import { TorchAdam } from '../../src/training';
import { describeEachBackend, useBackend } from '../helpers/backends';

/**
 * PyTorch 1.13 `torch.optim.Adam` (`_single_tensor_adam`), written out in float64 for one
 * parameter tensor. Inputs are rounded to float32 first so both sides start from the same values.
 */
function referenceAdam(
  p0: number[],
  grads: number[][],
  lrs: number[],
  { betas = [0.5, 0.999], eps = 1e-8, weightDecay = 0 } = {},
): { p: number[]; m: number[]; v: number[] }[] {
  const [b1, b2] = betas;
  const p = p0.map(Math.fround);
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  const history: { p: number[]; m: number[]; v: number[] }[] = [];
  grads.forEach((grad, k) => {
    const t = k + 1;
    for (let i = 0; i < p.length; i++) {
      const g = Math.fround(grad[i]) + weightDecay * p[i];
      m[i] = b1 * m[i] + (1 - b1) * g;
      v[i] = b2 * v[i] + (1 - b2) * g * g;
      const bc1 = 1 - b1 ** t;
      const bc2 = 1 - b2 ** t;
      const stepSize = lrs[k] / bc1;
      const denom = Math.sqrt(v[i]) / Math.sqrt(bc2) + eps;
      p[i] -= (stepSize * m[i]) / denom;
    }
    history.push({ p: [...p], m: [...m], v: [...v] });
  });
  return history;
}

function expectRelClose(got: ArrayLike<number>, expected: number[], rel: number): void {
  expect(got.length).toBe(expected.length);
  expected.forEach((e, i) => {
    const err = Math.abs(got[i] - e);
    if (err > rel * Math.abs(e)) {
      throw new Error(`element ${i}: got ${got[i]}, expected ${e} (relative ${err / Math.abs(e)})`);
    }
  });
}

const P0 = [0.5, -1.25, 2.0, 0.75, -0.3, 1.5];
const GRADS = [
  [0.1, -0.2, 0.3, -0.4, 0.05, 1.5],
  [-0.3, 0.25, 0.1, -0.05, 0.2, -2.0],
  [0.2, 0.1, -0.4, 0.3, -0.15, 0.5],
];

let counter = 0;
const newVariable = (values: number[], shape: number[] = [2, 3]): tf.Variable =>
  tf.tidy(() => tf.variable(tf.tensor(values, shape), true, `adam_test_${counter++}`));

describeEachBackend('TorchAdam on %s', (backend) => {
  let baseline = 0;
  beforeAll(async () => {
    await useBackend(backend);
  });
  beforeEach(() => {
    baseline = tf.memory().numTensors;
  });
  afterEach(() => {
    expect(tf.memory().numTensors).toBe(baseline);
  });

  /** Runs the steps on a fresh variable; returns p, m and v after each. */
  function runSteps(lrs: number[], args: ConstructorParameters<typeof TorchAdam>[1] = {}) {
    const variable = newVariable(P0);
    const opt = new TorchAdam([variable], { ...args, lr: lrs[0] });
    const history = GRADS.map((grad, k) => {
      opt.lr = lrs[k];
      const g = tf.tensor(grad, [2, 3]);
      opt.applyGradients({ [variable.name]: g });
      g.dispose();
      const state = opt.getState();
      expect(state.steps).toEqual({ [variable.name]: k + 1 });
      const out = {
        p: Array.from(variable.dataSync()),
        m: Array.from(state.expAvg[variable.name].dataSync()),
        v: Array.from(state.expAvgSq[variable.name].dataSync()),
      };
      tf.dispose([state.expAvg, state.expAvgSq]);
      return out;
    });
    opt.dispose();
    variable.dispose();
    return history;
  }

  function expectMatchesReference(
    lrs: number[],
    args: { betas?: [number, number]; eps?: number; weightDecay?: number } = {},
  ) {
    const got = runSteps(lrs, args);
    const expected = referenceAdam(P0, GRADS, lrs, args);
    for (let k = 0; k < GRADS.length; k++) {
      expectRelClose(got[k].p, expected[k].p, 1e-6);
      expectRelClose(got[k].m, expected[k].m, 1e-6);
      expectRelClose(got[k].v, expected[k].v, 1e-6);
    }
    return got;
  }

  it('three steps match PyTorch Adam written in float64', () => {
    // A large lr so that the update, not the rounding of p, dominates the comparison.
    expectMatchesReference([0.05, 0.05, 0.05]);
  });

  it('with the default lr 1e-4 and eps 1e-8', () => {
    expectMatchesReference([1e-4, 1e-4, 1e-4]);
  });

  it('with coupled weight decay and other betas', () => {
    expectMatchesReference([0.05, 0.05, 0.05], { weightDecay: 0.1, betas: [0.9, 0.99] });
  });

  it('with the lr changed between steps', () => {
    expectMatchesReference([0.05, 0.01, 0.2], { weightDecay: 1e-4 });
  });

  it('with eps large enough to matter', () => {
    expectMatchesReference([0.05, 0.05, 0.05], { eps: 0.1 });
  });

  it('keeps a step counter per variable and accepts a Map of gradients', () => {
    const a = newVariable(P0);
    const b = newVariable(P0);
    const opt = new TorchAdam([a, b], { lr: 0.05 });
    for (let k = 0; k < 3; k++) {
      const ga = tf.tensor(GRADS[k], [2, 3]);
      const grads = new Map<tf.Variable, tf.Tensor>([[a, ga]]);
      const gb = k === 2 ? tf.tensor(GRADS[0], [2, 3]) : undefined;
      if (gb) grads.set(b, gb);
      opt.applyGradients(grads);
      tf.dispose([ga, gb ?? []]);
    }
    const state = opt.getState();
    expect(state.steps).toEqual({ [a.name]: 3, [b.name]: 1 });
    // b received one gradient: its first step has t = 1 whatever a's count is.
    const [expectedB] = referenceAdam(P0, [GRADS[0]], [0.05]);
    expectRelClose(b.dataSync(), expectedB.p, 1e-6);
    expectRelClose(a.dataSync(), referenceAdam(P0, GRADS, [0.05, 0.05, 0.05])[2].p, 1e-6);
    tf.dispose([state.expAvg, state.expAvgSq]);
    opt.dispose();
    tf.dispose([a, b]);
  });

  it('leaves a variable without a gradient untouched and without state', () => {
    const a = newVariable(P0);
    const b = newVariable(P0);
    const opt = new TorchAdam([a, b]);
    const g = tf.tensor(GRADS[0], [2, 3]);
    opt.applyGradients({ [a.name]: g });
    expect(Array.from(b.dataSync())).toEqual(P0.map(Math.fround));
    const state = opt.getState();
    expect(Object.keys(state.steps)).toEqual([a.name]);
    tf.dispose([g, state.expAvg, state.expAvgSq, a, b]);
    opt.dispose();
  });

  it('state survives getState → JSON and arrays → setState on a new optimiser', () => {
    const variable = newVariable(P0);
    const opt = new TorchAdam([variable], { lr: 0.05, weightDecay: 1e-2 });
    for (const grad of GRADS.slice(0, 2)) {
      const g = tf.tensor(grad, [2, 3]);
      opt.applyGradients({ [variable.name]: g });
      g.dispose();
    }
    // Serialise as a checkpoint would: JSON for the counts, raw float32 for the moments.
    const state = opt.getState();
    const saved = {
      steps: JSON.stringify(state.steps),
      expAvg: Object.fromEntries(
        Object.entries(state.expAvg).map(([k, t]) => [k, Float32Array.from(t.dataSync())]),
      ),
      expAvgSq: Object.fromEntries(
        Object.entries(state.expAvgSq).map(([k, t]) => [k, Float32Array.from(t.dataSync())]),
      ),
    };
    tf.dispose([state.expAvg, state.expAvgSq]);
    const pBefore = Float32Array.from(variable.dataSync());

    const g = tf.tensor(GRADS[2], [2, 3]);
    opt.applyGradients({ [variable.name]: g });
    const continued = Float32Array.from(variable.dataSync());
    opt.dispose();

    tf.tidy(() => variable.assign(tf.tensor(pBefore, [2, 3])));
    const resumed = new TorchAdam([variable], { lr: 0.05, weightDecay: 1e-2 });
    const loaded = {
      steps: JSON.parse(saved.steps) as Record<string, number>,
      expAvg: { [variable.name]: tf.tensor(saved.expAvg[variable.name], [2, 3]) },
      expAvgSq: { [variable.name]: tf.tensor(saved.expAvgSq[variable.name], [2, 3]) },
    };
    resumed.setState(loaded);
    tf.dispose([loaded.expAvg, loaded.expAvgSq]); // setState copies
    resumed.applyGradients({ [variable.name]: g });
    expect(Array.from(variable.dataSync())).toEqual(Array.from(continued));
    const after = resumed.getState();
    expect(after.steps).toEqual({ [variable.name]: 3 });
    tf.dispose([g, after.expAvg, after.expAvgSq, variable]);
    resumed.dispose();
  });

  it('leaks no tensors: two flat moment buffers for variables stepped together, stable across steps, freed by dispose', () => {
    const a = newVariable(P0);
    const b = newVariable([1, 2, 3], [3]);
    const withVariables = tf.memory().numTensors;
    const opt = new TorchAdam([a, b], { weightDecay: 1e-4 });
    const ga = tf.tensor(GRADS[0], [2, 3]);
    const gb = tf.tensor([0.1, 0.2, 0.3]);
    const step = () => opt.applyGradients({ [a.name]: ga, [b.name]: gb });
    step();
    const afterFirst = tf.memory().numTensors;
    expect(afterFirst).toBe(withVariables + 2 + 2);
    for (let k = 0; k < 5; k++) step();
    expect(tf.memory().numTensors).toBe(afterFirst);
    const state = opt.getState();
    opt.setState(state);
    tf.dispose([state.expAvg, state.expAvgSq]);
    expect(tf.memory().numTensors).toBe(afterFirst);
    opt.dispose();
    expect(tf.memory().numTensors).toBe(withVariables + 2);
    tf.dispose([ga, gb, a, b]);
  });

  it('rejects bad options, unknown variables and wrong shapes with the value received', () => {
    const v = newVariable(P0);
    expect(() => new TorchAdam([v], { lr: -1 })).toThrow(/lr must be a finite number >= 0, received -1/);
    expect(() => new TorchAdam([v], { betas: [0.5, 1] })).toThrow(/betas\[1\] must be in \[0, 1\), received 1/);
    expect(() => new TorchAdam([v, v])).toThrow(/listed twice/);
    const opt = new TorchAdam([v]);
    expect(() => {
      opt.lr = Number.NaN;
    }).toThrow(UGATITConfigError);
    const wrong = tf.zeros([3, 2]);
    expect(() => opt.applyGradients({ [v.name]: wrong })).toThrow(
      /gradient of '.*' has shape \[3,2\], variable has \[2,3\]/,
    );
    expect(() => opt.applyGradients({ nope: wrong })).toThrow(/unknown variable 'nope'/);
    expect(() =>
      opt.setState({ steps: { [v.name]: 1 }, expAvg: { [v.name]: wrong }, expAvgSq: {} }),
    ).toThrow(/expAvg of '.*' must have shape \[2,3\], received \[3,2\]/);
    expect(() => opt.setState({ steps: { [v.name]: 0 }, expAvg: {}, expAvgSq: {} })).toThrow(
      /must be an integer >= 1, received 0/,
    );
    expect(Array.from(v.dataSync())).toEqual(P0.map(Math.fround));
    tf.dispose([wrong, v]);
    opt.dispose();
  });
});
