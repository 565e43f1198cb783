import * as tfl from '@tensorflow/tfjs-layers';
import { TorchUniform } from '../layers/initializers';
import { reflectionPad2D, type ReflectionPad2DArgs, type ReflectionPadding } from '../layers/reflection-pad-2d';

/** Options of {@link paddedConv}. */
export interface PaddedConvOptions {
  /** Output channels. */
  filters: number;
  /** Square kernel size. */
  kernelSize: number;
  /** Reflection padding on each side, or `[before, after]` (see {@link ReflectionPad2DArgs.padding}). */
  padding: ReflectionPadding;
  /** Stride. Default 1. */
  strides?: number;
  /** Layer name prefix: the pad is `<name>_pad`, the convolution `<name>_conv`. */
  name: string;
  /** A bias on the convolution, as every convolution of the TensorFlow reference generator has. Default false. */
  useBias?: boolean;
}

/**
 * Reflection padding followed by a convolution with PyTorch's default initialisation: the
 * PyTorch reference generator's `ReflectionPad2d → Conv2d(bias=False)` pair, or with
 * `useBias` the TensorFlow reference's `ops.conv` (reflect pad, conv with bias).
 *
 * @example
 * ```ts
 * const y = paddedConv(x, { filters: 64, kernelSize: 7, padding: 3, name: 'stem' });
 * ```
 */
export function paddedConv(x: tfl.SymbolicTensor, o: PaddedConvOptions): tfl.SymbolicTensor {
  const inChannels = x.shape[3] as number;
  const padded = o.padding !== 0 ? (reflectionPad2D({ padding: o.padding, name: `${o.name}_pad` }).apply(x) as tfl.SymbolicTensor) : x;
  const fanIn = o.kernelSize * o.kernelSize * inChannels;
  return tfl.layers.conv2d({
    filters: o.filters,
    kernelSize: o.kernelSize,
    strides: o.strides ?? 1,
    padding: 'valid',
    useBias: o.useBias ?? false,
    kernelInitializer: new TorchUniform({ fanIn }),
    ...(o.useBias ? { biasInitializer: new TorchUniform({ fanIn }) } : {}),
    name: `${o.name}_conv`,
  }).apply(padded) as tfl.SymbolicTensor;
}
