import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { UGATITConfigError } from '../errors';
import { ClipConstraint } from './clip-constraint';
import { instanceLayerMix } from './instance-layer-mix';
import { tidyWrites, type LayerArgs } from './tfjs-internals';

/**
 * Adaptive Layer-Instance Normalisation: γ·(ρ·x̂_IN + (1−ρ)·x̂_LN) + β with γ and β given
 * per image (from the generator's MLP).
 *
 * @param x - `[N, H, W, C]`.
 * @param rho - `[C]`.
 * @param gamma - `[N, C]`.
 * @param beta - `[N, C]`.
 * @param eps - added to the variances. Default 1e-5.
 * @param unbiased - unbiased variances, as the PyTorch reference. Default true.
 * @returns `[N, H, W, C]`.
 * @example
 * ```ts
 * const y = adaLINNormalize(x, tf.fill([64], 0.9), gamma, beta);
 * ```
 */
export function adaLINNormalize(
  x: tf.Tensor4D, rho: tf.Tensor1D, gamma: tf.Tensor2D, beta: tf.Tensor2D, eps = 1e-5, unbiased = true,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, , , c] = x.shape;
    const mixed = instanceLayerMix(x, rho, eps, unbiased);
    return tf.add(tf.mul(mixed, tf.reshape(gamma, [n, 1, 1, c])), tf.reshape(beta, [n, 1, 1, c])) as tf.Tensor4D;
  });
}

/** Arguments of {@link AdaLIN}. */
export interface AdaLINArgs extends LayerArgs {
  /** Initial ρ of every channel, in [0, 1]. Default 0.9 (the reference; the paper says 1). */
  rhoInit?: number;
  /** Added to the variances. Default 1e-5. */
  epsilon?: number;
  /** Unbiased (n − 1) variances as the PyTorch reference; false for weights trained by the TensorFlow reference. Default true. */
  unbiased?: boolean;
  /**
   * Use ρ as `clip(ρ − rhoOffset, 0, 1)`. The TensorFlow reference with its default
   * `--smoothing` (commit 3014f4a, 2019-08-14, onwards) uses 0.1, so that ρ, initialised at 1 and
   * clipped to [0, 1], acts in [0, 0.9]; PyTorch stores ρ as used (0). In [0, 1). Default 0.
   */
  rhoOffset?: number;
}

/**
 * AdaLIN as a layer: inputs `[x [N,H,W,C], gamma [N,C], beta [N,C]]`, one learned ρ per
 * channel, constrained to [0, 1].
 *
 * @example
 * ```ts
 * const y = adaLIN({ name: 'dec_res_1_norm1' }).apply([x, gamma, beta]);
 * ```
 */
export class AdaLIN extends tfl.layers.Layer {
  /**
   * Name of the class in saved models (`model.json`); prefixed so it never shadows a tfjs built-in.
   * @nocollapse
   */
  static className = 'UgatitAdaLIN';
  /** Initial value of ρ, the instance/layer normalisation mix. */
  readonly rhoInit: number;
  /** Added to the variances before the square root. */
  readonly epsilon: number;
  /** Unbiased (n − 1) variances, as PyTorch's `torch.var` in the reference. */
  readonly unbiased: boolean;
  /** ρ is used as `clip(ρ − rhoOffset, 0, 1)`. */
  readonly rhoOffset: number;
  private rho?: tfl.LayerVariable;

  constructor(args: AdaLINArgs = {}) {
    super(args);
    this.rhoInit = args.rhoInit ?? 0.9;
    this.epsilon = args.epsilon ?? 1e-5;
    this.unbiased = args.unbiased ?? true;
    this.rhoOffset = args.rhoOffset ?? 0;
    if (!(this.rhoInit >= 0 && this.rhoInit <= 1)) throw new UGATITConfigError(`AdaLIN: rhoInit must be in [0, 1], received ${args.rhoInit}`);
    if (!(this.rhoOffset >= 0 && this.rhoOffset < 1)) throw new UGATITConfigError(`AdaLIN: rhoOffset must be in [0, 1), received ${args.rhoOffset}`);
    if (!(this.epsilon > 0)) throw new UGATITConfigError(`AdaLIN: epsilon must be positive, received ${args.epsilon}`);
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const [xShape, gammaShape, betaShape] = inputShape as tfl.Shape[];
    if (!Array.isArray(xShape) || gammaShape === undefined || betaShape === undefined) {
      throw new UGATITConfigError('AdaLIN: expects three inputs [x, gamma, beta]');
    }
    const channels = xShape[3];
    if (channels == null) throw new UGATITConfigError(`AdaLIN: the channel axis of x must be known, received shape [${xShape}]`);
    for (const [label, s] of [['gamma', gammaShape], ['beta', betaShape]] as const) {
      if (s.length !== 2 || (s[1] != null && s[1] !== channels)) {
        throw new UGATITConfigError(`AdaLIN: ${label} must have shape [N, ${channels}], received [${s}]`);
      }
    }
    this.rho = tidyWrites(this.addWeight('rho', [channels], 'float32', tfl.initializers.constant({ value: this.rhoInit }),
      undefined, true, new ClipConstraint({ min: 0, max: 1 })));
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return (inputShape as tfl.Shape[])[0];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [x, gamma, beta] = inputs as tf.Tensor[];
      const stored = this.rho!.read() as tf.Tensor1D;
      const rho = this.rhoOffset > 0 ? tf.clipByValue(tf.sub(stored, this.rhoOffset), 0, 1) as tf.Tensor1D : stored;
      return adaLINNormalize(x as tf.Tensor4D, rho, gamma as tf.Tensor2D, beta as tf.Tensor2D, this.epsilon, this.unbiased);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rhoInit: this.rhoInit, epsilon: this.epsilon, unbiased: this.unbiased, rhoOffset: this.rhoOffset };
  }
}
tf.serialization.registerClass(AdaLIN);

/**
 * Creates an {@link AdaLIN} layer.
 *
 * @example
 * ```ts
 * const norm = adaLIN({ rhoInit: 0.9, unbiased: true });
 * ```
 */
export function adaLIN(args: AdaLINArgs = {}): AdaLIN {
  return new AdaLIN(args);
}

// Deprecated spellings (docs/api.md lists every rename).

/** @deprecated Renamed {@link adaLINNormalize}; this alias is kept for existing code and goes in the next major version. */
export const adaLinNormalize = adaLINNormalize;
