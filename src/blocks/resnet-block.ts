import * as tfl from '@tensorflow/tfjs-layers';
import { instanceNorm } from '../layers/instance-norm';
import { paddedConv } from './conv';

/** Options of {@link resnetBlock}. */
export interface ResnetBlockOptions {
  /** Layer name prefix. */
  name: string;
  /** Biases on both convolutions (the TensorFlow reference). Default false. */
  useBias?: boolean;
  /** Learned γ and β in both instance norms (the TensorFlow reference's `instance_norm`). Default false. */
  affineNorm?: boolean;
}

/**
 * The encoder's residual block: x + [Pad 1 → Conv 3×3 → IN → ReLU → Pad 1 → Conv 3×3 → IN].
 * Layers are named `<name>_{1,2}_{pad,conv,norm}`, `<name>_1_relu`, `<name>_add`.
 *
 * @param x - `[N, H, W, C]`.
 * @returns `[N, H, W, C]`.
 * @example
 * ```ts
 * const y = resnetBlock(x, { name: 'enc_res_1' });
 * ```
 */
export function resnetBlock(x: tfl.SymbolicTensor, o: ResnetBlockOptions): tfl.SymbolicTensor {
  const c = x.shape[3] as number;
  const affine = o.affineNorm ?? false;
  const norm = (y: tfl.SymbolicTensor, name: string) => instanceNorm({ scale: affine, center: affine, name }).apply(y) as tfl.SymbolicTensor;
  let y = paddedConv(x, { filters: c, kernelSize: 3, padding: 1, name: `${o.name}_1`, useBias: o.useBias });
  y = norm(y, `${o.name}_1_norm`);
  y = tfl.layers.reLU({ name: `${o.name}_1_relu` }).apply(y) as tfl.SymbolicTensor;
  y = paddedConv(y, { filters: c, kernelSize: 3, padding: 1, name: `${o.name}_2`, useBias: o.useBias });
  y = norm(y, `${o.name}_2_norm`);
  return tfl.layers.add({ name: `${o.name}_add` }).apply([x, y]) as tfl.SymbolicTensor;
}
