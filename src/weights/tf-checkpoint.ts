import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { UGATITConfigError, UGATITFormatError } from '../errors';
import { withoutWeightDraws } from '../layers/initializers';
import { powerIteration } from '../layers/spectral-norm';
import { openTFCheckpoint, type TFCheckpoint } from '../io/tf-checkpoint';
import { createDiscriminator } from '../networks/discriminator';
import type { NetworkFlavor } from '../networks/flavor';
import { createGenerator } from '../networks/generator';
import type { NetworkName } from '../training/trainer';

/** The six networks in our order, with the official TensorFlow scope each comes from. */
const SCOPES: Readonly<Record<NetworkName, string>> = {
  // The official code's generator_B translates A → B (`generate_a2b` uses scope "generator_B").
  genA2B: 'generator_B', genB2A: 'generator_A',
  disGA: 'discriminator_A/global', disGB: 'discriminator_B/global',
  disLA: 'discriminator_A/local', disLB: 'discriminator_B/local',
};
const GENERATORS: readonly NetworkName[] = ['genA2B', 'genB2A'];
const DISCRIMINATORS: readonly NetworkName[] = ['disGA', 'disGB', 'disLA', 'disLB'];

/** What a TensorFlow U-GAT-IT checkpoint was trained with, as read off its variables and folder. */
export interface TFCheckpointConfig {
  /** The TensorFlow code version the networks reproduce. */
  flavor: Exclude<NetworkFlavor, 'pytorch'>;
  /** Why that version: what was found in the checkpoint, or that it was given. */
  flavorReason: string;
  /** Light generators (`--light`): the MLP sees globally pooled features. */
  light: boolean;
  /** `--ch`: width of the first convolution (our `ngf` and `ndf`). */
  ch: number;
  /** `--n_res`: residual blocks (always 4: the official code builds nothing else). */
  nRes: number;
  /** `--n_dis`: the global discriminator has `n_dis + 1` of our layers, the local one `n_dis − 1`. */
  nDis: number;
  /** `--img_size`: read off a full generator's MLP; for light ones the folder cannot tell, so it is the option (default 256). */
  imgSize: number;
  /** Whether `imgSize` comes from the weights (full generators) rather than the options. */
  imgSizeFromWeights: boolean;
  /** Image channels in and out (`--img_ch`). */
  imgCh: number;
  /** `--smoothing`: from the folder name (`…_smoothing`), the option, or the official default (true). */
  smoothing: boolean;
  /** The training step in the checkpoint name (`UGATIT.model-1000000` → 1000000), if any. */
  step: number | null;
  /** The official folder name's fields, when the folder has one. */
  modelDir: OfficialModelDir | null;
}

/** The fields of the official checkpoint folder name (`UGATIT.model_dir`). */
export interface OfficialModelDir {
  /** The folder name. */
  name: string;
  /** `UGATIT` or `UGATIT_light`. */
  modelName: string;
  /** `--dataset`, e.g. `selfie2anime`. */
  dataset: string;
  /** `--gan_type`, e.g. `lsgan`. */
  ganType: string;
  /** `--n_res`. */
  nRes: number;
  /** `--n_dis`. */
  nDis: number;
  /** `--sn`. */
  sn: boolean;
  /** `--smoothing`. */
  smoothing: boolean;
}

const MODEL_DIR = /^(UGATIT(?:_light)?)_(.+)_(gan|lsgan|wgan-gp|wgan-lp|dragan|hinge)_(\d+)resblock_(\d+)dis_(\d+)_(\d+)_(\d+)_(\d+)_(\d+)(_sn)?(_smoothing)?$/;

/**
 * Parses an official checkpoint folder name, `{UGATIT|UGATIT_light}_{dataset}_{gan_type}_{n_res}resblock_{n_dis}dis_{n_critic}_{adv}_{cycle}_{identity}_{cam}[_sn][_smoothing]`.
 *
 * @returns the fields, or null when the name is not of that form.
 * @example
 * ```ts
 * parseOfficialModelDir('UGATIT_selfie2anime_lsgan_4resblock_6dis_1_1_10_10_1000_sn_smoothing')?.nDis; // 6
 * ```
 */
