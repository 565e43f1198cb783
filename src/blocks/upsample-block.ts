import * as tfl from '@tensorflow/tfjs-layers';
import { layerInstanceNorm } from '../layers/layer-instance-norm';
import { nearestUpsampling2D } from '../layers/nearest-upsampling-2d';
import { paddedConv } from './conv';

/** Options of {@link upsampleBlock}. */
export interface UpsampleBlockOptions {
  /** Output channels. */
  filters: number;
  /** Layer name prefix. */
  name: string;
  /** Unbiased ILN variances (PyTorch reference). Default true. */
  unbiased?: boolean;
  /** A bias on the convolution (the TensorFlow reference). Default false. */
  useBias?: boolean;
}

/**
 * The generator's up-sampling stage: nearest ×2 → Pad 1 → Conv 3×3 → ILN → ReLU.
 *
 * @param x - `[N, H, W, C]`.
 * @returns `[N, 2H, 2W, filters]`.
 * @example
 * ```ts
 * const y = upsampleBlock(x, { filters: 128, name: 'up_1' });
 * ```
 */
export function upsampleBlock(x: tfl.SymbolicTensor, o: UpsampleBlockOptions): tfl.SymbolicTensor {
  let y = nearestUpsampling2D({ factor: 2, name: `${o.name}_upsample` }).apply(x) as tfl.SymbolicTensor;
  y = paddedConv(y, { filters: o.filters, kernelSize: 3, padding: 1, name: o.name, useBias: o.useBias });
  y = layerInstanceNorm({ unbiased: o.unbiased ?? true, name: `${o.name}_norm` }).apply(y) as tfl.SymbolicTensor;
  return tfl.layers.reLU({ name: `${o.name}_relu` }).apply(y) as tfl.SymbolicTensor;
}
