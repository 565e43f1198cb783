import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { UgatitConfigError } from '../errors';
import { standardize } from './standardize';
import type { LayerArgs } from './tfjs-internals';

/**
 * Normalises each channel of each image over its spatial positions (PyTorch
 * `nn.InstanceNorm2d` without affine parameters: biased variance).
 *
 * @param x - `[N, H, W, C]`.
 * @param eps - added to the variance. Default 1e-5.
 * @returns `[N, H, W, C]`.
 * @example
 * ```ts
 * const y = instanceNormalize(tf.randomNormal([2, 16, 16, 8]));
 * ```
 */
export function instanceNormalize(x: tf.Tensor4D, eps = 1e-5): tf.Tensor4D {
  return standardize(x, [1, 2], eps, false);
}

/** Arguments of {@link InstanceNorm}. */
export interface InstanceNormArgs extends LayerArgs {
  /** Added to the variance. Default 1e-5. */
  epsilon?: number;
}

/**
 * Instance normalisation without learned parameters, as the reference generator's
 * `nn.InstanceNorm2d(C)` (biased variance, eps 1e-5).
 *
 * @example
 * ```ts
 * const y = instanceNorm({ name: 'stem_norm' }).apply(tf.input({ shape: [64, 64, 16] }));
 * ```
 */
export class InstanceNorm extends tfl.layers.Layer {
  /**
   * Name of the class in saved models (`model.json`); prefixed so it never shadows a tfjs built-in.
   * @nocollapse
   */
  static className = 'UgatitInstanceNorm';
  /** Added to the variance before the square root. */
  readonly epsilon: number;

  constructor(args: InstanceNormArgs = {}) {
    super(args);
    this.epsilon = args.epsilon ?? 1e-5;
    if (!(this.epsilon > 0)) throw new UgatitConfigError(`InstanceNorm: epsilon must be positive, received ${args.epsilon}`);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return instanceNormalize(x as tf.Tensor4D, this.epsilon);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon };
  }
}
tf.serialization.registerClass(InstanceNorm);

/**
 * Creates an {@link InstanceNorm} layer.
 *
 * @example
 * ```ts
 * const norm = instanceNorm({ name: 'down_1_norm' });
 * ```
 */
export function instanceNorm(args: InstanceNormArgs = {}): InstanceNorm {
  return new InstanceNorm(args);
}
