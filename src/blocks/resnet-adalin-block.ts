import * as tfl from '@tensorflow/tfjs-layers';
import { adaLIN, type AdaLINArgs } from '../layers/adalin';
import { paddedConv } from './conv';

/** Options of {@link resnetAdaLINBlock}. */
export interface ResnetAdaLINBlockOptions {
  /** Layer name prefix. */
  name: string;
  /** Unbiased AdaLIN variances (PyTorch reference). Default true. */
  unbiased?: boolean;
  /** Biases on both convolutions (the TensorFlow reference). Default false. */
  useBias?: boolean;
  /** AdaLIN's initial ρ (see {@link AdaLINArgs.rhoInit}). Default 0.9. */
  rhoInit?: number;
  /** AdaLIN uses `clip(ρ − rhoOffset, 0, 1)` (see {@link AdaLINArgs.rhoOffset}). Default 0. */
  rhoOffset?: number;
}

/**
 * The decoder's residual block conditioned on the MLP's γ and β:
 * x + [Pad 1 → Conv 3×3 → AdaLIN(γ,β) → ReLU → Pad 1 → Conv 3×3 → AdaLIN(γ,β)].
 *
 * @param x - `[N, H, W, C]`; `gamma`, `beta` - `[N, C]`.
 * @returns `[N, H, W, C]`.
 * @example
 * ```ts
 * const y = resnetAdaLINBlock(x, gamma, beta, { name: 'dec_res_1' });
 * ```
 */
export function resnetAdaLINBlock(
  x: tfl.SymbolicTensor, gamma: tfl.SymbolicTensor, beta: tfl.SymbolicTensor, o: ResnetAdaLINBlockOptions,
): tfl.SymbolicTensor {
  const c = x.shape[3] as number;
  const norm = { unbiased: o.unbiased ?? true, rhoInit: o.rhoInit ?? 0.9, rhoOffset: o.rhoOffset ?? 0 };
  let y = paddedConv(x, { filters: c, kernelSize: 3, padding: 1, name: `${o.name}_1`, useBias: o.useBias });
  y = adaLIN({ ...norm, name: `${o.name}_1_norm` }).apply([y, gamma, beta]) as tfl.SymbolicTensor;
  y = tfl.layers.reLU({ name: `${o.name}_1_relu` }).apply(y) as tfl.SymbolicTensor;
  y = paddedConv(y, { filters: c, kernelSize: 3, padding: 1, name: `${o.name}_2`, useBias: o.useBias });
  y = adaLIN({ ...norm, name: `${o.name}_2_norm` }).apply([y, gamma, beta]) as tfl.SymbolicTensor;
  return tfl.layers.add({ name: `${o.name}_add` }).apply([x, y]) as tfl.SymbolicTensor;
}