export function parseOfficialModelDir(name: string): OfficialModelDir | null {
  const m = MODEL_DIR.exec(name);
  if (!m) return null;
  return {
    name, modelName: m[1]!, dataset: m[2]!, ganType: m[3]!, nRes: Number(m[4]), nDis: Number(m[5]), sn: m[11] !== undefined,
    smoothing: m[12] !== undefined,
  };
}

/** Options of {@link loadTFCheckpoint} and {@link openTFCheckpointNetworks}. */
export interface LoadTFCheckpointOptions {
  /** Load the four discriminators too (not needed to translate). Default true. */
  discriminators?: boolean;
  /** Image side of light generators, which their weights do not fix; full generators must agree. Default 256. */
  imgSize?: number;
  /** `--smoothing`, when the folder name does not say; must agree when it does. Default true (the official default). */
  smoothing?: boolean;
  /**
   * The TensorFlow code version to reproduce, when it cannot be read off the checkpoint (see
   * {@link TFCheckpointConfig.flavor}); must agree with what the checkpoint shows. Default: detected.
   */
  flavor?: Exclude<NetworkFlavor, 'pytorch'>;
  /** Called after every piece read, with the bytes read so far over all the tensors to load. */
  onProgress?: (p: TFLoadProgress) => void;
}

/** Progress of a checkpoint load. */
export interface TFLoadProgress {
  /** The network being loaded. */
  network: NetworkName;
  /** The variable being read. */
  variable: string;
  /** Bytes read so far, over every network requested. */
  bytesRead: number;
  /** Bytes of every variable to read. */
  bytesTotal: number;
}

/** One checkpoint variable mapped onto a weight of ours. */
export interface TFWeightRow {
  /** The TensorFlow variable, e.g. `generator_B/conv/conv2d/kernel`. */
  tfName: string;
  /** The network it goes to. */
  network: NetworkName;
  /** Our weight, `<layer>/<weight>`, e.g. `stem_conv/kernel`. */
  weight: string;
  /** How the value changes on the way: `'same'` (the layouts agree: HWIO kernels, `[in, out]` dense kernels, NHWC flattening) or `'vector'` (a spectral-norm `u` `[1, out]` → `[out]`). */
  transform: 'same' | 'vector';
}

/** What a checkpoint's variables became. */
export interface TFCheckpointPlan {
  /** The configuration read off the checkpoint. */
  config: TFCheckpointConfig;
  /** Every variable loaded, and where. */
  rows: TFWeightRow[];
  /** Every variable not loaded, with the reason (optimizer state, or a network not requested). */
  skipped: Array<{
    /** The variable. */
    name: string;
    /** Why it is not loaded. */
    reason: string;
  }>;
}

