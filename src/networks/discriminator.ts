import * as tfl from '@tensorflow/tfjs-layers';
import { UGATITConfigError } from '../errors';
import { camAttention } from '../layers/cam-attention';
import { reflectionPad2D } from '../layers/reflection-pad-2d';
import { spectralNormConv2D } from '../layers/spectral-norm-conv-2d';
import { minInputSize } from '../layers/min-input-size';
import { flavorOptions, NETWORK_FLAVORS, type NetworkFlavor } from './flavor';
import { requireInteger } from './validate';

/** Configuration of {@link createDiscriminator}; the names follow the reference's `Discriminator`. */
export interface DiscriminatorConfig {
  /** Channels of the input image. Default 3. */
  inputChannels?: number;
  /** Width of the first convolution. Default 64. */
  ndf?: number;
  /**
   * Depth: 7 for the global discriminator, 5 for the local one. Default 7. The TensorFlow
   * reference's `n_dis` gives `n_dis + 1` (global) and `n_dis − 1` (local): the same convolutions.
   */
  nLayers?: number;
  /**
   * Which official implementation to reproduce ({@link NetworkFlavor}): the TensorFlow
   * flavours pad the 4×4 stride-1 convolutions 1 before and 2 after (the logit keeps the CAM
   * map's size), add a bias to the last convolution, share one CAM FC with a bias, and advance
   * the spectral norm on every call (no evaluation mode); see {@link flavorOptions}.
   * Default `'pytorch'`.
   */
  flavor?: NetworkFlavor;
  /** Model name. Default `'discriminator'`. */
  name?: string;
}

/** {@link DiscriminatorConfig} with every default filled in. */
export type ResolvedDiscriminatorConfig = Required<DiscriminatorConfig>;

/**
 * Fills the defaults of a discriminator configuration and rejects values it cannot use.
 *
 * @example
 * ```ts
 * resolveDiscriminatorConfig({ nLayers: 5 }).ndf; // 64
 * ```
 */
export function resolveDiscriminatorConfig(config: DiscriminatorConfig = {}): ResolvedDiscriminatorConfig {
  const c: ResolvedDiscriminatorConfig = { inputChannels: 3, ndf: 64, nLayers: 7, flavor: 'pytorch', name: 'discriminator', ...config };
  if (!NETWORK_FLAVORS.includes(c.flavor)) {
    throw new UGATITConfigError(`createDiscriminator: flavor must be one of ${NETWORK_FLAVORS.join(', ')}, received ${JSON.stringify(c.flavor)}`);
  }
  requireInteger('createDiscriminator', 'inputChannels', c.inputChannels, 1);
  requireInteger('createDiscriminator', 'ndf', c.ndf, 1);
  requireInteger('createDiscriminator', 'nLayers', c.nLayers, 3);
  return c;
}

/**
 * The smallest square input a discriminator of this depth accepts: its stride-2
 * convolutions halve the image n_layers − 2 times, and the two stride-1 4×4 convolutions at
 * the end need at least 2 px (after padding by 1) to leave one output pixel. The same bound
 * holds for the TensorFlow flavour, whose pad of 2 after needs 3 px.
 *
 * @example
 * ```ts
 * discriminatorMinInputSize(7); // 96
 * discriminatorMinInputSize(5); // 24
 * ```
 */
export function discriminatorMinInputSize(nLayers: number): number {
  requireInteger('discriminatorMinInputSize', 'nLayers', nLayers, 3);
  // A padded 4×4 stride-2 conv maps s px to floor(s/2); the two padded 4×4 stride-1 convs at
  // the end each lose one pixel, so 3 px must survive the n_layers − 2 halvings.
  return 3 * 2 ** (nLayers - 2);
}

/**
 * Builds the U-GAT-IT discriminator (the reference's `Discriminator`: every conv reflect-padded
 * and spectral-normalised, CAM attention with spectral-normalised logit weights; or with
 * `flavor: 'tf'` one branch of the TensorFlow reference's `discriminator_{local,global}`).
 *
 * Input `[N, S, S, inputChannels]` with S ≥ {@link discriminatorMinInputSize}; outputs
 * `[logit [N, h, w, 1], camLogit [N, 2], heatmap [N, h + 1, w + 1, 1]]` (TensorFlow flavours:
 * heatmap `[N, h, w, 1]`). Call it with `{ training: true }` to advance the spectral-norm state
 * as PyTorch's `train()` mode does; the TensorFlow flavours advance it on every call.
 *
 * @example
 * ```ts
 * const disGA = createDiscriminator({ ndf: 64, nLayers: 7 });
 * const [logit, camLogit, heatmap] = disGA.apply(x, { training: true }) as tf.Tensor[];
 * ```
 */
export function createDiscriminator(config: DiscriminatorConfig = {}): tfl.LayersModel {
  const c = resolveDiscriminatorConfig(config);
  const f = flavorOptions(c.flavor);
  const input = tfl.input({ shape: [null, null, c.inputChannels], name: 'image' });
  const lrelu = (x: tfl.SymbolicTensor, name: string) => tfl.layers.leakyReLU({ alpha: 0.2, name }).apply(x) as tfl.SymbolicTensor;
  const snConv = (x: tfl.SymbolicTensor, filters: number, strides: number, name: string, useBias = true) => {
    const padding = strides === 1 ? f.stride1Padding : 1;
    const padded = reflectionPad2D({ padding, name: `${name}_pad` }).apply(x) as tfl.SymbolicTensor;
    return spectralNormConv2D({ filters, kernelSize: 4, strides, useBias, iterateInInference: f.iterateInInference, name })
      .apply(padded) as tfl.SymbolicTensor;
  };
  const checked = minInputSize({ minSize: discriminatorMinInputSize(c.nLayers), name: 'input_size' }).apply(input) as tfl.SymbolicTensor;
  let x = lrelu(snConv(checked, c.ndf, 2, 'conv_1'), 'conv_1_lrelu');
  let channels = c.ndf;
  for (let i = 2; i <= c.nLayers - 2; i++) {
    channels *= 2;
    x = lrelu(snConv(x, channels, 2, `conv_${i}`), `conv_${i}_lrelu`);
  }
  channels *= 2;
  x = lrelu(snConv(x, channels, 1, `conv_${c.nLayers - 1}`), `conv_${c.nLayers - 1}_lrelu`);
  const [features, camLogit, heatmap] = camAttention({
    activation: 'leakyRelu', spectralNorm: true, sharedFc: f.sharedCamFc, normalizedScale: f.normalizedScale,
    iterateInInference: f.iterateInInference, name: 'cam',
  }).apply(x) as tfl.SymbolicTensor[];
  const logit = snConv(features, 1, 1, 'head', f.headBias);
  return tfl.model({ inputs: input, outputs: [logit, camLogit, heatmap], name: c.name });
}
