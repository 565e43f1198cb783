import * as tf from '@tensorflow/tfjs-core';

import { UGATITConfigError } from '../errors';

/** Options of {@link TorchAdam}; the defaults are U-GAT-IT's, not PyTorch's. */
export interface TorchAdamArgs {
  /** Learning rate, ≥ 0. Default 1e-4. Mutable later through {@link TorchAdam.lr}. */
  lr?: number;
  /** Decay rates of the first and second moment estimates, each in [0, 1). Default [0.5, 0.999]. */
  betas?: readonly [number, number];
  /** Added to the denominator, ≥ 0. Default 1e-8 (PyTorch's; tfjs's Adam uses 1e-7). */
  eps?: number;
  /** Coupled L2 penalty (added to the gradient, not AdamW's decoupled decay), ≥ 0. Default 0. */
  weightDecay?: number;
}

/**
 * A snapshot of {@link TorchAdam}'s per-variable state, keyed by variable name. Variables that
 * have never been stepped are absent (PyTorch creates state lazily at the first update).
 * `steps` is JSON; the tensors can be written with `writeSafetensors`.
 */
export interface TorchAdamState {
  /** Updates applied to each variable so far (PyTorch `state[p]['step']`). */
  steps: Record<string, number>;
  /** First moment estimates (PyTorch `exp_avg`), float32, shaped like their variables. */
  expAvg: tf.NamedTensorMap;
  /** Second moment estimates (PyTorch `exp_avg_sq`), float32, shaped like their variables. */
  expAvgSq: tf.NamedTensorMap;
}

/**
 * Variables updated together: their moments live in two flat buffers (concatenated in `names`
 * order), so one update is a dozen kernels whatever the number of variables. All members share
 * a step count, which the bias corrections need.
 */
interface Group {
  names: string[];
  sizes: number[];
  step: number;
  expAvg: tf.Tensor1D;
  expAvgSq: tf.Tensor1D;
}

function checkNonNegative(what: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new UGATITConfigError(
      `TorchAdam: ${what} must be a finite number >= 0, received ${String(value)}`,
    );
  }
}

/**
 * Adam with the exact update of PyTorch 1.13's `torch.optim.Adam` (single-tensor path, no
 * amsgrad), over an explicit list of variables. For each variable with a gradient, at its own
 * step t:
 *
 * ```
 * g = grad + weightDecay·p
 * m = β1·m + (1 − β1)·g
 * v = β2·v + (1 − β2)·g·g
 * p = p − (lr / (1 − β1^t)) · m / (sqrt(v) / sqrt(1 − β2^t) + eps)
 * ```
 *
 * The scalar factors are computed in float64 JS numbers and rounded to float32 once, as
 * PyTorch does with Python floats. Variables at the same step are updated together over
 * concatenated buffers (a dozen kernels per step instead of a dozen per variable); the
 * arithmetic per element is the same. tfjs's own `AdamOptimizer` differs: eps 1e-7 by default,
 * eps added outside the bias correction, one shared step counter and no weight decay.
 *
 * Gradients passed to {@link TorchAdam.applyGradients} stay owned by the caller.
 *
 * @example
 * ```ts
 * const opt = new TorchAdam(discriminatorVariables, { weightDecay: 1e-4 });
 * const { value, grads } = tf.variableGrads(() => dLoss(), discriminatorVariables);
 * opt.applyGradients(grads);
 * tf.dispose([value, grads]);
 * opt.lr = 5e-5; // linear decay
 * ```
 */
export class TorchAdam {
  private readonly variablesByName = new Map<string, tf.Variable>();
  private groups: Group[] = [];
  private lrValue: number;
  /** Decay rates of the first and second moments. */
  readonly betas: readonly [number, number];
  /** Denominator term. */
  readonly eps: number;
  /** Coupled L2 penalty. */
  readonly weightDecay: number;

  /**
   * @param variables - The float32 variables to optimise; their names must be distinct.
   * @param args - See {@link TorchAdamArgs}.
   * @throws {@link UGATITConfigError} on a duplicated name, a non-float32 variable or an
   *   out-of-range option.
   */
  constructor(variables: readonly tf.Variable[], args: TorchAdamArgs = {}) {
    const { lr = 1e-4, betas = [0.5, 0.999], eps = 1e-8, weightDecay = 0 } = args;
    checkNonNegative('lr', lr);
    checkNonNegative('eps', eps);
    checkNonNegative('weightDecay', weightDecay);
    betas.forEach((beta, i) => {
      if (typeof beta !== 'number' || !(beta >= 0 && beta < 1)) {
        throw new UGATITConfigError(`TorchAdam: betas[${i}] must be in [0, 1), received ${beta}`);
      }
    });
    for (const variable of variables) {
      if (this.variablesByName.has(variable.name)) {
        throw new UGATITConfigError(`TorchAdam: variable '${variable.name}' is listed twice`);
      }
      if (variable.dtype !== 'float32') {
        throw new UGATITConfigError(
          `TorchAdam: variable '${variable.name}' must be float32, received ${variable.dtype}`,
        );
      }
      this.variablesByName.set(variable.name, variable);
    }
    this.lrValue = lr;
    this.betas = [betas[0], betas[1]];
    this.eps = eps;
    this.weightDecay = weightDecay;
  }

