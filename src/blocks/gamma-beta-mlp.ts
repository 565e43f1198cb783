import * as tfl from '@tensorflow/tfjs-layers';
import { TorchUniform } from '../layers/initializers';

/** Options of {@link gammaBetaMLP}. */
export interface GammaBetaMLPOptions {
  /**
   * Light variant: global-average-pool the features first. Otherwise flatten them whole;
   * the flattening is NHWC (h, w, c), so PyTorch's `FC.0.weight`, which multiplies the
   * NCHW (c, h, w) flattening, has its rows permuted by the checkpoint importer.
   */
  light: boolean;
  /** Layer name prefix. Default `'mlp'`; the γ and β projections are always `gamma` and `beta`. */
  name?: string;
  /** Biases on all four dense layers, as the TensorFlow reference's `tf.layers.dense`. Default false. */
  useBias?: boolean;
}

/**
 * The generator's γ/β MLP: (GAP | flatten) → FC → ReLU → FC → ReLU, then linear γ and β,
 * without biases as the PyTorch reference, or with them (`useBias`) as the TensorFlow one.
 *
 * @param x - the CAM features `[N, H, W, C]`.
 * @returns `gamma` and `beta`, each `[N, C]`.
 * @example
 * ```ts
 * const { gamma, beta } = gammaBetaMLP(features, { light: true });
 * ```
 */
export function gammaBetaMLP(x: tfl.SymbolicTensor, o: GammaBetaMLPOptions): {
  /** AdaLIN scale, `[N, C]`. */
  gamma: tfl.SymbolicTensor;
  /** AdaLIN shift, `[N, C]`. */
  beta: tfl.SymbolicTensor;
} {
  const name = o.name ?? 'mlp';
  const [, h, w, c] = x.shape as number[];
  const dense = (input: tfl.SymbolicTensor, fanIn: number, layerName: string, activation?: 'relu') =>
    tfl.layers.dense({
      units: c, useBias: o.useBias ?? false, activation, name: layerName, kernelInitializer: new TorchUniform({ fanIn }),
      ...(o.useBias ? { biasInitializer: new TorchUniform({ fanIn }) } : {}),
    }).apply(input) as tfl.SymbolicTensor;
  const pooled = o.light
    ? (tfl.layers.globalAveragePooling2d({ name: `${name}_pool` }).apply(x) as tfl.SymbolicTensor)
    : (tfl.layers.flatten({ name: `${name}_flatten` }).apply(x) as tfl.SymbolicTensor);
  const hidden = dense(dense(pooled, o.light ? c : h * w * c, `${name}_fc1`, 'relu'), c, `${name}_fc2`, 'relu');
  return { gamma: dense(hidden, c, 'gamma'), beta: dense(hidden, c, 'beta') };
}

// Deprecated spellings (docs/api.md lists every rename).

/** @deprecated Renamed {@link gammaBetaMLP}; this alias is kept for existing code and goes in the next major version. */
export const gammaBetaMlp = gammaBetaMLP;

/** @deprecated Renamed {@link GammaBetaMLPOptions}; this alias is kept for existing code and goes in the next major version. */
export type GammaBetaMlpOptions = GammaBetaMLPOptions;