function tfWeightRows(network: NetworkName, c: { nRes: number; nDis: number; flavor: NetworkFlavor }): TFWeightRow[] {
  const scope = SCOPES[network];
  const rows: TFWeightRow[] = [];
  const row = (tfName: string, weight: string, transform: TFWeightRow['transform'] = 'same') =>
    rows.push({ tfName: `${scope}/${tfName}`, network, weight, transform });
  const conv = (tfConv: string, layer: string) => { row(`${tfConv}/kernel`, `${layer}/kernel`); row(`${tfConv}/bias`, `${layer}/bias`); };
  const affine = (tfNorm: string, layer: string) => { row(`${tfNorm}/gamma`, `${layer}/gamma`); row(`${tfNorm}/beta`, `${layer}/beta`); };
  if (GENERATORS.includes(network)) {
    conv('conv/conv2d', 'stem_conv');
    affine('ins_norm', 'stem_norm');
    for (const i of [0, 1]) { conv(`conv_${i}/conv2d`, `down_${i + 1}_conv`); affine(`ins_norm_${i}`, `down_${i + 1}_norm`); }
    for (let i = 0; i < c.nRes; i++) {
      for (const j of [1, 2]) {
        conv(`resblock_${i}/res${j}/conv_0/conv2d`, `enc_res_${i + 1}_${j}_conv`);
        affine(`resblock_${i}/res${j}/instance_norm`, `enc_res_${i + 1}_${j}_norm`);
      }
    }
    row('CAM_logit/kernel', 'cam/fc_kernel');
    row('CAM_logit/bias', 'cam/fc_bias');
    if (c.flavor === 'tf-original') { row('CAM_logit/dense/kernel', 'cam/logit_fc_kernel'); row('CAM_logit/dense/bias', 'cam/logit_fc_bias'); }
    row('conv_1x1/conv2d/kernel', 'cam/conv1x1_kernel');
    row('conv_1x1/conv2d/bias', 'cam/conv1x1_bias');
    conv('MLP/linear_0/dense', 'mlp_fc1');
    conv('MLP/linear_1/dense', 'mlp_fc2');
    conv('MLP/gamma/dense', 'gamma');
    conv('MLP/beta/dense', 'beta');
    for (let i = 0; i < c.nRes; i++) {
      for (const j of [1, 2]) {
        conv(`adaptive_resblock${i}/res${j}/conv_0/conv2d`, `dec_res_${i + 1}_${j}_conv`);
        row(`adaptive_resblock${i}/res${j}/instance_layer_norm/rho`, `dec_res_${i + 1}_${j}_norm/rho`);
      }
    }
    for (const i of [0, 1]) {
      conv(`up_conv_${i}/conv2d`, `up_${i + 1}_conv`);
      for (const p of ['rho', 'gamma', 'beta']) row(`layer_ins_norm_${i}/${p}`, `up_${i + 1}_norm/${p}`);
    }
    conv('G_logit/conv2d', 'head_conv');
    return rows;
  }
  const nLayers = network.startsWith('disG') ? c.nDis + 1 : c.nDis - 1;
  const snConv = (tfConv: string, layer: string) => { conv(tfConv, layer); row(`${tfConv}/u`, `${layer}/u`, 'vector'); };
  for (let i = 0; i < nLayers - 2; i++) snConv(`conv_${i}`, `conv_${i + 1}`);
  snConv('conv_last', `conv_${nLayers - 1}`);
  row('CAM_logit/kernel', 'cam/fc_kernel');
  row('CAM_logit/bias', 'cam/fc_bias');
  row('CAM_logit/u', 'cam/fc_u', 'vector');
  row('conv_1x1/conv2d/kernel', 'cam/conv1x1_kernel');
  row('conv_1x1/conv2d/bias', 'cam/conv1x1_bias');
  snConv('D_logit', 'head');
  return rows;
}

/** Checkpoint variable name → its shape: a checkpoint's `entries`, or a list of variables. */
export type TFVariableShapes = ReadonlyMap<string, {
  /** The variable's shape. */
  readonly shape: readonly number[];
}>;

function shapeOf(entries: TFVariableShapes, name: string): readonly number[] {
  const e = entries.get(name);
  if (!e) throw new UGATITFormatError('TensorFlow checkpoint', `variable ${name} is missing; not an official U-GAT-IT checkpoint`);
  return e.shape;
}

function countMatching(entries: TFVariableShapes, pattern: RegExp): number {
  let n = 0;
  for (const name of entries.keys()) if (pattern.test(name)) n++;
  return n;
}

/**
 * Reads a TensorFlow U-GAT-IT checkpoint's configuration off its variable shapes, checked
 * against the official folder name and checkpoint name where they say something: `ch` and
 * image channels from `generator_B/conv/conv2d/kernel`, `n_res` from the residual blocks, light
 * or full (and a full generator's image size) from `MLP/linear_0/dense/kernel`, `n_dis` from
 * the discriminators' convolutions (global and local must agree).
 *
 * @param entries - variable name → shape, e.g. a checkpoint's `entries`.
 * @param where - the checkpoint's folder name and file prefix name (`UGATIT.model-1000000`), when known.
 * @param options - `imgSize` for light generators and `smoothing` when the folder name does not say.
 * @throws {@link ugatit-tf!UGATITFormatError} when variables are missing or disagree, {@link ugatit-tf!UGATITConfigError} when they contradict the folder name or the options.
 * @example
 * ```ts
 * const config = inferTFCheckpointConfig(ckpt.entries, { folder: 'UGATIT_selfie2anime_lsgan_4resblock_6dis_1_1_10_10_1000_sn_smoothing' });
 * ```
 */
