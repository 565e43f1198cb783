import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { UGATITConfigError } from '../errors';
import { TorchUniform, UnitNormal } from './initializers';
import { spectralKernel, type SpectralWeights } from './spectral-norm';
import type { Kwargs, LayerArgs } from './tfjs-internals';
import type { SpectralNormConv2DArgs } from './spectral-norm-conv-2d';

/** Activation after the CAM 1×1 convolution. */
export type CAMActivation = 'relu' | 'leakyRelu';

/** Weights of {@link applyCAMAttention}, in this library's layouts. */
export interface CAMWeights {
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
  /** Added to both logits, `[1]`: the bias of the TensorFlow reference's one shared logit FC. Default none. */
  logitBias?: tf.Tensor1D;
}

/**
 * Class-activation-map attention: GAP and GMP logits, channel re-weighting by the logit
 * weights, a 1×1 convolution with bias and an activation; the heatmap is the channel sum.
 *
 * @param x - features `[N, H, W, C]`.
 * @returns `features [N,H,W,C]`, `camLogit [N,2]` (GAP then GMP) and `heatmap [N,H,W,1]`.
 * @example
 * ```ts
 * const { features, camLogit, heatmap } = applyCAMAttention(x, weights, 'relu');
 * ```
 */
export function applyCAMAttention(x: tf.Tensor4D, w: CAMWeights, activation: CAMActivation, alpha = 0.2):
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
    const logit = (pooled: tf.Tensor2D, kernel: tf.Tensor2D) => {
      const y = tf.matMul(pooled, kernel);
      return w.logitBias ? tf.add(y, w.logitBias) : y;
    };
    const gapLogit = logit(tf.mean(x, [1, 2]), w.gapLogitKernel);
    const gmpLogit = logit(tf.max(x, [1, 2]), w.gmpLogitKernel);
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
  activation?: CAMActivation;
  /**
   * Spectral-normalise the GAP and GMP logit weights (the discriminator). As in the PyTorch
   * reference, the channel re-weighting then still uses the raw weights, unless
   * `normalizedScale`. Default false.
   */
  spectralNorm?: boolean;
  /**
   * One fully connected layer with a bias (weights `fc_kernel [C, 1]`, `fc_bias [1]`) for
   * both pooled vectors, as the TensorFlow reference's `CAM_logit` (`fully_connected_with_w`,
   * called for GAP then reused for GMP): logits `pool·w + b`, and both halves re-weighted by
   * the same vector `w + b`. False: PyTorch's two bias-free `gap_fc` and `gmp_fc`. Default false.
   */
  sharedFc?: boolean;
  /**
   * With `sharedFc` and no spectral norm: the logits come from a second FC with a bias
   * (`logit_fc_kernel`, `logit_fc_bias`) while `fc` only re-weights, as the TensorFlow
   * reference's generator before commit e8efff1 (2019-08-20; variables `CAM_logit/dense/*`),
   * the code the released selfie2anime checkpoint may come from. Default false.
   */
  separateLogitFc?: boolean;
  /**
   * With `spectralNorm`: re-weight the channels by the spectral-normalised weight (plus the
   * bias with `sharedFc`), as the TensorFlow reference since commit dfe60bb (2019-08-19);
   * false: by the raw weight, as PyTorch and the TensorFlow code before. Default false.
   */
  normalizedScale?: boolean;
  /**
   * With `spectralNorm`: advance u, v on every call, as TensorFlow's spectral norm (see
   * {@link SpectralNormConv2DArgs.iterateInInference}). Default false.
   */
  iterateInInference?: boolean;
}

type FcWeights = SpectralWeights & { kernel: tfl.LayerVariable };

/**
 * The CAM attention module as a layer: input `[N,H,W,C]`, outputs
 * `[features [N,H,W,C], camLogit [N,2], heatmap [N,H,W,1]]`.
 *
 * @example
 * ```ts
 * const [features, camLogit, heatmap] = camAttention({ name: 'cam' }).apply(x) as tf.SymbolicTensor[];
 * ```
 */
export class CAMAttention extends tfl.layers.Layer {
  /**
   * Name of the class in saved models (`model.json`); prefixed so it never shadows a tfjs built-in.
   * @nocollapse
   */
  static className = 'UgatitCAMAttention';
  /** Activation after the 1×1 convolution: `'relu'` (generator) or `'leakyRelu'` (discriminator). */
  readonly activation: CAMActivation;
  /** Whether the GAP and GMP logit weights are spectral-normalised (the discriminator). */
  readonly spectralNorm: boolean;
  /** Whether one FC with a bias serves both pooled vectors (TensorFlow). */
  readonly sharedFc: boolean;
  /** Whether the logits come from their own FC (TensorFlow before 2019-08-20). */
  readonly separateLogitFc: boolean;
  /** Whether the channels are re-weighted by the spectral-normalised weight. */
  readonly normalizedScale: boolean;
  /** Whether calls outside training advance the spectral-norm state. */
  readonly iterateInInference: boolean;
  private gap?: FcWeights;
  private gmp?: FcWeights;
  private gapKernel?: tfl.LayerVariable;
  private gmpKernel?: tfl.LayerVariable;
  private fcBias?: tfl.LayerVariable;
  private logitKernel?: tfl.LayerVariable;
  private logitBias?: tfl.LayerVariable;
  private convKernel?: tfl.LayerVariable;
  private convBias?: tfl.LayerVariable;

