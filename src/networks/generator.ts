import * as tfl from '@tensorflow/tfjs-layers';
import { UGATITConfigError } from '../errors';
import { paddedConv } from '../blocks/conv';
import { resnetBlock } from '../blocks/resnet-block';
import { resnetAdaLINBlock } from '../blocks/resnet-adalin-block';
import { upsampleBlock } from '../blocks/upsample-block';
import { gammaBetaMLP } from '../blocks/gamma-beta-mlp';
import { camAttention } from '../layers/cam-attention';
import { instanceNorm } from '../layers/instance-norm';
import { flavorOptions, NETWORK_FLAVORS, type NetworkFlavor } from './flavor';
import { requireInteger } from './validate';

/** Configuration of {@link createGenerator}; the names follow the reference's `ResnetGenerator`. */
export interface GeneratorConfig {
  /** Channels of the input image. Default 3. */
  inputChannels?: number;
  /** Channels of the output image. Default 3. */
  outputChannels?: number;
  /** Width of the first convolution; the bottleneck has 4·ngf channels. Default 64. */
  ngf?: number;
  /** Residual blocks in the encoder and, with AdaLIN, in the decoder; at least 1. Default 4. */
  nBlocks?: number;
  /** Side of the square input, divisible by 4. Default 256. */
  imgSize?: number;
  /** Light variant: the γ/β MLP sees globally pooled features instead of all of them. Default false. */
  light?: boolean;
  /**
   * Unbiased variances in AdaLIN and ILN (the PyTorch reference). Default: true for the
   * `'pytorch'` flavour; the TensorFlow flavours are biased and refuse true.
   */
  unbiasedVariance?: boolean;
  /**
   * Which official implementation to reproduce ({@link NetworkFlavor}): `'tf'` and
   * `'tf-original'` hold the TensorFlow checkpoints' weights (conv biases, affine instance
   * norms, one CAM FC with a bias, MLP biases, biased variances, ρ smoothing), see
   * {@link flavorOptions}. They need `nBlocks` 4. Default `'pytorch'`.
   */
  flavor?: NetworkFlavor;
  /**
   * The TensorFlow reference's `--smoothing` flag (its default, and the released models'):
   * AdaLIN uses `clip(ρ − 0.1, 0, 1)` (`'tf'`) or starts ρ at 0.9 (`'tf-original'`). Only for
   * the TensorFlow flavours. Default true.
   */
  smoothing?: boolean;
  /** Model name. Default `'generator'`. */
  name?: string;
}

/** {@link GeneratorConfig} with every default filled in. */
export type ResolvedGeneratorConfig = Required<GeneratorConfig>;

/**
 * Fills the defaults of a generator configuration and rejects values the network cannot use.
 *
 * @example
 * ```ts
 * resolveGeneratorConfig({ ngf: 32 }).imgSize; // 256
 * ```
 */
export function resolveGeneratorConfig(config: GeneratorConfig = {}): ResolvedGeneratorConfig {
  const flavor = config.flavor ?? 'pytorch';
  if (!NETWORK_FLAVORS.includes(flavor)) {
    throw new UGATITConfigError(`createGenerator: flavor must be one of ${NETWORK_FLAVORS.join(', ')}, received ${JSON.stringify(config.flavor)}`);
  }
  const tf = flavor !== 'pytorch';
  if (tf && config.unbiasedVariance === true) {
    throw new UGATITConfigError(`createGenerator: flavor '${flavor}' uses biased variances (TensorFlow's tf.nn.moments); unbiasedVariance: true contradicts it`);
  }
  if (!tf && config.smoothing !== undefined) {
    throw new UGATITConfigError("createGenerator: smoothing is the TensorFlow reference's flag; the 'pytorch' flavour has no use for it");
  }
  const c: ResolvedGeneratorConfig = {
    inputChannels: 3, outputChannels: 3, ngf: 64, nBlocks: 4, imgSize: 256, light: false, unbiasedVariance: !tf,
    flavor, smoothing: true, name: 'generator', ...config,
  };
  requireInteger('createGenerator', 'inputChannels', c.inputChannels, 1);
  requireInteger('createGenerator', 'outputChannels', c.outputChannels, 1);
  requireInteger('createGenerator', 'ngf', c.ngf, 1);
  // With no AdaLIN block the γ/β MLP feeds nothing, so tfjs prunes it from the model while the
  // reference still has FC.*, gamma and beta in its state_dict: no checkpoint could map.
  requireInteger('createGenerator', 'nBlocks', c.nBlocks, 1);
  requireInteger('createGenerator', 'imgSize', c.imgSize, 1);
  // The bottleneck (imgSize/4) must stay larger than the reflection pad of 1, and the
  // stem's pad of 3 needs an input above 3 px.
  if (c.imgSize % 4 !== 0 || c.imgSize < 8) {
    throw new UGATITConfigError(`createGenerator: imgSize must be a multiple of 4 and at least 8, received ${c.imgSize}`);
  }
  // The TensorFlow MLP is ch·n_res wide and feeds AdaLIN over 4·ch channels: the official code
  // builds nothing else (DIFFERENCES.md, G10).
  if (tf && c.nBlocks !== 4) {
    throw new UGATITConfigError(`createGenerator: flavor '${flavor}' needs nBlocks 4 (the TensorFlow reference's MLP is ngf·nBlocks wide and only fits the 4·ngf bottleneck then), received ${c.nBlocks}`);
  }
  return c;
}

