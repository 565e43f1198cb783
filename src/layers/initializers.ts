import * as tf from '@tensorflow/tfjs-core';
import { InitializerBase, normalDrawSeed } from './tfjs-internals';
import { UGATITConfigError } from '../errors';

let drawsSuspended = 0;

/**
 * Builds with {@link TorchUniform} giving zeros instead of drawing, for networks whose weights
 * are overwritten right after (a checkpoint being loaded), as tfjs-layers' own loading does with
 * `fastWeightInitDuringBuild`: a zero-filled buffer is not touched until written, so a
 * gigabyte-sized kernel about to be replaced costs neither the draws nor resident memory.
 * Synchronous, and undone when `build` returns or throws.
 *
 * @internal
 */
export function withoutWeightDraws<T>(build: () => T): T {
  drawsSuspended++;
  try {
    return build();
  } finally {
    drawsSuspended--;
  }
}

/** Arguments of {@link TorchUniform}. */
export interface TorchUniformArgs {
  /** Fan-in of the layer the weight belongs to (for a conv kernel: kh·kw·inChannels). */
  fanIn: number;
  /** Seed for reproducible draws; unseeded when omitted. */
  seed?: number;
}

/**
 * PyTorch's default initialisation of `nn.Conv2d` and `nn.Linear` weights and biases:
 * U(−1/√fanIn, 1/√fanIn) (kaiming-uniform with a = √5). The reference hyper-parameters
 * were tuned with it, so every layer of ours uses it by default.
 *
 * @example
 * ```ts
 * const init = new TorchUniform({ fanIn: 3 * 3 * 64 });
 * ```
 */
export class TorchUniform extends InitializerBase {
  /**
   * Name of the class in saved models (`model.json`); prefixed so it never shadows a tfjs built-in.
   * @nocollapse
   */
  static className = 'UgatitTorchUniform';
  /** Fan-in: values are drawn from U(−1/√fanIn, 1/√fanIn). */
  readonly fanIn: number;
  /** Seed of the draws; unseeded when undefined. */
  readonly seed?: number;

  constructor(args: TorchUniformArgs) {
    super();
    if (!(Number.isFinite(args.fanIn) && args.fanIn > 0)) {
      throw new UGATITConfigError(`TorchUniform: fanIn must be a positive number, received ${args.fanIn}`);
    }
    this.fanIn = args.fanIn;
    this.seed = args.seed;
  }

  apply(shape: number[], dtype?: tf.DataType): tf.Tensor {
    if (drawsSuspended > 0) return tf.zeros(shape, dtype as 'float32');
    const bound = 1 / Math.sqrt(this.fanIn);
    return tf.randomUniform(shape, -bound, bound, dtype as 'float32', this.seed);
  }

  /** The constructor arguments, for serialisation. */
  override getConfig(): tf.serialization.ConfigDict {
    return this.seed === undefined ? { fanIn: this.fanIn } : { fanIn: this.fanIn, seed: this.seed };
  }
}
tf.serialization.registerClass(TorchUniform);

/**
 * A standard-normal draw scaled to unit L2 norm: how `torch.nn.utils.spectral_norm`
 * initialises its power-iteration vectors `u` and `v`.
 *
 * @example
 * ```ts
 * const init = new UnitNormal();
 * ```
 */
export class UnitNormal extends InitializerBase {
  /**
   * Name of the class in saved models (`model.json`); prefixed so it never shadows a tfjs built-in.
   * @nocollapse
   */
  static className = 'UgatitUnitNormal';
  /** Seed of the draws; unseeded when undefined. */
  readonly seed?: number;

  constructor(args: { seed?: number } = {}) {
    super();
    this.seed = args.seed;
  }

  apply(shape: number[]): tf.Tensor {
    return tf.tidy(() => {
      const draw = tf.randomNormal(shape, 0, 1, 'float32', normalDrawSeed(this.seed));
      return tf.div(draw, tf.maximum(tf.norm(draw), 1e-12));
    });
  }

  /** The constructor arguments, for serialisation. */
  override getConfig(): tf.serialization.ConfigDict {
    return this.seed === undefined ? {} : { seed: this.seed };
  }
}
tf.serialization.registerClass(UnitNormal);
