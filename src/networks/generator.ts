import * as tfl from '@tensorflow/tfjs-layers';
import { UgatitConfigError } from '../errors';
import { paddedConv } from '../blocks/conv';
import { resnetBlock } from '../blocks/resnet-block';
import { resnetAdaLINBlock } from '../blocks/resnet-adalin-block';
import { upsampleBlock } from '../blocks/upsample-block';
import { gammaBetaMlp } from '../blocks/gamma-beta-mlp';
import { camAttentionLayer } from '../layers/cam-attention';
import { instanceNorm } from '../layers/instance-norm';
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
  /** Unbiased variances in AdaLIN and ILN (the PyTorch reference); false for TensorFlow-trained weights. Default true. */
  unbiasedVariance?: boolean;
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
  const c: ResolvedGeneratorConfig = {
    inputChannels: 3, outputChannels: 3, ngf: 64, nBlocks: 4, imgSize: 256, light: false, unbiasedVariance: true,
    name: 'generator', ...config,
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
    throw new UgatitConfigError(`createGenerator: imgSize must be a multiple of 4 and at least 8, received ${c.imgSize}`);
  }
  return c;
}

/**
 * Builds the U-GAT-IT generator (the reference's `ResnetGenerator`) as a tfjs-layers model.
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
  const unbiased = c.unbiasedVariance;
  const input = tfl.input({ shape: [c.imgSize, c.imgSize, c.inputChannels], name: 'image' });
  const relu = (x: tfl.SymbolicTensor, name: string) => tfl.layers.reLU({ name }).apply(x) as tfl.SymbolicTensor;
  const norm = (x: tfl.SymbolicTensor, name: string) => instanceNorm({ name }).apply(x) as tfl.SymbolicTensor;

  let x = relu(norm(paddedConv(input, { filters: c.ngf, kernelSize: 7, padding: 3, name: 'stem' }), 'stem_norm'), 'stem_relu');
  for (let i = 1; i <= 2; i++) {
    x = paddedConv(x, { filters: c.ngf * 2 ** i, kernelSize: 3, strides: 2, padding: 1, name: `down_${i}` });
    x = relu(norm(x, `down_${i}_norm`), `down_${i}_relu`);
  }
  for (let i = 1; i <= c.nBlocks; i++) x = resnetBlock(x, { name: `enc_res_${i}` });

  const [features, camLogit, heatmap] = camAttentionLayer({ activation: 'relu', name: 'cam' }).apply(x) as tfl.SymbolicTensor[];
  const { gamma, beta } = gammaBetaMlp(features, { light: c.light });
  x = features;
  for (let i = 1; i <= c.nBlocks; i++) x = resnetAdaLINBlock(x, gamma, beta, { name: `dec_res_${i}`, unbiased });
  for (let i = 1; i <= 2; i++) x = upsampleBlock(x, { filters: (c.ngf * 4) / 2 ** i, name: `up_${i}`, unbiased });
  x = paddedConv(x, { filters: c.outputChannels, kernelSize: 7, padding: 3, name: 'head' });
  const image = tfl.layers.activation({ activation: 'tanh', name: 'head_tanh' }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: [image, camLogit, heatmap], name: c.name });
}