export function inferTFCheckpointConfig(
  entries: TFVariableShapes, where: { folder?: string; prefixName?: string } = {}, options: Pick<LoadTFCheckpointOptions, 'imgSize' | 'smoothing'> = {},
): Omit<TFCheckpointConfig, 'flavor' | 'flavorReason'> {
  const owner = 'TensorFlow checkpoint';
  for (const scope of ['generator_A', 'generator_B']) {
    if (!entries.has(`${scope}/conv/conv2d/kernel`)) {
      throw new UGATITFormatError(owner, `no ${scope}/conv/conv2d/kernel: not an official U-GAT-IT checkpoint (first variables: ${[...entries.keys()].slice(0, 4).join(', ')})`);
    }
  }
  const [, , imgCh, ch] = shapeOf(entries, 'generator_B/conv/conv2d/kernel') as [number, number, number, number];
  const nRes = countMatching(entries, /^generator_B\/resblock_\d+\/res1\/conv_0\/conv2d\/kernel$/);
  const [rows] = shapeOf(entries, 'generator_B/MLP/linear_0/dense/kernel') as [number, number];
  const light = rows === 4 * ch;
  const nDisGlobal = countMatching(entries, /^discriminator_A\/global\/conv_\d+\/kernel$/) + 1;
  const nDisLocal = countMatching(entries, /^discriminator_A\/local\/conv_\d+\/kernel$/) + 3;
  if (countMatching(entries, /^discriminator_.\/(global|local)\/conv_\d+\/conv2d\/kernel$/) > 0) {
    throw new UGATITFormatError(owner, 'the discriminators have no spectral norm (trained with --sn False), which is not supported');
  }
  if (nDisGlobal !== nDisLocal || nDisGlobal < 4) {
    throw new UGATITFormatError(owner, `the global discriminator has ${nDisGlobal - 1} stride-2 convolutions (n_dis ${nDisGlobal}) and the local one ${nDisLocal - 3} (n_dis ${nDisLocal}); they must agree, with n_dis ≥ 4`);
  }
  const nDis = nDisGlobal;
  let imgSize = options.imgSize ?? 256;
  if (!light) {
    const side = Math.sqrt(rows / (4 * ch));
    if (!Number.isInteger(side)) throw new UGATITFormatError(owner, `generator_B/MLP/linear_0/dense/kernel has ${rows} rows, neither ${4 * ch} (light) nor (img_size/4)²·${4 * ch} (full)`);
    if (options.imgSize !== undefined && options.imgSize !== 4 * side) {
      throw new UGATITConfigError(`${owner}: the full generators' weights fix the image size at ${4 * side}, received imgSize ${options.imgSize}`);
    }
    imgSize = 4 * side;
  }
  const modelDir = where.folder ? parseOfficialModelDir(where.folder) : null;
  const disagree = (what: string, folder: unknown, weights: unknown) =>
    new UGATITConfigError(`${owner}: the folder name ${where.folder} says ${what} ${folder}, the variables say ${weights}`);
  if (modelDir) {
    if ((modelDir.modelName === 'UGATIT_light') !== light) throw disagree('light', modelDir.modelName === 'UGATIT_light', light);
    if (modelDir.nRes !== nRes) throw disagree('n_res', modelDir.nRes, nRes);
    if (modelDir.nDis !== nDis) throw disagree('n_dis', modelDir.nDis, nDis);
    if (!modelDir.sn) throw disagree('sn', false, 'spectral norm (u variables)');
    if (options.smoothing !== undefined && options.smoothing !== modelDir.smoothing) {
      throw new UGATITConfigError(`${owner}: the folder name ${where.folder} says smoothing ${modelDir.smoothing}, received smoothing ${options.smoothing}`);
    }
  }
  const prefix = where.prefixName ? /^(UGATIT(?:_light)?)\.model-(\d+)$/.exec(where.prefixName) : null;
  if (prefix && (prefix[1] === 'UGATIT_light') !== light) {
    throw new UGATITConfigError(`${owner}: the checkpoint is named ${where.prefixName} but its generators are ${light ? 'light' : 'full'}`);
  }
  if (nRes !== 4) throw new UGATITFormatError(owner, `${nRes} residual blocks: the official code builds only n_res 4 (its MLP is ch·n_res wide)`);
  return {
    light, ch, nRes, nDis, imgSize, imgSizeFromWeights: !light, imgCh, smoothing: modelDir?.smoothing ?? options.smoothing ?? true,
    step: prefix ? Number(prefix[2]) : null, modelDir,
  };
}

const isOptimizerState = (name: string): string | null => {
  if (/\/Adam(_1)?$/.test(name)) return 'Adam moment (optimizer state)';
  if (/^beta[12]_power(_1)?$/.test(name)) return 'Adam β power (optimizer state)';
  return null;
};

