import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { hasKernel, REFLECT_PAD_GRAD } from '../backends/tensorflow-kernels';
import { UgatitConfigError } from '../errors';
import type { CustomGradFunc, LayerArgs } from './tfjs-internals';

/**
 * Folds the gradient of a reflect-padded axis back onto the unpadded input: the centre
 * passes through, and each border row adds onto the input row it mirrors.
 */
function foldReflectedAxis(dy: tf.Tensor4D, axis: 1 | 2, pad: number): tf.Tensor4D {
  const padded = dy.shape[axis];
  const size = padded - 2 * pad;
  const begin = (at: number): [number, number, number, number] => (axis === 1 ? [0, at, 0, 0] : [0, 0, at, 0]);
  const extent = (len: number): [number, number, number, number] =>
    axis === 1 ? [-1, len, -1, -1] : [-1, -1, len, -1];
  const zeroPad = (before: number, after: number): Array<[number, number]> =>
    axis === 1 ? [[0, 0], [before, after], [0, 0], [0, 0]] : [[0, 0], [0, 0], [before, after], [0, 0]];
  const centre = tf.slice(dy, begin(pad), extent(size));
  // Padded row i < pad mirrors input row pad − i; the reversed border covers rows 1..pad.
  // A one-row border (every 3×3 conv) is its own mirror image: no reverse kernel for it.
  const mirrored = (t: tf.Tensor4D) => (pad === 1 ? t : tf.reverse(t, axis));
  const head = mirrored(tf.slice(dy, begin(0), extent(pad)));
  // Padded row pad + size + j mirrors input row size − 2 − j; reversed: rows size−1−pad..size−2.
  const tail = mirrored(tf.slice(dy, begin(pad + size), extent(pad)));
  return tf.addN([
    centre,
    tf.pad(head, zeroPad(1, size - 1 - pad)),
    tf.pad(tail, zeroPad(size - 1 - pad, 1)),
  ]) as tf.Tensor4D;
}

/**
 * Reflect-pads the two spatial axes of an NHWC tensor by `pad` pixels, like PyTorch's
 * `nn.ReflectionPad2d`, with a correct gradient: tfjs's own `mirrorPad` gradient only
 * slices the centre and drops the reflected borders' contribution.
 *
 * @param x - `[N, H, W, C]`, with H and W greater than `pad`.
 * @param pad - pixels added on each side.
 * @returns `[N, H + 2·pad, W + 2·pad, C]`.
 * @example
 * ```ts
 * const y = reflectionPad2d(tf.zeros([1, 8, 8, 3]), 3); // [1, 14, 14, 3]
 * ```
 */
export function reflectionPad2d(x: tf.Tensor4D, pad: number): tf.Tensor4D {
  if (pad === 0) return tf.clone(x);
  const [, h, w] = x.shape;
  if (h <= pad || w <= pad) {
    throw new UgatitConfigError(`reflectionPad2d: padding ${pad} needs height and width above ${pad}, received ${h}×${w}`);
  }
  const op = tf.customGrad(((input: tf.Tensor) => ({
    value: tf.mirrorPad(input as tf.Tensor4D, [[0, 0], [pad, pad], [pad, pad], [0, 0]], 'reflect'),
    gradFunc: (dy: tf.Tensor) => (hasKernel(REFLECT_PAD_GRAD)
      ? tf.engine().runKernel(REFLECT_PAD_GRAD, { dy }, { pad }) as tf.Tensor
      : foldReflectedAxis(foldReflectedAxis(dy as tf.Tensor4D, 1, pad), 2, pad)),
  })) as CustomGradFunc);
  return op(x) as tf.Tensor4D;
}

/** Arguments of {@link ReflectionPad2D}. */
export interface ReflectionPad2DArgs extends LayerArgs {
  /** Pixels added on each side of both spatial axes. A non-negative integer. */
  padding: number;
}

/**
 * Reflection padding as a tfjs-layers layer (PyTorch `nn.ReflectionPad2d(padding)`),
 * NHWC, with the correct gradient of {@link reflectionPad2d}.
 *
 * @example
 * ```ts
 * const x = tf.input({ shape: [32, 32, 3] });
 * const y = reflectionPad2D({ padding: 3 }).apply(x); // [null, 38, 38, 3]
 * ```
 */
export class ReflectionPad2D extends tfl.layers.Layer {
  /**
   * Name of the class in saved models (`model.json`); prefixed so it never shadows a tfjs built-in.
   * @nocollapse
   */
  static className = 'UgatitReflectionPad2D';
  /** Pixels added on each side of both spatial axes. */
  readonly padding: number;

  constructor(args: ReflectionPad2DArgs) {
    super(args);
    if (!(Number.isInteger(args.padding) && args.padding >= 0)) {
      throw new UgatitConfigError(`ReflectionPad2D: padding must be a non-negative integer, received ${args.padding}`);
    }
    this.padding = args.padding;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const [n, h, w, c] = inputShape as tfl.Shape;
    const grow = (d: number | null) => (d == null ? null : d + 2 * this.padding);
    return [n, grow(h), grow(w), c];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (x.rank !== 4) throw new UgatitConfigError(`ReflectionPad2D: expected a rank-4 NHWC tensor, received shape [${x.shape}]`);
    return reflectionPad2d(x as tf.Tensor4D, this.padding);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), padding: this.padding };
  }
}
tf.serialization.registerClass(ReflectionPad2D);

/**
 * Creates a {@link ReflectionPad2D} layer.
 *
 * @example
 * ```ts
 * const pad = reflectionPad2D({ padding: 1, name: 'down_1_pad' });
 * ```
 */
export function reflectionPad2D(args: ReflectionPad2DArgs): ReflectionPad2D {
  return new ReflectionPad2D(args);
}
