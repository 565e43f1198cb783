import * as tf from '@tensorflow/tfjs-core';
import { UGATITConfigError } from '../errors';
import type { DecodedImage } from './image-codec';
import type { RNG } from './rng';
import { imageToPixels, normalizePixels, resizeBilinear } from './tensor-image';

/**
 * Options of {@link trainTransform}; defaults are the reference's.
 *
 * @example
 * ```ts
 * trainTransform(img, 256, rng, { jitter: 30, flipProbability: 0.5 });
 * ```
 */
export interface TrainTransformOptions {
  /** The image is resized to `(size + jitter)²` before the random crop. Default 30. */
  jitter?: number;
  /** Probability of a horizontal flip. Default 0.5. */
  flipProbability?: number;
  /**
   * Round the resized pixels to integers, as PIL does (its resize returns an 8-bit image).
   * Default true.
   */
  quantize?: boolean;
}

function checkSize(fn: string, size: number): void {
  if (!Number.isInteger(size) || size < 1) throw new UGATITConfigError(`${fn}: size must be a positive integer, received ${size}`);
}

function asPixels(img: DecodedImage | tf.Tensor3D): tf.Tensor3D {
  if (img instanceof tf.Tensor) {
    if (img.rank !== 3 || img.shape[2] !== 3) {
      throw new UGATITConfigError(`image transform: expected a [h, w, 3] pixel tensor, received shape [${img.shape.join(', ')}]`);
    }
    return img;
  }
  return imageToPixels(img);
}

function resizePixels(px: tf.Tensor3D, size: number, quantize: boolean): tf.Tensor3D {
  const r = resizeBilinear(tf.cast(px, 'float32'), size);
  return quantize ? tf.round(r) : r;
}

/**
 * The reference training transform, in torchvision's order and with its random draws:
 * `RandomHorizontalFlip(p)` (one draw: flip when `rng.next() < p`), `Resize((S+30, S+30))`
 * (bilinear), `RandomCrop(S)` (top then left, each `rng.int(range + 1)`), `ToTensor()`,
 * `Normalize(0.5, 0.5)`. Deterministic given the generator's state.
 *
 * @param img - A decoded image, or a `[h, w, 3]` tensor of 0–255 pixel values (not disposed).
 * @param size - S, the output side.
 * @param rng - Source of the flip and crop draws; advanced by three draws (more only on the
 *   rare rejection in {@link RNG.int}).
 * @returns float32 `[S, S, 3]` in [−1, 1].
 * @example
 * ```ts
 * const rng = new RNG(0);
 * const x = trainTransform(decodeImage(bytes), 256, rng); // [256, 256, 3]
 * ```
 */
export function trainTransform(img: DecodedImage | tf.Tensor3D, size: number, rng: RNG, options: TrainTransformOptions = {}): tf.Tensor3D {
  checkSize('trainTransform', size);
  const jitter = options.jitter ?? 30;
  const p = options.flipProbability ?? 0.5;
  const quantize = options.quantize ?? true;
  if (!Number.isInteger(jitter) || jitter < 0) throw new UGATITConfigError(`trainTransform: jitter must be a non-negative integer, received ${jitter}`);
  if (!(p >= 0 && p <= 1)) throw new UGATITConfigError(`trainTransform: flipProbability must be in [0, 1], received ${p}`);
  const flip = rng.next() < p;
  const big = size + jitter;
  const top = rng.int(big - size + 1);
  const left = rng.int(big - size + 1);
  return tf.tidy(() => {
    let px = asPixels(img);
    if (flip) px = tf.reverse(px, 1);
    const resized = resizePixels(px, big, quantize);
    const crop = tf.slice(resized, [top, left, 0], [size, size, 3]);
    return normalizePixels(crop);
  });
}

/**
 * The reference test transform: `Resize((S, S))` (bilinear), `ToTensor()`, `Normalize(0.5, 0.5)`.
 *
 * @param img - A decoded image, or a `[h, w, 3]` tensor of 0–255 pixel values (not disposed).
 * @returns float32 `[S, S, 3]` in [−1, 1].
 * @example
 * ```ts
 * const x = testTransform(decodeImage(bytes), 256);
 * ```
 */
export function testTransform(img: DecodedImage | tf.Tensor3D, size: number, options: Pick<TrainTransformOptions, 'quantize'> = {}): tf.Tensor3D {
  checkSize('testTransform', size);
  return tf.tidy(() => normalizePixels(resizePixels(asPixels(img), size, options.quantize ?? true)));
}
