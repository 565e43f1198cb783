import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { UGATITConfigError } from '../errors';
import { standardize } from './standardize';
import type { LayerArgs } from './tfjs-internals';

/**
 * Normalises each channel of each image over its spatial positions (PyTorch
 * `nn.InstanceNorm2d`: biased variance), then scales by `gamma` and shifts by `beta` when
 * given (TensorFlow's `tf.contrib.layers.instance_norm` with `scale` and `center`).
 *
 * @param x - `[N, H, W, C]`.
 * @param eps - added to the variance. Default 1e-5.
 * @param gamma - per-channel scale `[C]`, or none.
 * @param beta - per-channel shift `[C]`, or none.
 * @returns `[N, H, W, C]`.
 * @example
 * ```ts
 * const y = instanceNormalize(tf.randomNormal([2, 16, 16, 8]));
 * ```
 */
export function instanceNormalize(x: tf.Tensor4D, eps = 1e-5, gamma?: tf.Tensor1D, beta?: tf.Tensor1D): tf.Tensor4D {
  if (!gamma && !beta) return standardize(x, [1, 2], eps, false);
  return tf.tidy(() => {
    let y: tf.Tensor = standardize(x, [1, 2], eps, false);
    if (gamma) y = tf.mul(y, gamma);
    if (beta) y = tf.add(y, beta);
    return y as tf.Tensor4D;
  });
}

/** Arguments of {@link InstanceNorm}. */
export interface InstanceNormArgs extends LayerArgs {
  /** Added to the variance. Default 1e-5. */
  epsilon?: number;
  /**
   * Learn a per-channel scale γ (init 1), as TensorFlow's `instance_norm(scale=True)` in the
   * TensorFlow reference generator; PyTorch's `InstanceNorm2d` there has none. Default false.
   */
  scale?: boolean;
  /** Learn a per-channel shift β (init 0), as TensorFlow's `instance_norm(center=True)`. Default false. */
  center?: boolean;
}

/**
 * Instance normalisation, by default without learned parameters, as the PyTorch reference
 * generator's `nn.InstanceNorm2d(C)` (biased variance, eps 1e-5); with `scale` and `center`,
 * the TensorFlow reference's affine instance norm (weights `gamma`, `beta`).
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
  /** Whether a per-channel scale γ is learned. */
  readonly scale: boolean;
  /** Whether a per-channel shift β is learned. */
  readonly center: boolean;
  private gamma?: tfl.LayerVariable;
  private beta?: tfl.LayerVariable;

  constructor(args: InstanceNormArgs = {}) {
    super(args);
    this.epsilon = args.epsilon ?? 1e-5;
    this.scale = args.scale ?? false;
    this.center = args.center ?? false;
    if (!(this.epsilon > 0)) throw new UGATITConfigError(`InstanceNorm: epsilon must be positive, received ${args.epsilon}`);
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const channels = shape[3];
    if ((this.scale || this.center) && channels == null) {
      throw new UGATITConfigError(`InstanceNorm: the channel axis must be known, received shape [${shape}]`);
    }
    if (this.scale) this.gamma = this.addWeight('gamma', [channels!], 'float32', tfl.initializers.ones());
    if (this.center) this.beta = this.addWeight('beta', [channels!], 'float32', tfl.initializers.zeros());
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return instanceNormalize(x as tf.Tensor4D, this.epsilon, this.gamma?.read() as tf.Tensor1D | undefined,
      this.beta?.read() as tf.Tensor1D | undefined);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon, scale: this.scale, center: this.center };
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
