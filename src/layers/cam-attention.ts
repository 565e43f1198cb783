import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { UgatitConfigError } from '../errors';
import { TorchUniform, UnitNormal } from './initializers';
import { spectralKernel, type SpectralWeights } from './spectral-norm';
import type { Kwargs, LayerArgs } from './tfjs-internals';

/** Activation after the CAM 1×1 convolution. */
export type CamActivation = 'relu' | 'leakyRelu';

/** Weights of {@link camAttention}, in this library's layouts. */
export interface CamWeights {
  /** Kernel of the GAP logit, `[C, 1]`, used normalised for the logit. */
  gapLogitKernel: tf.Tensor2D;
  /** Kernel of the GMP logit, `[C, 1]`. */
  gmpLogitKernel: tf.Tensor2D;
  /** Raw GAP weight that scales the channels, `[C, 1]` (equal to `gapLogitKernel` without spectral norm). */
  gapScale: tf.Tensor2D;
  /** Raw GMP weight that scales the channels, `[C, 1]`. */
  gmpScale: tf.Tensor2D;
  /** The 1×1 convolution over the concatenated re-weighted features, `[1, 1, 2C, C]`. */
  convKernel: tf.Tensor4D;
  /** Its bias, `[C]`. */
  convBias: tf.Tensor1D;
}

/**
 * Class-activation-map attention: GAP and GMP logits, channel re-weighting by the logit
 * weights, a 1×1 convolution with bias and an activation; the heatmap is the channel sum.
 *
 * @param x - features `[N, H, W, C]`.
 * @returns `features [N,H,W,C]`, `camLogit [N,2]` (GAP then GMP) and `heatmap [N,H,W,1]`.
 * @example
 * ```ts
 * const { features, camLogit, heatmap } = camAttention(x, weights, 'relu');
 * ```
 */
export function camAttention(x: tf.Tensor4D, w: CamWeights, activation: CamActivation, alpha = 0.2):
  {
    /** Re-weighted features after the 1×1 convolution and activation, `[N, H, W, C]`. */
    features: tf.Tensor4D;
    /** GAP and GMP logits, `[N, 2]`. */
    camLogit: tf.Tensor2D;
    /** Channel sum of the re-weighted features, `[N, H, W, 1]`. */
    heatmap: tf.Tensor4D;
  } {
  return tf.tidy(() => {
    const c = x.shape[3];
    const gapLogit = tf.matMul(tf.mean(x, [1, 2]), w.gapLogitKernel);
    const gmpLogit = tf.matMul(tf.max(x, [1, 2]), w.gmpLogitKernel);
    const camLogit = tf.concat([gapLogit, gmpLogit], 1) as tf.Tensor2D;
    // conv1x1(concat(x·w_gap, x·w_gmp)) = conv1x1(x, diag(w_gap)·K_top + diag(w_gmp)·K_bottom):
    // one C→C convolution instead of a concatenation and a 2C→C one.
    const kernel = tf.reshape(w.convKernel, [2 * c, c]);
    const top = tf.mul(tf.slice(kernel, [0, 0], [c, c]), w.gapScale);
    const bottom = tf.mul(tf.slice(kernel, [c, 0], [c, c]), w.gmpScale);
    const folded = tf.reshape(tf.add(top, bottom), [1, 1, c, c]) as tf.Tensor4D;
    const pre = tf.add(tf.conv2d(x, folded, 1, 'valid'), w.convBias);
    const features = (activation === 'relu' ? tf.relu(pre) : tf.leakyRelu(pre, alpha)) as tf.Tensor4D;
    const heatmap = tf.sum(features, 3, true) as tf.Tensor4D;
    return { features, camLogit, heatmap };
  });
}

/** Arguments of {@link CAMAttention}. */
export interface CAMAttentionArgs extends LayerArgs {
  /** Activation after the 1×1 convolution: `'relu'` (generator) or `'leakyRelu'` with slope 0.2 (discriminator). Default `'relu'`. */
  activation?: CamActivation;
  /**
   * Spectral-normalise the GAP and GMP logit weights (the discriminator). As in the
   * reference, the channel re-weighting then still uses the raw weights. Default false.
   */
  spectralNorm?: boolean;
}

