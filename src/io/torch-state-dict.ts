import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { UGATITFormatError } from '../errors';
import { networkFlavor } from '../networks/flavor';
import type { NamedTensors } from './safetensors';

/** How one weight of ours maps onto one tensor of a PyTorch state_dict. */
export interface TorchWeightRow {
  /** The PyTorch state_dict key, e.g. `DownBlock.1.weight`. */
  torchKey: string;
  /** Our weight, e.g. the kernel of layer `stem_conv`. */
  variable: tfl.LayerVariable;
  /** The shape the tensor has in PyTorch. */
  torchShape: number[];
  /** PyTorch layout → ours. */
  toOurs(t: tf.Tensor): tf.Tensor;
  /** Ours → PyTorch layout. */
  toTorch(t: tf.Tensor): tf.Tensor;
}

type Layout = 'conv' | 'linear' | 'channel' | 'same' | 'snVector' | 'flattenedLinear';

function layoutOf(kind: Layout, ours: number[]): Pick<TorchWeightRow, 'torchShape' | 'toOurs' | 'toTorch'> {
  switch (kind) {
    case 'conv': { // torch [out, in, kh, kw] ↔ ours [kh, kw, in, out]
      const [kh, kw, cin, cout] = ours;
      return {
        torchShape: [cout, cin, kh, kw],
        toOurs: (t) => tf.transpose(t, [2, 3, 1, 0]),
        toTorch: (t) => tf.transpose(t, [3, 2, 0, 1]),
      };
    }
    case 'linear': // torch [out, in] ↔ ours [in, out]
      return { torchShape: [ours[1], ours[0]], toOurs: (t) => tf.transpose(t), toTorch: (t) => tf.transpose(t) };
    case 'channel': // torch [1, C, 1, 1] ↔ ours [C]
      return { torchShape: [1, ours[0], 1, 1], toOurs: (t) => tf.reshape(t, ours), toTorch: (t) => tf.reshape(t, [1, ours[0], 1, 1]) };
    case 'same':
      return { torchShape: ours, toOurs: (t) => tf.clone(t), toTorch: (t) => tf.clone(t) };
    default:
      throw new Error(`layout ${kind} needs extra shape information`);
  }
}

/** Spectral norm's `weight_v` follows W_mat's (in, kh, kw) columns; ours follows the kernel's (kh, kw, in) rows. */
function snVectorLayout(kernelShape: number[]): Pick<TorchWeightRow, 'torchShape' | 'toOurs' | 'toTorch'> {
  if (kernelShape.length === 2) return layoutOf('same', [kernelShape[0]]);
  const [kh, kw, cin] = kernelShape;
  const size = kh * kw * cin;
  return {
    torchShape: [size],
    toOurs: (t) => tf.reshape(tf.transpose(tf.reshape(t, [cin, kh, kw]), [1, 2, 0]), [size]),
    toTorch: (t) => tf.reshape(tf.transpose(tf.reshape(t, [kh, kw, cin]), [2, 0, 1]), [size]),
  };
}

/** The full generator's `FC.0.weight` multiplies the NCHW flattening (c, h, w); ours flattens NHWC (h, w, c). */
function flattenedLinearLayout(h: number, w: number, c: number, units: number): Pick<TorchWeightRow, 'torchShape' | 'toOurs' | 'toTorch'> {
  return {
    torchShape: [units, c * h * w],
    toOurs: (t) => tf.reshape(tf.transpose(tf.reshape(t, [units, c, h, w]), [2, 3, 1, 0]), [h * w * c, units]),
    toTorch: (t) => tf.reshape(tf.transpose(tf.reshape(t, [h, w, c, units]), [3, 2, 0, 1]), [units, c * h * w]),
  };
}

function weightOf(model: tfl.LayersModel, layerName: string, weightName: string): tfl.LayerVariable {
  const layer = model.getLayer(layerName);
  const found = layer.weights.find((w) => w.originalName === `${layerName}/${weightName}` || w.originalName.endsWith(`/${layerName}/${weightName}`));
  if (!found) throw new UGATITFormatError('model', `layer ${layerName} has no weight ${weightName}`);
  return found;
}

function hasLayer(model: tfl.LayersModel, name: string): boolean {
  return model.layers.some((l) => l.name === name);
}

function countLayers(model: tfl.LayersModel, pattern: RegExp): number {
  return model.layers.filter((l) => pattern.test(l.name)).length;
}

