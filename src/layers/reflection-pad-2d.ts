import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { hasKernel, REFLECT_PAD_GRAD } from '../backends/tensorflow-kernels';
import { UGATITConfigError } from '../errors';
import type { CustomGradFunc, LayerArgs } from './tfjs-internals';

/**
 * Folds the gradient of a reflect-padded axis back onto the unpadded input: the centre
 * passes through, and each border row adds onto the input row it mirrors.
 */
function foldReflectedAxis(dy: tf.Tensor4D, axis: 1 | 2, before: number, after: number): tf.Tensor4D {
  const padded = dy.shape[axis];
  const size = padded - before - after;
  const begin = (at: number): [number, number, number, number] => (axis === 1 ? [0, at, 0, 0] : [0, 0, at, 0]);
  const extent = (len: number): [number, number, number, number] =>
    axis === 1 ? [-1, len, -1, -1] : [-1, -1, len, -1];
  const zeroPad = (lead: number, trail: number): Array<[number, number]> =>
    axis === 1 ? [[0, 0], [lead, trail], [0, 0], [0, 0]] : [[0, 0], [0, 0], [lead, trail], [0, 0]];
  const terms = [tf.slice(dy, begin(before), extent(size))];
  // A one-row border (every 3×3 conv) is its own mirror image: no reverse kernel for it.
  const mirrored = (t: tf.Tensor4D, rows: number) => (rows === 1 ? t : tf.reverse(t, axis));
  // Padded row i < before mirrors input row before − i; the reversed border covers rows 1..before.
  if (before > 0) terms.push(tf.pad(mirrored(tf.slice(dy, begin(0), extent(before)), before), zeroPad(1, size - 1 - before)));
  // Padded row before + size + j mirrors input row size − 2 − j; reversed: rows size−1−after..size−2.
  if (after > 0) terms.push(tf.pad(mirrored(tf.slice(dy, begin(before + size), extent(after)), after), zeroPad(size - 1 - after, 1)));
  return (terms.length === 1 ? terms[0]! : tf.addN(terms)) as tf.Tensor4D;
}

/** Reflection padding on each side: one amount for all four, or `[before, after]` (top and left, bottom and right). */
export type ReflectionPadding = number | readonly [number, number];

function sides(pad: ReflectionPadding): [number, number] {
  return typeof pad === 'number' ? [pad, pad] : [pad[0], pad[1]];
}

/**
 * Reflect-pads the two spatial axes of an NHWC tensor, like PyTorch's `nn.ReflectionPad2d`
 * (`pad` on every side) or TensorFlow's `tf.pad(x, [[0,0],[b,a],[b,a],[0,0]], 'REFLECT')`
 * (`[b, a]`: `b` before and `a` after on both axes), with a correct gradient: tfjs's own
 * `mirrorPad` gradient only slices the centre and drops the reflected borders' contribution.
 *
 * @param x - `[N, H, W, C]`, with H and W greater than each amount.
 * @param pad - pixels added on each side, or `[before, after]`.
 * @returns `[N, H + before + after, W + before + after, C]`.
 * @example
 * ```ts
 * const y = padReflect(tf.zeros([1, 8, 8, 3]), 3); // [1, 14, 14, 3]
 * const z = padReflect(tf.zeros([1, 8, 8, 3]), [1, 2]); // [1, 11, 11, 3]
 * ```
 */
export function padReflect(x: tf.Tensor4D, pad: ReflectionPadding): tf.Tensor4D {
  const [before, after] = sides(pad);
  if (before === 0 && after === 0) return tf.clone(x);
  const [, h, w] = x.shape;
  const most = Math.max(before, after);
  if (h <= most || w <= most) {
    throw new UGATITConfigError(`padReflect: padding ${typeof pad === 'number' ? pad : `[${before}, ${after}]`} needs height and width above ${most}, received ${h}×${w}`);
  }
  const op = tf.customGrad(((input: tf.Tensor) => ({
    value: tf.mirrorPad(input as tf.Tensor4D, [[0, 0], [before, after], [before, after], [0, 0]], 'reflect'),
    // The native kernel pads symmetrically; the TensorFlow flavour's [before, after] folds here.
    gradFunc: (dy: tf.Tensor) => (before === after && hasKernel(REFLECT_PAD_GRAD)
      ? tf.engine().runKernel(REFLECT_PAD_GRAD, { dy }, { pad: before }) as tf.Tensor
      : foldReflectedAxis(foldReflectedAxis(dy as tf.Tensor4D, 1, before, after), 2, before, after)),
  })) as CustomGradFunc);
  return op(x) as tf.Tensor4D;
}

/** Arguments of {@link ReflectionPad2D}. */
export interface ReflectionPad2DArgs extends LayerArgs {
  /**
   * Pixels added on each side of both spatial axes, a non-negative integer; or `[before,
   * after]`: the TensorFlow reference pads a 4×4 stride-1 convolution 1 before and 2 after
   * (its `ops.conv` puts `kernel − stride − pad` after when `kernel − stride` is odd).
   */
  padding: ReflectionPadding;
}

/**
 * Reflection padding as a tfjs-layers layer (PyTorch `nn.ReflectionPad2d(padding)`, or
 * TensorFlow's asymmetric `tf.pad(…, 'REFLECT')` with `[before, after]`), NHWC, with the
 * correct gradient of {@link padReflect}.
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
  /** Pixels added on each side of both spatial axes, or `[before, after]`. */
  readonly padding: ReflectionPadding;

  constructor(args: ReflectionPad2DArgs) {
    super(args);
    const p = args.padding;
    const ok = (n: unknown) => Number.isInteger(n) && (n as number) >= 0;
    if (!(typeof p === 'number' ? ok(p) : Array.isArray(p) && p.length === 2 && p.every(ok))) {
      throw new UGATITConfigError(`ReflectionPad2D: padding must be a non-negative integer${typeof p === 'number' ? '' : ' or [before, after] of them'}, received ${JSON.stringify(p)}`);
    }
    this.padding = typeof p === 'number' ? p : [p[0], p[1]];
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const [n, h, w, c] = inputShape as tfl.Shape;
    const [before, after] = sides(this.padding);
    const grow = (d: number | null) => (d == null ? null : d + before + after);
    return [n, grow(h), grow(w), c];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (x.rank !== 4) throw new UGATITConfigError(`ReflectionPad2D: expected a rank-4 NHWC tensor, received shape [${x.shape}]`);
    return padReflect(x as tf.Tensor4D, this.padding);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), padding: typeof this.padding === 'number' ? this.padding : [...this.padding] };
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

// Deprecated spellings (docs/api.md lists every rename).

/** @deprecated Renamed {@link padReflect} (the pure function; the layer factory is {@link reflectionPad2D}); this alias is kept for existing code and goes in the next major version. */
export const reflectionPad2d = padReflect;
