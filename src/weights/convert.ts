import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { UGATITConfigError, UGATITFormatError } from '../errors';
import type { NamedTensors } from '../io/safetensors';
import { loadTorchStateDict, type LoadTorchStateDictReport } from '../io/torch-state-dict';
import { createDiscriminator, type DiscriminatorConfig } from '../networks/discriminator';
import { createGenerator, type GeneratorConfig } from '../networks/generator';

/** The six network names of the reference's checkpoint. */
const SIX = ['genA2B', 'genB2A', 'disGA', 'disGB', 'disLA', 'disLB'] as const;

/** A network architecture read off a PyTorch state_dict. */
export type InferredNetwork =
  | {
    /** A `ResnetGenerator`. */
    kind: 'generator';
    /** Its configuration, for {@link createGenerator}. */
    config: Required<Pick<GeneratorConfig, 'inputChannels' | 'outputChannels' | 'ngf' | 'nBlocks' | 'imgSize' | 'light'>>;
    /** Whether `imgSize` was read off the weights (full generators) rather than taken from the options. */
    imgSizeInferred: boolean;
  }
  | {
    /** A `Discriminator`. */
    kind: 'discriminator';
    /** Its configuration, for {@link createDiscriminator}. */
    config: Required<Pick<DiscriminatorConfig, 'inputChannels' | 'ndf' | 'nLayers'>>;
  };

/** Options of {@link inferTorchNetwork} and {@link convertTorchCheckpoint}. */
export interface InferNetworkOptions {
  /** Generator image side; needed for light generators, whose weights do not fix it. Default 256 (the reference's). */
  imgSize?: number;
  /** Assert the generator kind; an error is thrown when the weights say otherwise. */
  light?: boolean;
}

/** Weight shapes by PyTorch key: a state_dict, or rows of `torchWeightTable`. */
export type TorchShapes = Readonly<Record<string, {
  /** The tensor's shape in PyTorch layout. */
  readonly shape: readonly number[];
}>>;

function shapeOf(sd: TorchShapes, key: string, owner: string): number[] {
  const t = sd[key];
  if (!t) throw new UGATITFormatError(owner, `key ${key} is missing; not a U-GAT-IT state_dict`);
  return [...t.shape];
}

/**
 * Reads a U-GAT-IT network's configuration off its PyTorch state_dict: for generators ngf and
 * input channels from `DownBlock.1.weight`, blocks from the `UpBlock1_<i>` keys, output channels
 * from the last `UpBlock2` convolution, light or full from `FC.0.weight` (a full generator's
 * FC sees all `(S/4)² · 4ngf` features, which gives S); for discriminators ndf and channels
 * from `model.1.weight_orig`, the depth from the number of `model.<i>.weight_orig` keys.
 *
 * @param owner - Names the state_dict in error messages.
 * @example
 * ```ts
 * const { kind, config } = inferTorchNetwork(ckpt.genA2B, 'genA2B', { imgSize: 256 });
 * ```
 */