function generatorRows(model: tfl.LayersModel): TorchWeightRow[] {
  const rows: TorchWeightRow[] = [];
  const add = (layer: string, weight: string, torchKey: string, kind: Layout) => {
    const variable = weightOf(model, layer, weight);
    rows.push({ torchKey, variable, ...layoutOf(kind, variable.shape as number[]) });
  };
  const nBlocks = countLayers(model, /^enc_res_\d+_add$/);
  add('stem_conv', 'kernel', 'DownBlock.1.weight', 'conv');
  add('down_1_conv', 'kernel', 'DownBlock.5.weight', 'conv');
  add('down_2_conv', 'kernel', 'DownBlock.9.weight', 'conv');
  for (let i = 1; i <= nBlocks; i++) {
    add(`enc_res_${i}_1_conv`, 'kernel', `DownBlock.${11 + i}.conv_block.1.weight`, 'conv');
    add(`enc_res_${i}_2_conv`, 'kernel', `DownBlock.${11 + i}.conv_block.5.weight`, 'conv');
  }
  add('cam', 'gap_fc_kernel', 'gap_fc.weight', 'linear');
  add('cam', 'gmp_fc_kernel', 'gmp_fc.weight', 'linear');
  add('cam', 'conv1x1_kernel', 'conv1x1.weight', 'conv');
  add('cam', 'conv1x1_bias', 'conv1x1.bias', 'same');
  if (hasLayer(model, 'mlp_pool')) {
    add('mlp_fc1', 'kernel', 'FC.0.weight', 'linear');
  } else {
    const variable = weightOf(model, 'mlp_fc1', 'kernel');
    const [, h, w, c] = (model.getLayer('cam').outputShape as number[][])[0];
    rows.push({ torchKey: 'FC.0.weight', variable, ...flattenedLinearLayout(h, w, c, variable.shape[1] as number) });
  }
  add('mlp_fc2', 'kernel', 'FC.2.weight', 'linear');
  add('gamma', 'kernel', 'gamma.weight', 'linear');
  add('beta', 'kernel', 'beta.weight', 'linear');
  for (let i = 1; i <= nBlocks; i++) {
    for (const j of [1, 2]) {
      add(`dec_res_${i}_${j}_conv`, 'kernel', `UpBlock1_${i}.conv${j}.weight`, 'conv');
      add(`dec_res_${i}_${j}_norm`, 'rho', `UpBlock1_${i}.norm${j}.rho`, 'channel');
    }
  }
  for (const [i, base] of [[1, 2], [2, 7]]) {
    add(`up_${i}_conv`, 'kernel', `UpBlock2.${base}.weight`, 'conv');
    for (const p of ['rho', 'gamma', 'beta']) add(`up_${i}_norm`, p, `UpBlock2.${base + 1}.${p}`, 'channel');
  }
  add('head_conv', 'kernel', 'UpBlock2.11.weight', 'conv');
  return rows;
}

function discriminatorRows(model: tfl.LayersModel): TorchWeightRow[] {
  const rows: TorchWeightRow[] = [];
  const spectral = (layer: string, prefix: string, kernelName = 'kernel', uName = 'u', vName = 'v') => {
    const kernel = weightOf(model, layer, kernelName);
    const kernelShape = kernel.shape as number[];
    rows.push({ torchKey: `${prefix}.weight_orig`, variable: kernel, ...layoutOf(kernelShape.length === 4 ? 'conv' : 'linear', kernelShape) });
    const u = weightOf(model, layer, uName);
    rows.push({ torchKey: `${prefix}.weight_u`, variable: u, ...layoutOf('same', u.shape as number[]) });
    rows.push({ torchKey: `${prefix}.weight_v`, variable: weightOf(model, layer, vName), ...snVectorLayout(kernelShape) });
  };
  const nConvs = countLayers(model, /^conv_\d+$/);
  for (let i = 1; i <= nConvs; i++) {
    const index = 3 * i - 2;
    const bias = weightOf(model, `conv_${i}`, 'bias');
    rows.push({ torchKey: `model.${index}.bias`, variable: bias, ...layoutOf('same', bias.shape as number[]) });
    spectral(`conv_${i}`, `model.${index}`);
  }
  spectral('cam', 'gap_fc', 'gap_fc_kernel', 'gap_fc_u', 'gap_fc_v');
  spectral('cam', 'gmp_fc', 'gmp_fc_kernel', 'gmp_fc_u', 'gmp_fc_v');
  const conv1x1 = weightOf(model, 'cam', 'conv1x1_kernel');
  rows.push({ torchKey: 'conv1x1.weight', variable: conv1x1, ...layoutOf('conv', conv1x1.shape as number[]) });
  const conv1x1Bias = weightOf(model, 'cam', 'conv1x1_bias');
  rows.push({ torchKey: 'conv1x1.bias', variable: conv1x1Bias, ...layoutOf('same', conv1x1Bias.shape as number[]) });
  spectral('head', 'conv');
  return rows;
}

/**
 * The table mapping every weight of a network built by {@link createGenerator} or
 * {@link createDiscriminator} onto the official PyTorch state_dict: key, shape and layout
 * transform. Other networks, and the TensorFlow flavours, are refused.
 *
 * @example
 * ```ts
 * for (const row of torchWeightTable(genA2B)) console.log(row.torchKey, row.torchShape);
 * ```
 */
