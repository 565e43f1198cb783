import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { UGATITConfigError } from '../errors';
import type { CustomGradFunc, LayerArgs } from './tfjs-internals';

/**
 * Nearest-neighbour up-sampling of the two spatial axes of an NHWC tensor by an integer
 * factor (PyTorch `nn.Upsample(scale_factor, mode='nearest')`). Its gradient sums each
 * factor×factor block of `dy` through a reshape: tfjs's `ResizeNearestNeighborGrad` on the cpu
 * backend (4.22) reads `dy` at the offset of the wrong image for every image but the first of a
 * batch.
 *
 * @param x - `[N, H, W, C]`.
 * @param factor - a positive integer.
 * @returns `[N, factor·H, factor·W, C]`.
 * @example
 * ```ts
 * const y = upsampleNearest(tf.ones([2, 8, 8, 4]), 2); // [2, 16, 16, 4]
 * ```
 */
export function upsampleNearest(x: tf.Tensor4D, factor: number): tf.Tensor4D {
  if (!(Number.isInteger(factor) && factor >= 1)) throw new UGATITConfigError(`upsampleNearest: factor must be a positive integer, received ${factor}`);
  const [n, h, w, c] = x.shape;
  const op = tf.customGrad(((input: tf.Tensor) => ({
    value: tf.image.resizeNearestNeighbor(input as tf.Tensor4D, [h * factor, w * factor]),
    gradFunc: (dy: tf.Tensor) => tf.sum(tf.reshape(dy, [n, h, factor, w, factor, c]), [2, 4]),
  })) as CustomGradFunc);
  return op(x) as tf.Tensor4D;
}

/** Arguments of {@link NearestUpsampling2D}. */
export interface NearestUpsampling2DArgs extends LayerArgs {
  /** Integer factor of both spatial axes. Default 2. */
  factor?: number;
}

/**
 * {@link upsampleNearest} as a layer, the generator's up-sampling (PyTorch
 * `nn.Upsample(scale_factor=2, mode='nearest')`).
 *
 * @example
 * ```ts
 * const y = nearestUpsampling2D({ name: 'up_1_upsample' }).apply(x); // twice the height and width
 * ```
 */
export class NearestUpsampling2D extends tfl.layers.Layer {
  /**
   * Name of the class in saved models (`model.json`); prefixed so it never shadows a tfjs built-in.
   * @nocollapse
   */
  static className = 'UgatitNearestUpsampling2D';
  /** Integer factor of both spatial axes. */
  readonly factor: number;

  constructor(args: NearestUpsampling2DArgs = {}) {
    super(args);
    this.factor = args.factor ?? 2;
    if (!(Number.isInteger(this.factor) && this.factor >= 1)) {
      throw new UGATITConfigError(`NearestUpsampling2D: factor must be a positive integer, received ${args.factor}`);
    }
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const [n, h, w, c] = inputShape as tfl.Shape;
    const grow = (d: number | null) => (d == null ? null : d * this.factor);
    return [n, grow(h), grow(w), c];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    if (x.rank !== 4) throw new UGATITConfigError(`NearestUpsampling2D: expected a rank-4 NHWC tensor, received shape [${x.shape}]`);
    return upsampleNearest(x as tf.Tensor4D, this.factor);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), factor: this.factor };
  }
}
tf.serialization.registerClass(NearestUpsampling2D);

/**
 * Creates a {@link NearestUpsampling2D} layer.
 *
 * @example
 * ```ts
 * const up = nearestUpsampling2D({ factor: 2, name: 'up_1_upsample' });
 * ```
 */
export function nearestUpsampling2D(args: NearestUpsampling2DArgs = {}): NearestUpsampling2D {
  return new NearestUpsampling2D(args);
}
