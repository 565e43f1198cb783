import * as tf from '@tensorflow/tfjs-core';
import { ConstraintBase } from './tfjs-internals';
import { UGATITConfigError } from '../errors';

/** Arguments of {@link ClipConstraint}. */
export interface ClipConstraintArgs {
  /** Lower bound. Default 0. */
  min?: number;
  /** Upper bound. Default 1. */
  max?: number;
}

/**
 * Clips a weight element-wise into [min, max]: the reference's `RhoClipper` for the ρ of
 * AdaLIN and ILN. tfjs-layers applies constraints in neither `fit` nor
 * `optimizer.minimize`, so the trainer calls {@link clipRhoWeights} after every step;
 * the constraint documents the invariant and serialises with the layer.
 *
 * @example
 * ```ts
 * const clipped = new ClipConstraint({ min: 0, max: 1 }).apply(tf.tensor1d([-0.5, 0.3, 1.2])); // [0, 0.3, 1]
 * ```
 */
export class ClipConstraint extends ConstraintBase {
  /**
   * Name of the class in saved models (`model.json`); prefixed so it never shadows a tfjs built-in.
   * @nocollapse
   */
  static className = 'UgatitClip';
  /** Lower bound. */
  readonly min: number;
  /** Upper bound. */
  readonly max: number;

  constructor(args: ClipConstraintArgs = {}) {
    super();
    this.min = args.min ?? 0;
    this.max = args.max ?? 1;
    if (!(this.min <= this.max)) {
      throw new UGATITConfigError(`ClipConstraint: min must not exceed max, received min ${this.min} and max ${this.max}`);
    }
  }

  /** Returns `w` clipped to [min, max]. */
  apply(w: tf.Tensor): tf.Tensor {
    return tf.clipByValue(w, this.min, this.max);
  }

  /** The constructor arguments, for serialisation. */
  override getConfig(): tf.serialization.ConfigDict {
    return { min: this.min, max: this.max };
  }
}
tf.serialization.registerClass(ClipConstraint);
