import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { UGATITConfigError } from '../errors';
import { TorchUniform, UnitNormal } from './initializers';
import { spectralKernel } from './spectral-norm';
import type { Kwargs, LayerArgs } from './tfjs-internals';

/** Arguments of {@link SpectralNormDense}. */
export interface SpectralNormDenseArgs extends LayerArgs {
  /** Output features. */
  units: number;
  /** Add a learned bias. Default true. */
  useBias?: boolean;
  /**
   * Advance u, v by one power iteration on every call, in training or not, as the TensorFlow
   * reference's `ops.spectral_norm` does (it has no evaluation mode: each forward assigns the
   * new u). False: PyTorch's `spectral_norm`, which iterates only in `train()` mode. Default false.
   */
  iterateInInference?: boolean;
}

/**
 * A dense layer whose kernel `[in, units]` is divided by its spectral norm, with PyTorch's
 * `spectral_norm` semantics (power iteration only when called with `training: true`, or on
 * every call with `iterateInInference`).
 *
 * @example
 * ```ts
 * const fc = spectralNormDense({ units: 1, useBias: false });
 * const logit = fc.apply(tf.input({ shape: [256] }));
 * ```
 */
export class SpectralNormDense extends tfl.layers.Layer {
  /**
   * Name of the class in saved models (`model.json`); prefixed so it never shadows a tfjs built-in.
   * @nocollapse
   */
  static className = 'UgatitSpectralNormDense';
  /** Output features. */
  readonly units: number;
  /** Whether a bias is added. */
  readonly useBias: boolean;
  /** Whether calls outside training advance u, v too (TensorFlow's spectral norm). */
  readonly iterateInInference: boolean;
  private kernel?: tfl.LayerVariable;
  private bias?: tfl.LayerVariable;
  private u?: tfl.LayerVariable;
  private v?: tfl.LayerVariable;

  constructor(args: SpectralNormDenseArgs) {
    super(args);
    if (!(Number.isInteger(args.units) && args.units > 0)) {
      throw new UGATITConfigError(`SpectralNormDense: units must be a positive integer, received ${args.units}`);
    }
    this.units = args.units;
    this.useBias = args.useBias ?? true;
    this.iterateInInference = args.iterateInInference ?? false;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const inFeatures = shape[shape.length - 1];
    if (inFeatures == null) throw new UGATITConfigError(`SpectralNormDense: the feature axis must be known, received shape [${shape}]`);
    this.kernel = this.addWeight('kernel', [inFeatures, this.units], 'float32', new TorchUniform({ fanIn: inFeatures }));
    if (this.useBias) this.bias = this.addWeight('bias', [this.units], 'float32', new TorchUniform({ fanIn: inFeatures }));
    this.u = this.addWeight('u', [this.units], 'float32', new UnitNormal(), undefined, false);
    this.v = this.addWeight('v', [inFeatures], 'float32', new UnitNormal(), undefined, false);
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    return [...shape.slice(0, -1), this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor2D;
      const kernel = spectralKernel({ kernel: this.kernel!, u: this.u!, v: this.v! }, kwargs?.training === true || this.iterateInInference);
      const y = tf.matMul(x, kernel as tf.Tensor2D);
      return this.useBias ? tf.add(y, this.bias!.read()) : y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units, useBias: this.useBias, iterateInInference: this.iterateInInference };
  }
}
tf.serialization.registerClass(SpectralNormDense);

/**
 * Creates a {@link SpectralNormDense} layer.
 *
 * @example
 * ```ts
 * const fc = spectralNormDense({ units: 1, useBias: false, name: 'gap_fc' });
 * ```
 */
export function spectralNormDense(args: SpectralNormDenseArgs): SpectralNormDense {
  return new SpectralNormDense(args);
}
