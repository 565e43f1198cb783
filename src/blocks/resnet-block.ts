import * as tfl from '@tensorflow/tfjs-layers';
import { instanceNorm } from '../layers/instance-norm';
import { paddedConv } from './conv';

/**
 * The encoder's residual block: x + [Pad 1 → Conv 3×3 → IN → ReLU → Pad 1 → Conv 3×3 → IN].
 * Layers are named `<name>_{pad1,conv1,norm1,relu,pad2,conv2,norm2,add}`.
 *
 * @param x - `[N, H, W, C]`.
 * @returns `[N, H, W, C]`.
 * @example
 * ```ts
 * const y = resnetBlock(x, { name: 'enc_res_1' });
 * ```
 */
export function resnetBlock(x: tfl.SymbolicTensor, o: { name: string }): tfl.SymbolicTensor {
  const c = x.shape[3] as number;
  let y = paddedConv(x, { filters: c, kernelSize: 3, padding: 1, name: `${o.name}_1` });
  y = instanceNorm({ name: `${o.name}_1_norm` }).apply(y) as tfl.SymbolicTensor;
  y = tfl.layers.reLU({ name: `${o.name}_1_relu` }).apply(y) as tfl.SymbolicTensor;
  y = paddedConv(y, { filters: c, kernelSize: 3, padding: 1, name: `${o.name}_2` });
  y = instanceNorm({ name: `${o.name}_2_norm` }).apply(y) as tfl.SymbolicTensor;
  return tfl.layers.add({ name: `${o.name}_add` }).apply([x, y]) as tfl.SymbolicTensor;
}