/**
 * Which variables of a checkpoint go where: one {@link TFWeightRow} per weight and spectral-norm
 * `u` of the requested networks, and a reason for every other variable (Adam moments and β
 * powers, discriminators when not requested). Variables that fit neither are refused.
 *
 * @param entries - variable name → shape.
 * @param config - from {@link inferTFCheckpointConfig}, with the flavour.
 * @param networks - the networks to load.
 * @throws {@link ugatit-tf!UGATITFormatError} listing unexpected and missing variables together.
 * @example
 * ```ts
 * const { rows, skipped } = planTFCheckpoint(ckpt.entries, config, ['genA2B', 'genB2A']);
 * ```
 */
export function planTFCheckpoint(entries: TFVariableShapes, config: TFCheckpointConfig, networks: readonly NetworkName[]): TFCheckpointPlan {
  const all = (Object.keys(SCOPES) as NetworkName[]).map((n) => [n, tfWeightRows(n, config)] as const);
  const wanted = new Set(networks);
  const rows = all.filter(([n]) => wanted.has(n)).flatMap(([, r]) => r);
  const unwanted = new Map(all.filter(([n]) => !wanted.has(n)).flatMap(([n, r]) => r.map((x) => [x.tfName, n] as const)));
  const mapped = new Set(rows.map((r) => r.tfName));
  const skipped: TFCheckpointPlan['skipped'] = [];
  const unexpected: string[] = [];
  for (const name of entries.keys()) {
    if (mapped.has(name)) continue;
    const reason = isOptimizerState(name) ?? (unwanted.has(name) ? `${unwanted.get(name)} not requested` : null);
    if (reason) skipped.push({ name, reason });
    else unexpected.push(name);
  }
  const missing = rows.filter((r) => !entries.has(r.tfName)).map((r) => r.tfName);
  if (unexpected.length || missing.length) {
    throw new UGATITFormatError('TensorFlow checkpoint', [
      `does not fit the official ${config.flavor === 'tf' ? 'TensorFlow code (d508e8f)' : 'first TensorFlow code (a152166)'} with ${describeTFConfig(config)}`,
      missing.length ? `missing variables: ${missing.join(', ')}` : '',
      unexpected.length ? `unexpected variables: ${unexpected.join(', ')}` : '',
    ].filter(Boolean).join('. '));
  }
  return { config, rows, skipped };
}

/**
 * A one-line description of a checkpoint's configuration, e.g.
 * `full, ch 64, n_res 4, n_dis 6, 256 px, smoothing`.
 *
 * @example
 * ```ts
 * console.log(describeTFConfig(networks.config));
 * ```
 */
export function describeTFConfig(c: Omit<TFCheckpointConfig, 'flavor' | 'flavorReason'>): string {
  return `${c.light ? 'light' : 'full'}, ch ${c.ch}, n_res ${c.nRes}, n_dis ${c.nDis}, ${c.imgSize} px${c.imgSizeFromWeights ? '' : ' (not fixed by the weights)'}, ${c.smoothing ? 'smoothing' : 'no smoothing'}`;
}

/**
 * Which TensorFlow code version wrote a checkpoint (DIFFERENCES.md, "Which code made the
 * released checkpoint"): the first code (a152166) holds `generator_{A,B}/CAM_logit/dense/…` and,
 * with `--smoothing`, clips AdaLIN ρ to [0, 0.9]; the code since 3014f4a clips ρ to [0, 1] and
 * since e8efff1 has no `dense` variables. A checkpoint with both signs is from the commits in
 * between and is refused; one with neither (no `dense`, every ρ ≤ 0.9, smoothing) cannot be
 * told apart and needs `flavor`.
 */