/**
 * The CAM attention module as a layer: input `[N,H,W,C]`, outputs
 * `[features [N,H,W,C], camLogit [N,2], heatmap [N,H,W,1]]`.
 *
 * @example
 * ```ts
 * const [features, camLogit, heatmap] = camAttentionLayer({ name: 'cam' }).apply(x) as tf.SymbolicTensor[];
 * ```
 */
export class CAMAttention extends tfl.layers.Layer {
  /**
   * Name of the class in saved models (`model.json`); prefixed so it never shadows a tfjs built-in.
   * @nocollapse
   */
  static className = 'UgatitCAMAttention';
  /** Activation after the 1×1 convolution: `'relu'` (generator) or `'leakyRelu'` (discriminator). */
  readonly activation: CamActivation;
  /** Whether the GAP and GMP logit weights are spectral-normalised (the discriminator). */
  readonly spectralNorm: boolean;
  private gap?: SpectralWeights & { kernel: tfl.LayerVariable };
  private gmp?: SpectralWeights & { kernel: tfl.LayerVariable };
  private gapKernel?: tfl.LayerVariable;
  private gmpKernel?: tfl.LayerVariable;
  private convKernel?: tfl.LayerVariable;
  private convBias?: tfl.LayerVariable;

  constructor(args: CAMAttentionArgs = {}) {
    super(args);
    this.activation = args.activation ?? 'relu';
    if (this.activation !== 'relu' && this.activation !== 'leakyRelu') {
      throw new UgatitConfigError(`CAMAttention: activation must be 'relu' or 'leakyRelu', received ${JSON.stringify(args.activation)}`);
    }
    this.spectralNorm = args.spectralNorm ?? false;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const c = shape[3];
    if (c == null) throw new UgatitConfigError(`CAMAttention: the channel axis must be known, received shape [${shape}]`);
    this.gapKernel = this.addWeight('gap_fc_kernel', [c, 1], 'float32', new TorchUniform({ fanIn: c }));
    this.gmpKernel = this.addWeight('gmp_fc_kernel', [c, 1], 'float32', new TorchUniform({ fanIn: c }));
    if (this.spectralNorm) {
      const vector = (name: string, size: number) => this.addWeight(name, [size], 'float32', new UnitNormal(), undefined, false);
      this.gap = { kernel: this.gapKernel, u: vector('gap_fc_u', 1), v: vector('gap_fc_v', c) };
      this.gmp = { kernel: this.gmpKernel, u: vector('gmp_fc_u', 1), v: vector('gmp_fc_v', c) };
    }
    this.convKernel = this.addWeight('conv1x1_kernel', [1, 1, 2 * c, c], 'float32', new TorchUniform({ fanIn: 2 * c }));
    this.convBias = this.addWeight('conv1x1_bias', [c], 'float32', new TorchUniform({ fanIn: 2 * c }));
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape[] {
    const [n, h, w, c] = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    return [[n, h, w, c], [n, 2], [n, h, w, 1]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor[] {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const training = kwargs?.training === true;
      const gapScale = this.gapKernel!.read() as tf.Tensor2D;
      const gmpScale = this.gmpKernel!.read() as tf.Tensor2D;
      const out = camAttention(x, {
        gapLogitKernel: (this.gap ? spectralKernel(this.gap, training) : gapScale) as tf.Tensor2D,
        gmpLogitKernel: (this.gmp ? spectralKernel(this.gmp, training) : gmpScale) as tf.Tensor2D,
        gapScale,
        gmpScale,
        convKernel: this.convKernel!.read() as tf.Tensor4D,
        convBias: this.convBias!.read() as tf.Tensor1D,
      }, this.activation);
      return [out.features, out.camLogit, out.heatmap];
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), activation: this.activation, spectralNorm: this.spectralNorm };
  }
}
tf.serialization.registerClass(CAMAttention);

/**
 * Creates a {@link CAMAttention} layer.
 *
 * @example
 * ```ts
 * const cam = camAttentionLayer({ activation: 'leakyRelu', spectralNorm: true, name: 'cam' });
 * ```
 */
export function camAttentionLayer(args: CAMAttentionArgs = {}): CAMAttention {
  return new CAMAttention(args);
}
