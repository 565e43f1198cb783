import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { UGATITConfigError } from '../errors';
import { ClipConstraint } from './clip-constraint';
import { instanceLayerMix } from './instance-layer-mix';
import { tidyWrites, type LayerArgs } from './tfjs-internals';

/**
 * Layer-Instance Normalisation with learned per-channel γ and β:
 * γ·(ρ·x̂_IN + (1−ρ)·x̂_LN) + β.
 *
 * @param x - `[N, H, W, C]`.
 * @param rho - `[C]`.
 * @param gamma - `[C]`.
 * @param beta - `[C]`.
 * @param eps - added to the variances. Default 1e-5.
 * @param unbiased - unbiased variances, as the PyTorch reference. Default true.
 * @returns `[N, H, W, C]`.
 * @example
 * ```ts
 * const y = layerInstanceNormalize(x, tf.zeros([16]), tf.ones([16]), tf.zeros([16]));
 * ```
 */
export function layerInstanceNormalize(
  x: tf.Tensor4D, rho: tf.Tensor1D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps = 1e-5, unbiased = true,
): tf.Tensor4D {
  return tf.tidy(() => tf.add(tf.mul(instanceLayerMix(x, rho, eps, unbiased), gamma), beta) as tf.Tensor4D);
}

/** Arguments of {@link LayerInstanceNorm}. */
export interface LayerInstanceNormArgs extends LayerArgs {
  /** Initial ρ of every channel, in [0, 1]. Default 0 (the reference). */
  rhoInit?: number;
  /** Added to the variances. Default 1e-5. */
  epsilon?: number;
  /** Unbiased (n − 1) variances as the PyTorch reference; false for weights trained by the TensorFlow reference. Default true. */
  unbiased?: boolean;
}

/**
 * Layer-instance normalisation (the paper's LIN, the official code's `ILN`), the generator's
 * up-sampling normalisation: learned ρ (constrained to [0, 1]), γ
 * (init 1) and β (init 0) per channel.
 *
 * @example
 * ```ts
 * const y = layerInstanceNorm({ name: 'up_1_norm' }).apply(tf.input({ shape: [64, 64, 32] }));
 * ```
 */
export class LayerInstanceNorm extends tfl.layers.Layer {
  /**
   * Name of the class in saved models (`model.json`); prefixed so it never shadows a tfjs built-in.
   * @nocollapse
   */
  // The name saved model.json files carry: it stays what the first releases wrote.
  static className = 'UgatitILN';
  /** Initial value of ρ, the instance/layer normalisation mix. */
  readonly rhoInit: number;
  /** Added to the variances before the square root. */
  readonly epsilon: number;
  /** Unbiased (n − 1) variances, as PyTorch's `torch.var` in the reference. */
  readonly unbiased: boolean;
  private rho?: tfl.LayerVariable;
  private gamma?: tfl.LayerVariable;
  private beta?: tfl.LayerVariable;

  constructor(args: LayerInstanceNormArgs = {}) {
    super(args);
    this.rhoInit = args.rhoInit ?? 0;
    this.epsilon = args.epsilon ?? 1e-5;
    this.unbiased = args.unbiased ?? true;
    if (!(this.rhoInit >= 0 && this.rhoInit <= 1)) throw new UGATITConfigError(`LayerInstanceNorm: rhoInit must be in [0, 1], received ${args.rhoInit}`);
    if (!(this.epsilon > 0)) throw new UGATITConfigError(`LayerInstanceNorm: epsilon must be positive, received ${args.epsilon}`);
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const channels = shape[3];
    if (channels == null) throw new UGATITConfigError(`LayerInstanceNorm: the channel axis must be known, received shape [${shape}]`);
    this.rho = tidyWrites(this.addWeight('rho', [channels], 'float32', tfl.initializers.constant({ value: this.rhoInit }),
      undefined, true, new ClipConstraint({ min: 0, max: 1 })));
    this.gamma = this.addWeight('gamma', [channels], 'float32', tfl.initializers.ones());
    this.beta = this.addWeight('beta', [channels], 'float32', tfl.initializers.zeros());
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return layerInstanceNormalize(x as tf.Tensor4D, this.rho!.read() as tf.Tensor1D, this.gamma!.read() as tf.Tensor1D,
      this.beta!.read() as tf.Tensor1D, this.epsilon, this.unbiased);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rhoInit: this.rhoInit, epsilon: this.epsilon, unbiased: this.unbiased };
  }
}
tf.serialization.registerClass(LayerInstanceNorm);

/**
 * Creates a {@link LayerInstanceNorm} layer.
 *
 * @example
 * ```ts
 * const norm = layerInstanceNorm({ name: 'up_2_norm' });
 * ```
 */
export function layerInstanceNorm(args: LayerInstanceNormArgs = {}): LayerInstanceNorm {
  return new LayerInstanceNorm(args);
}

// Deprecated spellings (docs/api.md lists every rename).

/** @deprecated Renamed {@link LayerInstanceNorm}; this alias is kept for existing code and goes in the next major version. */
export const ILN = LayerInstanceNorm;
/** @deprecated Renamed {@link LayerInstanceNorm}; this alias is kept for existing code and goes in the next major version. */
export type ILN = LayerInstanceNorm;

/** @deprecated Renamed {@link layerInstanceNorm}; this alias is kept for existing code and goes in the next major version. */
export const iln = layerInstanceNorm;

/** @deprecated Renamed {@link LayerInstanceNormArgs}; this alias is kept for existing code and goes in the next major version. */
export type ILNArgs = LayerInstanceNormArgs;