function detectFlavor(hasDense: boolean, rhoMax: number, smoothing: boolean, given: LoadTFCheckpointOptions['flavor']): { flavor: 'tf' | 'tf-original'; reason: string } {
  const owner = 'TensorFlow checkpoint';
  const rho = `largest AdaLIN ρ ${rhoMax.toFixed(4)}`;
  if (hasDense) {
    if (smoothing && rhoMax > 0.9) {
      throw new UGATITFormatError(owner, `holds generator CAM_logit/dense variables (code before e8efff1, 2019-08-20) and an AdaLIN ρ above 0.9 (${rho}; the first code clips it to 0.9 with smoothing): written by a commit between 3014f4a and e8efff1, whose networks neither flavour reproduces`);
    }
    if (given === 'tf') throw new UGATITConfigError(`${owner}: flavor 'tf' was given, but the checkpoint holds CAM_logit/dense variables, which only the first code (flavor 'tf-original') has`);
    return { flavor: 'tf-original', reason: `CAM_logit/dense variables present, ${rho}: the first TensorFlow code (a152166)` };
  }
  if (given === 'tf-original') {
    throw new UGATITConfigError(`${owner}: flavor 'tf-original' was given, but the checkpoint has no CAM_logit/dense variables, which the first code always writes`);
  }
  if (given === 'tf') return { flavor: 'tf', reason: `given (no CAM_logit/dense variables, ${rho})` };
  if (!smoothing || rhoMax > 0.9) {
    return { flavor: 'tf', reason: `no CAM_logit/dense variables${smoothing ? `, ${rho} > 0.9` : ''}: the TensorFlow code since e8efff1` };
  }
  throw new UGATITFormatError(owner, `cannot tell which TensorFlow code wrote it: no CAM_logit/dense variables (the code since 2019-08-20) but every AdaLIN ρ ≤ 0.9 (${rho}), as the first code's clip would leave them; pass flavor 'tf' (ρ used as clip(ρ − 0.1, 0, 1)) or 'tf-original' (ρ as stored)`);
}

/** An opened TensorFlow checkpoint whose networks are built and loaded one at a time. */
export interface TFCheckpointNetworks {
  /** The configuration and code version read off the checkpoint. */
  readonly config: TFCheckpointConfig;
  /** Where every variable goes, and why the others are skipped. */
  readonly plan: TFCheckpointPlan;
  /** Bytes of all the variables the requested networks load. */
  readonly bytesTotal: number;
  /** The networks that can be loaded (the discriminators only when requested). */
  readonly networks: readonly NetworkName[];
  /**
   * Builds one network ({@link createGenerator} / {@link createDiscriminator} with the
   * checkpoint's flavour) and loads its variables, streamed one by one. The caller disposes it.
   */
  load(network: NetworkName): Promise<tfl.LayersModel>;
  /** Closes the checkpoint's files. */
  close(): Promise<void>;
}

function buildNetwork(network: NetworkName, c: TFCheckpointConfig): tfl.LayersModel {
  // Every weight is loaded next: drawing a full generator's 2²⁸-element MLP kernel first would
  // cost seconds and a resident gigabyte that only the garbage collector gives back.
  return withoutWeightDraws(() => (GENERATORS.includes(network)
    ? createGenerator({
      flavor: c.flavor, smoothing: c.smoothing, ngf: c.ch, nBlocks: c.nRes, imgSize: c.imgSize, light: c.light,
      inputChannels: c.imgCh, outputChannels: c.imgCh, name: network,
    })
    : createDiscriminator({ flavor: c.flavor, ndf: c.ch, nLayers: network.startsWith('disG') ? c.nDis + 1 : c.nDis - 1, inputChannels: c.imgCh, name: network })));
}

function weightsByName(model: tfl.LayersModel): Map<string, tfl.LayerVariable> {
  const out = new Map<string, tfl.LayerVariable>();
  for (const layer of model.layers) {
    for (const w of layer.weights) out.set(`${layer.name}/${w.originalName.slice(w.originalName.lastIndexOf('/') + 1)}`, w);
  }
  return out;
}

/**
 * Opens an official TensorFlow U-GAT-IT checkpoint (what `python main.py --phase train` of
 * taki0112/UGATIT saves, e.g. the released selfie2anime one) for loading into TF-flavour
 * networks one at a time, which keeps memory to one network while converting. Reads the index,
 * the configuration ({@link inferTFCheckpointConfig}), the code version (from the generators'
 * AdaLIN ρ and `CAM_logit/dense` variables) and the plan ({@link planTFCheckpoint}); no weight
 * yet. Node only. Most users want {@link loadTFCheckpoint}.
 *
 * @param dirOrPrefix - the folder holding `checkpoint`, or a checkpoint prefix (see {@link resolveTFCheckpointPrefix}).
 * @example
 * ```ts
 * const ckpt = await openTFCheckpointNetworks('UGATIT_selfie2anime_lsgan_4resblock_6dis_1_1_10_10_1000_sn_smoothing', { discriminators: false });
 * try {
 *   const genA2B = await ckpt.load('genA2B');
 * } finally {
 *   await ckpt.close();
 * }
 * ```
 */