export function inferTorchNetwork(sd: TorchShapes, owner: string, options: InferNetworkOptions = {}): InferredNetwork {
  const keys = Object.keys(sd);
  if ('DownBlock.1.weight' in sd) {
    const [ngf, inputChannels] = shapeOf(sd, 'DownBlock.1.weight', owner) as [number, number];
    const nBlocks = keys.filter((k) => /^UpBlock1_\d+\.conv1\.weight$/.test(k)).length;
    const up2 = keys.map((k) => /^UpBlock2\.(\d+)\.weight$/.exec(k)).filter((m) => m && sd[m[0]]!.shape.length === 4)
      .sort((a, b) => Number(b![1]) - Number(a![1]));
    if (up2.length === 0) throw new UGATITFormatError(owner, 'no UpBlock2 convolution; not a U-GAT-IT generator');
    const outputChannels = sd[up2[0]![0]]!.shape[0]!;
    const fcIn = shapeOf(sd, 'FC.0.weight', owner)[1]!;
    const light = fcIn === ngf * 4;
    if (options.light !== undefined && options.light !== light) {
      throw new UGATITConfigError(`${owner}: the weights are of a ${light ? 'light' : 'full'} generator (FC.0.weight has ${fcIn} inputs), not ${options.light ? 'light' : 'full'}`);
    }
    let imgSize = options.imgSize ?? 256;
    if (!light) {
      const side = Math.sqrt(fcIn / (ngf * 4));
      if (!Number.isInteger(side)) throw new UGATITFormatError(owner, `FC.0.weight has ${fcIn} inputs, not (S/4)²·${ngf * 4}`);
      if (options.imgSize !== undefined && options.imgSize !== side * 4) {
        throw new UGATITConfigError(`${owner}: the full generator's weights fix the image size at ${side * 4}, received --img-size ${options.imgSize}`);
      }
      imgSize = side * 4;
    }
    return { kind: 'generator', config: { inputChannels, outputChannels, ngf, nBlocks, imgSize, light }, imgSizeInferred: !light };
  }
  if ('model.1.weight_orig' in sd) {
    const [ndf, inputChannels] = shapeOf(sd, 'model.1.weight_orig', owner) as [number, number];
    const convs = keys.filter((k) => /^model\.\d+\.weight_orig$/.test(k)).length;
    return { kind: 'discriminator', config: { inputChannels, ndf, nLayers: convs + 1 } };
  }
  throw new UGATITFormatError(owner, `neither a U-GAT-IT generator (DownBlock.1.weight) nor discriminator (model.1.weight_orig); first keys: ${keys.slice(0, 5).join(', ')}`);
}

/**
 * Reads the architecture of a network built by {@link createGenerator} or
 * {@link createDiscriminator} (of any flavour) off its layers: widths from the first
 * convolution's kernel, blocks and depth from the layer names, light from the MLP's pooling,
 * the image size from the input.
 *
 * @throws {@link ugatit-tf!UGATITFormatError} for other models.
 * @example
 * ```ts
 * console.log(describeNetwork(inferModelNetwork(await loadLayersModelFromDir('weights/selfie2anime/genA2B'))));
 * ```
 */
export function inferModelNetwork(model: tfl.LayersModel): InferredNetwork {
  const has = (name: string) => model.layers.some((l) => l.name === name);
  const count = (pattern: RegExp) => model.layers.filter((l) => pattern.test(l.name)).length;
  const kernel = (layer: string) => model.getLayer(layer).weights.find((w) => /(^|\/)kernel$/.test(w.originalName))!.shape as number[];
  if (has('stem_conv') && has('head_conv') && has('cam')) {
    const [, , inputChannels, ngf] = kernel('stem_conv') as [number, number, number, number];
    const light = has('mlp_pool');
    const imgSize = model.inputs[0]!.shape[1] as number;
    return {
      kind: 'generator', imgSizeInferred: !light,
      config: { inputChannels, outputChannels: kernel('head_conv')[3]!, ngf, nBlocks: count(/^enc_res_\d+_add$/), imgSize, light },
    };
  }
  if (has('conv_1') && has('head') && has('cam')) {
    const [, , inputChannels, ndf] = kernel('conv_1') as [number, number, number, number];
    return { kind: 'discriminator', config: { inputChannels, ndf, nLayers: count(/^conv_\d+$/) + 1 } };
  }
  throw new UGATITFormatError('model', `${model.name} was not built by createGenerator or createDiscriminator`);
}

/**
 * Number of trainable parameters of a model.
 *
 * @example
 * ```ts
 * countParameters(createGenerator({ light: true })); // 8.6 M
 * ```
 */
export function countParameters(model: tfl.LayersModel): number {
  return model.trainableWeights.reduce((n, w) => n + w.shape.reduce<number>((a, b) => a * (b ?? 1), 1), 0);
}

/** One network converted by {@link convertTorchCheckpoint}. */
export interface ConvertedNetwork {
  /** `genA2B` … `disLB`, or the given name for a single state_dict. */
  name: string;
  /** The architecture read off the weights. */
  inferred: InferredNetwork;
  /** The network with the weights loaded (strictly). */
  model: tfl.LayersModel;
  /** Number of parameters (trainable weights' elements). */
  parameters: number;
  /** Keys loaded (strict mode: every key). */
  report: LoadTorchStateDictReport;
}

