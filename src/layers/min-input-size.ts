import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { UGATITConfigError } from '../errors';
import type { LayerArgs } from './tfjs-internals';

/** Arguments of {@link MinInputSize}. */
export interface MinInputSizeArgs extends LayerArgs {
  /** Smallest height and width accepted. */
  minSize: number;
}

/**
 * Passes an NHWC image through unchanged, or throws a {@link UGATITConfigError} naming the
 * received size when it is smaller than a network can process (rather than failing deep
 * inside a convolution).
 *
 * @example
 * ```ts
 * const checked = minInputSize({ minSize: 96 }).apply(x);
 * ```
 */
export class MinInputSize extends tfl.layers.Layer {
  /**
   * Name of the class in saved models (`model.json`); prefixed so it never shadows a tfjs built-in.
   * @nocollapse
   */
  static className = 'UgatitMinInputSize';
  /** Smallest height and width accepted. */
  readonly minSize: number;

  constructor(args: MinInputSizeArgs) {
    super(args);
    // A NaN or negative bound would make every comparison false and silently accept any input.
    if (!(Number.isInteger(args.minSize) && args.minSize > 0)) {
      throw new UGATITConfigError(`MinInputSize: minSize must be a positive integer, received ${args.minSize}`);
    }
    this.minSize = args.minSize;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (x.rank !== 4) throw new UGATITConfigError(`${this.name}: expected an NHWC image batch of rank 4, received shape [${x.shape}]`);
    const [, h, w] = x.shape;
    if (h < this.minSize || w < this.minSize) {
      throw new UGATITConfigError(`${this.name}: input of ${h}×${w} px is smaller than the ${this.minSize}×${this.minSize} px this network needs`);
    }
    return tf.clone(x);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), minSize: this.minSize };
  }
}
tf.serialization.registerClass(MinInputSize);

/**
 * Creates a {@link MinInputSize} layer.
 *
 * @example
 * ```ts
 * const check = minInputSize({ minSize: 24, name: 'input_size' });
 * ```
 */
export function minInputSize(args: MinInputSizeArgs): MinInputSize {
  return new MinInputSize(args);
}
