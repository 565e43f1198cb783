import type * as tfl from '@tensorflow/tfjs-layers';
import { UGATITConfigError } from '../errors';
import type { ReflectionPadding } from '../layers/reflection-pad-2d';

/**
 * Which official implementation a network reproduces. The two differ in details of the same
 * architecture (`test/fixtures/tf-reference/DIFFERENCES.md` lists and checks each), so one
 * factory builds both from the same layers with different options:
 * - `'pytorch'`: znxlwm/UGATIT-pytorch, the default;
 * - `'tf'`: taki0112/UGATIT (TensorFlow 1) as of its last code commit (e8efff1, 2019-08-20);
 * - `'tf-original'`: the TensorFlow code as first published (a152166, 2019-07-31), before the
 *   ρ-smoothing fix (3014f4a) and the CAM fixes (dfe60bb, e8efff1). The released selfie2anime
 *   checkpoint (2019-08-15) may have been trained with it.
 */
export type NetworkFlavor = 'pytorch' | 'tf' | 'tf-original';

/** Every {@link NetworkFlavor}. */
export const NETWORK_FLAVORS: readonly NetworkFlavor[] = ['pytorch', 'tf', 'tf-original'];

/**
 * The layer options a flavour sets. Each names the row of `DIFFERENCES.md` (G = generator,
 * D = discriminator) that it implements.
 */
export interface FlavorOptions {
  /** G1: a bias on every generator convolution (TF `ops.conv` default `use_bias=True`; PyTorch `bias=False`). */
  convBias: boolean;
  /** G2/G5: learned γ, β in the encoder's instance norms (TF `instance_norm(center, scale)`). */
  affineNorm: boolean;
  /** G4: the stride-2 down-sampling pad; TF pads top/left 1, bottom/right 0 (`[1, 0]`). */
  downPadding: ReflectionPadding;
  /** G6/G7: one CAM FC with a bias for GAP and GMP, re-weighting by w + b. */
  sharedCamFc: boolean;
  /** G6 before e8efff1: the generator's CAM logits from a separate `CAM_logit/dense`. */
  separateLogitFc: boolean;
  /** G11: biases on the γ/β MLP's four dense layers. */
  mlpBias: boolean;
  /** G17: unbiased (n − 1) variances in AdaLIN and LIN (PyTorch's `torch.var`); TF's `tf.nn.moments` is biased. */
  unbiasedVariance: boolean;
  /** G15: AdaLIN uses `clip(ρ − rhoOffset, 0, 1)` (TF with `--smoothing` since 3014f4a: 0.1). */
  rhoOffset: number;
  /** G15: AdaLIN's initial ρ (PyTorch 0.9; TF 1, or 0.9 before 3014f4a with `--smoothing`). */
  rhoInit: number;
  /** D4: the 4×4 stride-1 convolutions' pad; TF pads 1 before and 2 after, keeping the size. */
  stride1Padding: ReflectionPadding;
  /** D7: a bias on the discriminator's last convolution (`D_logit/bias`). */
  headBias: boolean;
  /** D10: the discriminator re-weights by SN(w) + b (TF since dfe60bb) instead of the raw weight. */
  normalizedScale: boolean;
  /** D8: spectral norm advances u on every call, not only in training (TF has no evaluation mode). */
  iterateInInference: boolean;
}

/**
 * The layer options of a flavour.
 *
 * @param smoothing - the TensorFlow reference's `--smoothing` flag (default true, and the
 *   released model's): it sets AdaLIN's ρ offset or initial value. Ignored by `'pytorch'`.
 * @example
 * ```ts
 * flavorOptions('tf').rhoOffset; // 0.1
 * ```
 */
export function flavorOptions(flavor: NetworkFlavor, smoothing = true): FlavorOptions {
  if (flavor === 'pytorch') {
    return {
      convBias: false, affineNorm: false, downPadding: 1, sharedCamFc: false, separateLogitFc: false, mlpBias: false,
      unbiasedVariance: true, rhoOffset: 0, rhoInit: 0.9, stride1Padding: 1, headBias: false, normalizedScale: false,
      iterateInInference: false,
    };
  }
  if (flavor !== 'tf' && flavor !== 'tf-original') {
    throw new UGATITConfigError(`flavor must be one of ${NETWORK_FLAVORS.join(', ')}, received ${JSON.stringify(flavor)}`);
  }
  const original = flavor === 'tf-original';
  return {
    convBias: true, affineNorm: true, downPadding: [1, 0], sharedCamFc: true, separateLogitFc: original, mlpBias: true,
    unbiasedVariance: false,
    rhoOffset: smoothing && !original ? 0.1 : 0,
    rhoInit: smoothing && original ? 0.9 : 1,
    stride1Padding: [1, 2], headBias: true, normalizedScale: !original, iterateInInference: true,
  };
}

/**
 * The flavour a network built by `createGenerator` or `createDiscriminator` was built with, read
 * off its `cam` layer (also after a `model.json` round trip).
 *
 * @throws {@link UGATITConfigError} when the model has no `cam` layer of ours.
 * @example
 * ```ts
 * networkFlavor(await loadLayersModelFromDir('weights/selfie2anime/genA2B')); // 'tf-original'
 * ```
 */
export function networkFlavor(model: tfl.LayersModel): NetworkFlavor {
  const cam = model.layers.find((l) => l.name === 'cam');
  const config = cam?.getConfig();
  if (!cam || cam.getClassName() !== 'UgatitCAMAttention' || !config) {
    throw new UGATITConfigError(`${model.name} has no CAM attention layer named cam: not built by createGenerator or createDiscriminator`);
  }
  if (!config.sharedFc) return 'pytorch';
  if (config.separateLogitFc) return 'tf-original';
  return config.spectralNorm && !config.normalizedScale ? 'tf-original' : 'tf';
}