  /** Learning rate of the next update; assign to decay it. */
  get lr(): number {
    return this.lrValue;
  }

  /** Sets the learning rate of the next update (≥ 0). */
  set lr(value: number) {
    checkNonNegative('lr', value);
    this.lrValue = value;
  }

  /** The optimised variables, in construction order. */
  get variables(): tf.Variable[] {
    return [...this.variablesByName.values()];
  }

  /**
   * Applies one update to every variable that has a gradient; the others are untouched and
   * their step counters do not advance (PyTorch skips parameters whose `grad` is `None`).
   *
   * @param grads - Gradients keyed by variable name (as `tf.variableGrads` returns them) or by
   *   variable; each shaped like its variable. Not disposed.
   * @throws {@link UGATITConfigError} for a gradient of a variable this optimiser does not
   *   hold or of the wrong shape; nothing is updated then.
   */
  applyGradients(grads: tf.NamedTensorMap | Map<tf.Variable, tf.Tensor>): void {
    const entries: Array<[tf.Variable, tf.Tensor]> = [];
    const pairs: Array<[string, tf.Tensor]> =
      grads instanceof Map
        ? [...grads].map(([variable, grad]) => [variable.name, grad])
        : Object.entries(grads);
    for (const [name, grad] of pairs) {
      const variable = this.variablesByName.get(name);
      if (variable === undefined) {
        throw new UGATITConfigError(`TorchAdam: got a gradient for unknown variable '${name}'`);
      }
      if (!tf.util.arraysEqual(grad.shape, variable.shape)) {
        throw new UGATITConfigError(
          `TorchAdam: gradient of '${name}' has shape [${grad.shape}], ` +
            `variable has [${variable.shape}]`,
        );
      }
      entries.push([variable, grad]);
    }

    const given = new Map(entries.map(([variable, grad]) => [variable.name, grad]));
    for (const group of this.regroup(new Set(given.keys()))) this.update(group, given);
  }

  /**
   * The groups to update for this set of variables: whole groups whose members all have a
   * gradient are kept; a group only partly present is split up (its absent members keep their
   * state); variables without state form new groups; then groups at the same step are merged,
   * so that after the first update a steady training loop has one group per optimiser.
   */
  private regroup(present: Set<string>): Group[] {
    const kept: Group[] = [];
    const active: Group[] = [];
    for (const group of this.groups) {
      const hits = group.names.filter((n) => present.has(n));
      if (hits.length === group.names.length) active.push(group);
      else if (hits.length === 0) kept.push(group);
      else {
        for (const piece of this.split(group)) (present.has(piece.names[0]!) ? active : kept).push(piece);
      }
    }
    const known = new Set(this.groups.flatMap((g) => g.names));
    const fresh = [...present].filter((n) => !known.has(n));
    if (fresh.length > 0) {
      active.push(tf.tidy(() => {
        const sizes = fresh.map((n) => this.variablesByName.get(n)!.size);
        const total = sizes.reduce((a, b) => a + b, 0);
        return { names: fresh, sizes, step: 0, expAvg: tf.zeros([total]) as tf.Tensor1D, expAvgSq: tf.zeros([total]) as tf.Tensor1D };
      }));
    }
    const merged = this.mergeByStep(active);
    this.groups = [...kept, ...merged];
    return merged;
  }

  /** Groups at the same step concatenated into one (the inputs' buffers are disposed). */
  private mergeByStep(groups: Group[]): Group[] {
    const byStep = new Map<number, Group>();
    for (const group of groups) {
      const other = byStep.get(group.step);
      byStep.set(group.step, other ? this.merge(other, group) : group);
    }
    return [...byStep.values()];
  }

  private update(group: Group, grads: Map<string, tf.Tensor>): void {
    const [beta1, beta2] = this.betas;
    const { eps, weightDecay } = this;
    const step = group.step + 1;
    const biasCorrection1 = 1 - beta1 ** step;
    const biasCorrection2Sqrt = Math.sqrt(1 - beta2 ** step);
    const stepSize = this.lrValue / biasCorrection1;
    const variables = group.names.map((n) => this.variablesByName.get(n)!);
    const next = tf.tidy(() => {
      const flat = (ts: tf.Tensor[]) => (ts.length === 1 ? tf.reshape(ts[0]!, [-1]) : tf.concat(ts.map((t) => tf.reshape(t, [-1]))));
      const params = flat(variables);
      const raw = flat(group.names.map((n) => grads.get(n)!));
      const grad = weightDecay !== 0 ? tf.add(raw, tf.mul(params, weightDecay)) : raw;
      const expAvg = tf.add(tf.mul(group.expAvg, beta1), tf.mul(grad, 1 - beta1));
      const expAvgSq = tf.add(tf.mul(group.expAvgSq, beta2), tf.mul(tf.mul(grad, 1 - beta2), grad));
      const denom = tf.add(tf.div(tf.sqrt(expAvgSq), biasCorrection2Sqrt), eps);
      const updated = tf.sub(params, tf.div(tf.mul(expAvg, stepSize), denom));
      const pieces = variables.length === 1 ? [updated] : tf.split(updated, group.sizes);
      pieces.forEach((piece, i) => variables[i]!.assign(tf.reshape(piece, variables[i]!.shape)));
      return { expAvg, expAvgSq };
    });
    tf.dispose([group.expAvg, group.expAvgSq]);
    Object.assign(group, { step, expAvg: next.expAvg, expAvgSq: next.expAvgSq });
  }