export async function openTFCheckpointNetworks(dirOrPrefix: string, options: LoadTFCheckpointOptions = {}): Promise<TFCheckpointNetworks> {
  const path = await import('node:path');
  const ckpt: TFCheckpoint = await openTFCheckpoint(dirOrPrefix);
  try {
    const inferred = inferTFCheckpointConfig(ckpt.entries, {
      folder: path.basename(path.dirname(ckpt.prefix)), prefixName: path.basename(ckpt.prefix),
    }, options);
    let rhoMax = -Infinity;
    for (const g of ['generator_A', 'generator_B']) {
      for (let i = 0; i < inferred.nRes; i++) {
        for (const j of [1, 2]) {
          const name = `${g}/adaptive_resblock${i}/res${j}/instance_layer_norm/rho`;
          if (!ckpt.entries.has(name)) continue;
          const rho = await ckpt.readTensor(name);
          rhoMax = Math.max(rhoMax, tf.tidy(() => tf.max(rho).dataSync()[0]!));
          rho.dispose();
        }
      }
    }
    const hasDense = ['generator_A', 'generator_B'].some((g) => ckpt.entries.has(`${g}/CAM_logit/dense/kernel`));
    const { flavor, reason } = detectFlavor(hasDense, rhoMax, inferred.smoothing, options.flavor);
    const config: TFCheckpointConfig = { ...inferred, flavor, flavorReason: reason };
    const networks = options.discriminators === false ? GENERATORS : [...GENERATORS, ...DISCRIMINATORS];
    const plan = planTFCheckpoint(ckpt.entries, config, networks);
    const bytesTotal = plan.rows.reduce((n, r) => n + ckpt.entries.get(r.tfName)!.size, 0);
    let bytesDone = 0;
    return {
      config, plan, bytesTotal, networks,
      async load(network) {
        if (!networks.includes(network)) throw new UGATITConfigError(`openTFCheckpointNetworks: ${network} was not requested (discriminators: false)`);
        const model = buildNetwork(network, config);
        try {
          const weights = weightsByName(model);
          const rows = plan.rows.filter((r) => r.network === network);
          const loaded = new Set<string>();
          for (const row of rows) {
            const variable = weights.get(row.weight);
            if (!variable) throw new UGATITFormatError(network, `has no weight ${row.weight} for ${row.tfName}`);
            const entry = ckpt.entries.get(row.tfName)!;
            const shape = row.transform === 'vector' ? [1, ...variable.shape] : variable.shape;
            if (!tf.util.arraysEqual(entry.shape as number[], shape as number[])) {
              throw new UGATITFormatError(row.tfName, `has shape [${entry.shape}], ${network}'s ${row.weight} needs [${shape}]`);
            }
            const before = bytesDone;
            const t = await ckpt.readTensor(row.tfName, (p) => options.onProgress?.({ network, variable: row.tfName, bytesRead: before + p.bytesRead, bytesTotal }));
            bytesDone = before + entry.size;
            tf.tidy(() => { variable.write(row.transform === 'vector' ? tf.reshape(t, variable.shape as number[]) : t); });
            t.dispose();
            loaded.add(row.weight);
          }
          // TensorFlow keeps no v: set it to the v̂ its next power iteration computes from u, so
          // that the state is consistent (each call recomputes it anyway).
          for (const [name, v] of weights) {
            if (!name.endsWith('/v') && !name.endsWith('_v')) continue;
            const base = name.slice(0, -1);
            const kernel = weights.get(`${base}kernel`);
            const u = weights.get(`${base}u`);
            if (!kernel || !u) throw new UGATITFormatError(network, `spectral-norm state ${name} has no kernel and u beside it`);
            tf.tidy(() => { v.write(powerIteration(kernel.read(), u.read() as tf.Tensor1D).v); });
            loaded.add(name);
          }
          const notLoaded = [...weights.keys()].filter((w) => !loaded.has(w));
          if (notLoaded.length) throw new UGATITFormatError(network, `weights the checkpoint does not provide: ${notLoaded.join(', ')}`);
          return model;
        } catch (e) {
          model.dispose();
          throw e;
        }
      },
      close: () => ckpt.close(),
    };
  } catch (e) {
    await ckpt.close();
    throw e;
  }
}