export function torchWeightTable(model: tfl.LayersModel): TorchWeightRow[] {
  const flavor = hasLayer(model, 'cam') ? networkFlavor(model) : 'pytorch';
  if (flavor !== 'pytorch') {
    throw new UGATITFormatError('model', `${model.name} is a TensorFlow-flavour network (flavor '${flavor}'): its biases, affine norms and shared CAM FC have no place in the PyTorch state_dict`);
  }
  if (hasLayer(model, 'stem_conv') && hasLayer(model, 'cam')) return generatorRows(model);
  if (hasLayer(model, 'conv_1') && hasLayer(model, 'head') && hasLayer(model, 'cam')) return discriminatorRows(model);
  throw new UGATITFormatError('model', `${model.name} was not built by createGenerator or createDiscriminator`);
}

/** Options of {@link loadTorchStateDict}. */
export interface LoadTorchStateDictOptions {
  /** Refuse the whole state_dict when any key is missing, unexpected or of the wrong shape. Default true. */
  strict?: boolean;
}

/** What {@link loadTorchStateDict} found: in strict mode all empty, or it throws. */
export interface LoadTorchStateDictReport {
  /** Keys the network needs that the state_dict lacks. */
  missing: string[];
  /** Keys of the state_dict the network has no use for. */
  unexpected: string[];
  /** Keys present with another shape, as `key: expected [..], received [..]`. */
  mismatched: string[];
  /** Keys loaded. */
  loaded: string[];
}

/**
 * Loads an official PyTorch U-GAT-IT state_dict (from {@link ugatit-tf/io!readTorchCheckpoint} or
 * {@link ugatit-tf/io!readSafetensors}) into a network built by our factories, converting layouts
 * (OIHW → HWIO, linear transposes, the full generator's flattening order, spectral norm's
 * `weight_orig`/`weight_u`/`weight_v`, ρ/γ/β shapes). Tensors of the state_dict are not disposed.
 *
 * @throws {@link ugatit-tf!UGATITFormatError} in strict mode listing every missing key, unexpected key and shape mismatch at once.
 * @example
 * ```ts
 * const ckpt = readTorchCheckpoint(bytes) as Record<string, NamedTensors>;
 * const genA2B = createGenerator({ light: true });
 * loadTorchStateDict(genA2B, ckpt.genA2B);
 * ```
 */
export function loadTorchStateDict(
  model: tfl.LayersModel, stateDict: NamedTensors, options: LoadTorchStateDictOptions = {},
): LoadTorchStateDictReport {
  const strict = options.strict ?? true;
  const rows = torchWeightTable(model);
  const report: LoadTorchStateDictReport = { missing: [], unexpected: [], mismatched: [], loaded: [] };
  const wanted = new Set(rows.map((r) => r.torchKey));
  report.unexpected = Object.keys(stateDict).filter((k) => !wanted.has(k));
  const usable = rows.filter((row) => {
    const t = stateDict[row.torchKey];
    if (t === undefined) { report.missing.push(row.torchKey); return false; }
    if (!tf.util.arraysEqual(t.shape, row.torchShape)) {
      report.mismatched.push(`${row.torchKey}: expected [${row.torchShape}], received [${t.shape}]`);
      return false;
    }
    return true;
  });
  if (strict && (report.missing.length || report.unexpected.length || report.mismatched.length)) {
    const parts = [
      report.missing.length ? `missing keys: ${report.missing.join(', ')}` : '',
      report.unexpected.length ? `unexpected keys: ${report.unexpected.join(', ')}` : '',
      report.mismatched.length ? `shape mismatches: ${report.mismatched.join('; ')}` : '',
    ].filter(Boolean);
    throw new UGATITFormatError('state_dict', `does not fit ${model.name}: ${parts.join('. ')}`);
  }
  for (const row of usable) {
    tf.tidy(() => { row.variable.write(row.toOurs(tf.cast(stateDict[row.torchKey], 'float32'))); });
    report.loaded.push(row.torchKey);
  }
  return report;
}

/**
 * The inverse of {@link loadTorchStateDict}: the network's weights as an official PyTorch
 * state_dict (names and layouts), ready for {@link ugatit-tf/io!writeSafetensors} and PyTorch's
 * `load_state_dict`. The caller owns the returned tensors.
 *
 * @example
 * ```ts
 * await fs.writeFile('genA2B.safetensors', writeSafetensors(exportTorchStateDict(genA2B)));
 * ```
 */
export function exportTorchStateDict(model: tfl.LayersModel): NamedTensors {
  const out: NamedTensors = {};
  for (const row of torchWeightTable(model)) out[row.torchKey] = tf.tidy(() => row.toTorch(row.variable.read()));
  return out;
}