const isTensorDict = (x: unknown): x is NamedTensors =>
  !!x && typeof x === 'object' && !(x instanceof tf.Tensor) && Object.keys(x).length > 0 &&
  Object.values(x as object).every((v) => v instanceof tf.Tensor);

/**
 * Splits what `readTorchCheckpoint` or `readSafetensors` returned into named state_dicts: the
 * reference's six-network dict (`{genA2B: state_dict, …}`), a flat safetensors file with
 * `genA2B.`-prefixed keys, or one network's state_dict (named `single`).
 *
 * @example
 * ```ts
 * const dicts = splitStateDicts(readTorchCheckpoint(bytes), 'generator');
 * ```
 */
export function splitStateDicts(checkpoint: unknown, single = 'network'): Record<string, NamedTensors> {
  if (isTensorDict(checkpoint)) {
    const prefixed = Object.keys(checkpoint).every((k) => SIX.some((n) => k.startsWith(`${n}.`)));
    if (!prefixed) return { [single]: checkpoint };
    const out: Record<string, NamedTensors> = {};
    for (const [k, v] of Object.entries(checkpoint)) {
      const i = k.indexOf('.');
      (out[k.slice(0, i)] ??= {})[k.slice(i + 1)] = v;
    }
    return out;
  }
  if (checkpoint && typeof checkpoint === 'object') {
    const out: Record<string, NamedTensors> = {};
    for (const [k, v] of Object.entries(checkpoint)) if (isTensorDict(v)) out[k] = v;
    if (Object.keys(out).length > 0) return out;
  }
  throw new UGATITFormatError('checkpoint', 'holds no state_dict (expected {genA2B: state_dict, …} or a single state_dict)');
}

/**
 * Builds our networks for the state_dicts of an official PyTorch U-GAT-IT checkpoint and loads
 * them strictly (every key used, every shape right). The input tensors are not disposed.
 *
 * @example
 * ```ts
 * const ckpt = readTorchCheckpoint(new Uint8Array(await fs.readFile('selfie2anime_params_latest.pt')));
 * for (const net of convertTorchCheckpoint(splitStateDicts(ckpt), { imgSize: 256 })) {
 *   await saveLayersModelToDir(net.model, `weights/selfie2anime/${net.name}`);
 * }
 * ```
 */
export function convertTorchCheckpoint(dicts: Record<string, NamedTensors>, options: InferNetworkOptions = {}): ConvertedNetwork[] {
  const out: ConvertedNetwork[] = [];
  try {
    for (const [name, sd] of Object.entries(dicts)) {
      const inferred = inferTorchNetwork(sd, name, options);
      const model = inferred.kind === 'generator' ? createGenerator({ ...inferred.config, name }) : createDiscriminator({ ...inferred.config, name });
      out.push({ name, inferred, model, parameters: 0, report: { missing: [], unexpected: [], mismatched: [], loaded: [] } });
      out[out.length - 1]!.report = loadTorchStateDict(model, sd, { strict: true });
      out[out.length - 1]!.parameters = countParameters(model);
    }
  } catch (e) {
    for (const n of out) n.model.dispose();
    throw e;
  }
  return out;
}

/**
 * A one-line description of a network's architecture, e.g.
 * `generator (light, ngf 64, 4 blocks, 256 px, 3→3 channels)`.
 *
 * @example
 * ```ts
 * console.log(describeNetwork(inferTorchNetwork(sd, 'genA2B')));
 * ```
 */
export function describeNetwork(n: InferredNetwork): string {
  if (n.kind === 'generator') {
    const c = n.config;
    return `generator (${c.light ? 'light' : 'full'}, ngf ${c.ngf}, ${c.nBlocks} blocks, ${c.imgSize} px, ${c.inputChannels}→${c.outputChannels} channels)`;
  }
  const c = n.config;
  return `discriminator (${c.nLayers} layers, ndf ${c.ndf}, ${c.inputChannels} channels)`;
}