  constructor(args: CAMAttentionArgs = {}) {
    super(args);
    this.activation = args.activation ?? 'relu';
    if (this.activation !== 'relu' && this.activation !== 'leakyRelu') {
      throw new UGATITConfigError(`CAMAttention: activation must be 'relu' or 'leakyRelu', received ${JSON.stringify(args.activation)}`);
    }
    this.spectralNorm = args.spectralNorm ?? false;
    this.sharedFc = args.sharedFc ?? false;
    this.separateLogitFc = args.separateLogitFc ?? false;
    this.normalizedScale = args.normalizedScale ?? false;
    this.iterateInInference = args.iterateInInference ?? false;
    if (this.separateLogitFc && (!this.sharedFc || this.spectralNorm)) {
      throw new UGATITConfigError('CAMAttention: separateLogitFc needs sharedFc and no spectralNorm (the TensorFlow generator\'s layout)');
    }
    if ((this.normalizedScale || this.iterateInInference) && !this.spectralNorm) {
      throw new UGATITConfigError(`CAMAttention: ${this.normalizedScale ? 'normalizedScale' : 'iterateInInference'} needs spectralNorm`);
    }
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const c = shape[3];
    if (c == null) throw new UGATITConfigError(`CAMAttention: the channel axis must be known, received shape [${shape}]`);
    const vector = (name: string, size: number) => this.addWeight(name, [size], 'float32', new UnitNormal(), undefined, false);
    const fc = (name: string): FcWeights | undefined => {
      const kernel = this.addWeight(`${name}_kernel`, [c, 1], 'float32', new TorchUniform({ fanIn: c }));
      return this.spectralNorm ? { kernel, u: vector(`${name}_u`, 1), v: vector(`${name}_v`, c) } : { kernel } as FcWeights;
    };
    if (this.sharedFc) {
      this.gap = this.gmp = fc('fc');
      this.fcBias = this.addWeight('fc_bias', [1], 'float32', new TorchUniform({ fanIn: c }));
      if (this.separateLogitFc) {
        this.logitKernel = this.addWeight('logit_fc_kernel', [c, 1], 'float32', new TorchUniform({ fanIn: c }));
        this.logitBias = this.addWeight('logit_fc_bias', [1], 'float32', new TorchUniform({ fanIn: c }));
      }
    } else {
      this.gap = fc('gap_fc');
      this.gmp = fc('gmp_fc');
    }
    this.gapKernel = this.gap!.kernel;
    this.gmpKernel = this.gmp!.kernel;
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
      const iterate = kwargs?.training === true || this.iterateInInference;
      // The logit weight of each pool: spectral-normalised (one power iteration per call, also
      // when the FC is shared) or raw.
      const logitKernel = (fc: FcWeights) => (this.spectralNorm ? spectralKernel(fc, iterate) : fc.kernel.read()) as tf.Tensor2D;
      const gapLogitKernel = logitKernel(this.gap!);
      const gmpLogitKernel = this.gmp === this.gap ? gapLogitKernel : logitKernel(this.gmp!);
      const scaleOf = (raw: tfl.LayerVariable, normalized: tf.Tensor2D) => {
        const w = (this.normalizedScale ? normalized : raw.read()) as tf.Tensor2D;
        return this.fcBias ? tf.add(w, this.fcBias.read()) as tf.Tensor2D : w;
      };
      const gapScale = scaleOf(this.gapKernel!, gapLogitKernel);
      const out = applyCAMAttention(x, {
        gapLogitKernel: this.logitKernel ? this.logitKernel.read() as tf.Tensor2D : gapLogitKernel,
        gmpLogitKernel: this.logitKernel ? this.logitKernel.read() as tf.Tensor2D : gmpLogitKernel,
        gapScale,
        gmpScale: this.sharedFc ? gapScale : scaleOf(this.gmpKernel!, gmpLogitKernel),
        convKernel: this.convKernel!.read() as tf.Tensor4D,
        convBias: this.convBias!.read() as tf.Tensor1D,
        logitBias: (this.logitBias ?? this.fcBias)?.read() as tf.Tensor1D | undefined,
      }, this.activation);
      return [out.features, out.camLogit, out.heatmap];
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(), activation: this.activation, spectralNorm: this.spectralNorm, sharedFc: this.sharedFc,
      separateLogitFc: this.separateLogitFc, normalizedScale: this.normalizedScale, iterateInInference: this.iterateInInference,
    };
  }
}
tf.serialization.registerClass(CAMAttention);

/**
 * Creates a {@link CAMAttention} layer.
 *
 * @example
 * ```ts
 * const cam = camAttention({ activation: 'leakyRelu', spectralNorm: true, name: 'cam' });
 * ```
 */
export function camAttention(args: CAMAttentionArgs = {}): CAMAttention {
  return new CAMAttention(args);
}

// Deprecated spellings (docs/api.md lists every rename).

/** @deprecated Renamed {@link camAttention} (the layer factory; the pure function is {@link applyCAMAttention}); this alias is kept for existing code and goes in the next major version. */
export const camAttentionLayer = camAttention;

/** @deprecated Renamed {@link CAMActivation}; this alias is kept for existing code and goes in the next major version. */
export type CamActivation = CAMActivation;

/** @deprecated Renamed {@link CAMWeights}; this alias is kept for existing code and goes in the next major version. */
export type CamWeights = CAMWeights;