/** What {@link loadTFCheckpoint} returns: our six networks (or two), in our order and names. */
export interface TFCheckpointModels {
  /** A → B (the official `generator_B`). */
  genA2B: tfl.LayersModel;
  /** B → A (the official `generator_A`). */
  genB2A: tfl.LayersModel;
  /** Global discriminator of domain A (`discriminator_A/global`); absent with `discriminators: false`. */
  disGA?: tfl.LayersModel;
  /** Global discriminator of domain B. */
  disGB?: tfl.LayersModel;
  /** Local discriminator of domain A (`discriminator_A/local`). */
  disLA?: tfl.LayersModel;
  /** Local discriminator of domain B. */
  disLB?: tfl.LayersModel;
  /** The checkpoint's configuration and code version. */
  config: TFCheckpointConfig;
  /** Where every variable went, and why the others were skipped. */
  plan: TFCheckpointPlan;
}

/**
 * Loads an official TensorFlow U-GAT-IT checkpoint (taki0112/UGATIT, e.g. the released
 * selfie2anime model) into TF-flavour networks of this library ({@link createGenerator} /
 * {@link createDiscriminator} with `flavor: 'tf'` or `'tf-original'`), in Node without Python:
 * the data file is read by offset, only the variables needed (a third of the released 8 GB
 * file; the rest is Adam state). Outputs keep our order and layouts:
 * generators `[image, camLogit, heatmap]`, discriminators `[logit, camLogit, heatmap]`, NHWC
 * with the batch axis (the official code squeezes heatmaps).
 *
 * @param dirOrPrefix - the folder holding `checkpoint` (the official `checkpoint/<model_dir>`), or a checkpoint prefix.
 * @throws {@link ugatit-tf!UGATITFormatError} / {@link ugatit-tf!UGATITConfigError} naming what does not fit.
 * @example
 * ```ts
 * const { genA2B, config } = await loadTFCheckpoint('checkpoint/UGATIT_selfie2anime_lsgan_4resblock_6dis_1_1_10_10_1000_sn_smoothing', { discriminators: false });
 * const { image } = await translate(genA2B, 'selfie.jpg');
 * ```
 */
export async function loadTFCheckpoint(dirOrPrefix: string, options: LoadTFCheckpointOptions = {}): Promise<TFCheckpointModels> {
  const opened = await openTFCheckpointNetworks(dirOrPrefix, options);
  const models: Partial<Record<NetworkName, tfl.LayersModel>> = {};
  try {
    for (const n of opened.networks) models[n] = await opened.load(n);
  } catch (e) {
    for (const m of Object.values(models)) m.dispose();
    throw e;
  } finally {
    await opened.close();
  }
  return { ...models, config: opened.config, plan: opened.plan } as TFCheckpointModels;
}

// Deprecated spellings (docs/api.md lists every rename).

/** @deprecated Renamed {@link loadTFCheckpoint}; this alias is kept for existing code and goes in the next major version. */
export const loadTfCheckpoint = loadTFCheckpoint;

/** @deprecated Renamed {@link LoadTFCheckpointOptions}; this alias is kept for existing code and goes in the next major version. */
export type LoadTfCheckpointOptions = LoadTFCheckpointOptions;

/** @deprecated Renamed {@link TFCheckpointConfig}; this alias is kept for existing code and goes in the next major version. */
export type TfCheckpointConfig = TFCheckpointConfig;

/** @deprecated Renamed {@link TFCheckpointModels}; this alias is kept for existing code and goes in the next major version. */
export type TfCheckpointModels = TFCheckpointModels;

/** @deprecated Renamed {@link TFCheckpointPlan}; this alias is kept for existing code and goes in the next major version. */
export type TfCheckpointPlan = TFCheckpointPlan;

/** @deprecated Renamed {@link TFWeightRow}; this alias is kept for existing code and goes in the next major version. */
export type TfWeightRow = TFWeightRow;

/** @deprecated Renamed {@link TFLoadProgress}; this alias is kept for existing code and goes in the next major version. */
export type TfLoadProgress = TFLoadProgress;
