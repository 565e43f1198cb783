import * as tfl from '@tensorflow/tfjs-layers';
import { TorchUniform } from '../layers/initializers';
import { reflectionPad2D } from '../layers/reflection-pad-2d';

/** Options of {@link paddedConv}. */
export interface PaddedConvOptions {
  /** Output channels. */
  filters: number;
  /** Square kernel size. */
  kernelSize: number;
  /** Reflection padding on each side. */
  padding: number;
  /** Stride. Default 1. */
  strides?: number;
  /** Layer name prefix: the pad is `<name>_pad`, the convolution `<name>_conv`. */
  name: string;
}

/**
 * Reflection padding followed by a bias-free convolution with PyTorch's default
 * initialisation: the reference generator's `ReflectionPad2d → Conv2d(bias=False)` pair.
 *
 * @example
 * ```ts
 * const y = paddedConv(x, { filters: 64, kernelSize: 7, padding: 3, name: 'stem' });
 * ```
 */
export function paddedConv(x: tfl.SymbolicTensor, o: PaddedConvOptions): tfl.SymbolicTensor {
  const inChannels = x.shape[3] as number;
  const padded = o.padding > 0 ? (reflectionPad2D({ padding: o.padding, name: `${o.name}_pad` }).apply(x) as tfl.SymbolicTensor) : x;
  return tfl.layers.conv2d({
    filters: o.filters,
    kernelSize: o.kernelSize,
    strides: o.strides ?? 1,
    padding: 'valid',
    useBias: false,
    kernelInitializer: new TorchUniform({ fanIn: o.kernelSize * o.kernelSize * inChannels }),
    name: `${o.name}_conv`,
  }).apply(padded) as tfl.SymbolicTensor;
}
