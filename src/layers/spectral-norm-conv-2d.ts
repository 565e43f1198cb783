import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { UGATITConfigError } from '../errors';
import { TorchUniform, UnitNormal } from './initializers';
import { spectralKernel } from './spectral-norm';
import type { Kwargs, LayerArgs } from './tfjs-internals';

/** Arguments of {@link SpectralNormConv2D}. */
export interface SpectralNormConv2DArgs extends LayerArgs {
  /** Output channels. */
  filters: number;
  /** Square kernel size. */
  kernelSize: number;
  /** Stride of both spatial axes. Default 1. */
  strides?: number;
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
 * A 2-D convolution (`'valid'` padding, NHWC) whose kernel is divided by its spectral norm,
 * with PyTorch's `spectral_norm` semantics: the raw kernel is the trainable weight, `u` and
 * `v` are non-trainable state advanced by one power iteration per call only when called
 * with `training: true` (on every call with `iterateInInference`, as TensorFlow's), and the
 * gradient flows through σ.
 *
 * @example
 * ```ts
 * const conv = spectralNormConv2D({ filters: 64, kernelSize: 4, strides: 2, name: 'conv_1' });
 * const y = conv.apply(x, { training: true });
 * ```
 */
export class SpectralNormConv2D extends tfl.layers.Layer {
  /**
   * Name of the class in saved models (`model.json`); prefixed so it never shadows a tfjs built-in.
   * @nocollapse
   */
  static className = 'UgatitSpectralNormConv2D';
  /** Output channels. */
  readonly filters: number;
  /** Side of the square kernel. */
  readonly kernelSize: number;
  /** Stride along both spatial axes. */
  readonly strides: number;
  /** Whether a bias is added. */
  readonly useBias: boolean;
  /** Whether calls outside training advance u, v too (TensorFlow's spectral norm). */
  readonly iterateInInference: boolean;
  private kernel?: tfl.LayerVariable;
  private bias?: tfl.LayerVariable;
  private u?: tfl.LayerVariable;
  private v?: tfl.LayerVariable;

  constructor(args: SpectralNormConv2DArgs) {
    super(args);
    for (const key of ['filters', 'kernelSize'] as const) {
      if (!(Number.isInteger(args[key]) && args[key] > 0)) {
        throw new UGATITConfigError(`SpectralNormConv2D: ${key} must be a positive integer, received ${args[key]}`);
      }
    }
    this.filters = args.filters;
    this.kernelSize = args.kernelSize;
    this.strides = args.strides ?? 1;
    if (!(Number.isInteger(this.strides) && this.strides > 0)) {
      throw new UGATITConfigError(`SpectralNormConv2D: strides must be a positive integer, received ${args.strides}`);
    }
    this.useBias = args.useBias ?? true;
    this.iterateInInference = args.iterateInInference ?? false;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const inChannels = shape[3];
    if (inChannels == null) throw new UGATITConfigError(`SpectralNormConv2D: the channel axis must be known, received shape [${shape}]`);
    const k = this.kernelSize;
    const fanIn = k * k * inChannels;
    this.kernel = this.addWeight('kernel', [k, k, inChannels, this.filters], 'float32', new TorchUniform({ fanIn }));
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], 'float32', new TorchUniform({ fanIn }));
    this.u = this.addWeight('u', [this.filters], 'float32', new UnitNormal(), undefined, false);
    this.v = this.addWeight('v', [fanIn], 'float32', new UnitNormal(), undefined, false);
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const [n, h, w] = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const out = (d: number | null) => (d == null ? null : Math.floor((d - this.kernelSize) / this.strides) + 1);
    return [n, out(h), out(w), this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const kernel = spectralKernel({ kernel: this.kernel!, u: this.u!, v: this.v! }, kwargs?.training === true || this.iterateInInference);
      const y = tf.conv2d(x, kernel as tf.Tensor4D, this.strides, 'valid');
      return this.useBias ? tf.add(y, this.bias!.read()) : y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(), filters: this.filters, kernelSize: this.kernelSize, strides: this.strides, useBias: this.useBias,
      iterateInInference: this.iterateInInference,
    };
  }
}
tf.serialization.registerClass(SpectralNormConv2D);

/**
 * Creates a {@link SpectralNormConv2D} layer.
 *
 * @example
 * ```ts
 * const conv = spectralNormConv2D({ filters: 1, kernelSize: 4, useBias: false });
 * ```
 */
export function spectralNormConv2D(args: SpectralNormConv2DArgs): SpectralNormConv2D {
  return new SpectralNormConv2D(args);
}