  /** One group per member, each with its own moment tensors; disposes `group`'s buffers. */
  private split(group: Group): Group[] {
    const pieces = tf.tidy(() => {
      const m = tf.split(group.expAvg, group.sizes);
      const v = tf.split(group.expAvgSq, group.sizes);
      return group.names.map((name, i) => ({ name, size: group.sizes[i]!, expAvg: m[i] as tf.Tensor1D, expAvgSq: v[i] as tf.Tensor1D }));
    });
    tf.dispose([group.expAvg, group.expAvgSq]);
    return pieces.map((p) => ({ names: [p.name], sizes: [p.size], step: group.step, expAvg: p.expAvg, expAvgSq: p.expAvgSq }));
  }

  private merge(a: Group, b: Group): Group {
    const merged = tf.tidy(() => ({ expAvg: tf.concat([a.expAvg, b.expAvg]) as tf.Tensor1D, expAvgSq: tf.concat([a.expAvgSq, b.expAvgSq]) as tf.Tensor1D }));
    tf.dispose([a.expAvg, a.expAvgSq, b.expAvg, b.expAvgSq]);
    return { names: [...a.names, ...b.names], sizes: [...a.sizes, ...b.sizes], step: a.step, ...merged };
  }

  /**
   * A copy of the per-variable state, for checkpoints. The returned tensors belong to the
   * caller (dispose them when written).
   */
  getState(): TorchAdamState {
    const state: TorchAdamState = { steps: {}, expAvg: {}, expAvgSq: {} };
    for (const group of this.groups) {
      tf.tidy(() => {
        const m = group.names.length === 1 ? [group.expAvg] : tf.split(group.expAvg, group.sizes);
        const v = group.names.length === 1 ? [group.expAvgSq] : tf.split(group.expAvgSq, group.sizes);
        group.names.forEach((name, i) => {
          const shape = this.variablesByName.get(name)!.shape;
          state.steps[name] = group.step;
          state.expAvg[name] = tf.keep(tf.reshape(m[i]!, shape));
          state.expAvgSq[name] = tf.keep(tf.reshape(v[i]!, shape));
        });
      });
    }
    return state;
  }

  /**
   * Replaces the whole per-variable state with a copy of `state` (from {@link getState},
   * possibly of another instance over variables of the same names). The caller keeps
   * ownership of `state`'s tensors. Variables absent from `state.steps` start afresh.
   *
   * @throws {@link UGATITConfigError} for an unknown name, a step count that is not a positive
   *   integer, or a missing or wrongly shaped moment; the current state is kept then.
   */
  setState(state: TorchAdamState): void {
    for (const [name, step] of Object.entries(state.steps)) {
      const variable = this.variablesByName.get(name);
      if (variable === undefined) {
        throw new UGATITConfigError(`TorchAdam.setState: unknown variable '${name}'`);
      }
      if (!Number.isInteger(step) || step < 1) {
        throw new UGATITConfigError(
          `TorchAdam.setState: step of '${name}' must be an integer >= 1, received ${step}`,
        );
      }
      for (const [what, moments] of [
        ['expAvg', state.expAvg],
        ['expAvgSq', state.expAvgSq],
      ] as const) {
        const moment = moments[name];
        if (moment === undefined || !tf.util.arraysEqual(moment.shape, variable.shape)) {
          throw new UGATITConfigError(
            `TorchAdam.setState: ${what} of '${name}' must have shape [${variable.shape}], ` +
              `received ${moment === undefined ? 'none' : `[${moment.shape}]`}`,
          );
        }
      }
    }
    this.disposeGroups();
    this.groups = this.mergeByStep(Object.entries(state.steps).map(([name, step]) => tf.tidy(() => ({
        names: [name], sizes: [this.variablesByName.get(name)!.size], step,
        expAvg: tf.reshape(tf.cast(state.expAvg[name]!, 'float32'), [-1]) as tf.Tensor1D,
        expAvgSq: tf.reshape(tf.cast(state.expAvgSq[name]!, 'float32'), [-1]) as tf.Tensor1D,
      }))));
  }

  /** Frees the moment estimates; the variables are left alone. */
  dispose(): void {
    this.disposeGroups();
  }

  private disposeGroups(): void {
    for (const group of this.groups) tf.dispose([group.expAvg, group.expAvgSq]);
    this.groups = [];
  }
}