/**
 * Builds the U-GAT-IT generator (the reference's `ResnetGenerator`, or with `flavor: 'tf'` the
 * TensorFlow reference's `UGATIT.generator`) as a tfjs-layers model. Both flavours share the
 * layer names below; the TensorFlow ones add weights (`…_conv/bias`, `…_norm/gamma|beta`,
 * `cam/fc_*`, MLP biases).
 *
 * Input `[N, imgSize, imgSize, inputChannels]` in [−1, 1]; outputs
 * `[image [N, imgSize, imgSize, outputChannels] in [−1, 1], camLogit [N, 2], heatmap [N, imgSize/4, imgSize/4, 1]]`.
 *
 * @example
 * ```ts
 * const genA2B = createGenerator({ ngf: 32, nBlocks: 4, imgSize: 128, light: true });
 * const [image, camLogit, heatmap] = genA2B.predict(x) as tf.Tensor[];
 * ```
 */
export function createGenerator(config: GeneratorConfig = {}): tfl.LayersModel {
  const c = resolveGeneratorConfig(config);
  const f = flavorOptions(c.flavor, c.smoothing);
  const unbiased = c.unbiasedVariance;
  const useBias = f.convBias;
  const input = tfl.input({ shape: [c.imgSize, c.imgSize, c.inputChannels], name: 'image' });
  const relu = (x: tfl.SymbolicTensor, name: string) => tfl.layers.reLU({ name }).apply(x) as tfl.SymbolicTensor;
  const norm = (x: tfl.SymbolicTensor, name: string) =>
    instanceNorm({ scale: f.affineNorm, center: f.affineNorm, name }).apply(x) as tfl.SymbolicTensor;

  let x = relu(norm(paddedConv(input, { filters: c.ngf, kernelSize: 7, padding: 3, name: 'stem', useBias }), 'stem_norm'), 'stem_relu');
  for (let i = 1; i <= 2; i++) {
    x = paddedConv(x, { filters: c.ngf * 2 ** i, kernelSize: 3, strides: 2, padding: f.downPadding, name: `down_${i}`, useBias });
    x = relu(norm(x, `down_${i}_norm`), `down_${i}_relu`);
  }
  for (let i = 1; i <= c.nBlocks; i++) x = resnetBlock(x, { name: `enc_res_${i}`, useBias, affineNorm: f.affineNorm });

  const [features, camLogit, heatmap] = camAttention({
    activation: 'relu', sharedFc: f.sharedCamFc, separateLogitFc: f.separateLogitFc, name: 'cam',
  }).apply(x) as tfl.SymbolicTensor[];
  const { gamma, beta } = gammaBetaMLP(features, { light: c.light, useBias: f.mlpBias });
  x = features;
  for (let i = 1; i <= c.nBlocks; i++) {
    x = resnetAdaLINBlock(x, gamma, beta, { name: `dec_res_${i}`, unbiased, useBias, rhoInit: f.rhoInit, rhoOffset: f.rhoOffset });
  }
  for (let i = 1; i <= 2; i++) x = upsampleBlock(x, { filters: (c.ngf * 4) / 2 ** i, name: `up_${i}`, unbiased, useBias });
  x = paddedConv(x, { filters: c.outputChannels, kernelSize: 7, padding: 3, name: 'head', useBias });
  const image = tfl.layers.activation({ activation: 'tanh', name: 'head_tanh' }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: [image, camLogit, heatmap], name: c.name });
}
