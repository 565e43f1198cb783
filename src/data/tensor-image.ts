import * as tf from '@tensorflow/tfjs-core';
import { UGATITConfigError } from '../errors';
import type { DecodedImage } from './image-codec';

/**
 * The pixels of an image as an int32 tensor `[height, width, 3]` with values 0–255.
 *
 * @example
 * ```ts
 * const px = imageToPixels(decodeImage(bytes)); // int32, 0..255
 * ```
 */
export function imageToPixels(img: DecodedImage): tf.Tensor3D {
  if (img.data.length !== img.width * img.height * 3) {
    throw new UGATITConfigError(`imageToPixels: data has ${img.data.length} bytes, expected ${img.width}x${img.height}x3`);
  }
  return tf.tensor3d(Int32Array.from(img.data), [img.height, img.width, 3], 'int32');
}

/**
 * Scales 0–255 pixels to [−1, 1] float32 exactly as torchvision's `ToTensor()` then
 * `Normalize(0.5, 0.5)` do in float32: `(x / 255 − 0.5) / 0.5`.
 *
 * @example
 * ```ts
 * normalizePixels(tf.tensor3d([0, 255, 127.5], [1, 1, 3])); // [-1, 1, 0]
 * ```
 */
export function normalizePixels(pixels: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() => tf.div(tf.sub(tf.div(tf.cast(pixels, 'float32'), 255), 0.5), 0.5));
}

/**
 * An image as a float32 tensor `[height, width, 3]` in [−1, 1], the model's input range.
 *
 * @example
 * ```ts
 * const x = imageToTensor(decodeImage(bytes)); // [h, w, 3], -1..1
 * ```
 */
export function imageToTensor(img: DecodedImage): tf.Tensor3D {
  return tf.tidy(() => normalizePixels(imageToPixels(img)));
}

/**
 * A `[height, width, 3]` tensor back to 8-bit RGB: maps `range` to 0–255, clips, rounds.
 *
 * @param t - Image tensor, `[h, w, 3]` (or `[1, h, w, 3]`).
 * @param range - The values that map to 0 and 255; default [−1, 1] (generator output). Use
 *   [0, 1] for heatmaps and sample grids.
 * @example
 * ```ts
 * const png = encodePNG(tensorToImage(tf.squeeze(fakeB, [0]) as tf.Tensor3D));
 * ```
 */
export function tensorToImage(t: tf.Tensor3D | tf.Tensor4D, range: [number, number] = [-1, 1]): DecodedImage {
  const shape = t.rank === 4 && t.shape[0] === 1 ? t.shape.slice(1) : t.shape;
  if (shape.length !== 3 || shape[2] !== 3) {
    throw new UGATITConfigError(`tensorToImage: expected a [h, w, 3] tensor, received shape [${t.shape.join(', ')}]`);
  }
  const [lo, hi] = range;
  if (!(hi > lo)) throw new UGATITConfigError(`tensorToImage: range must be increasing, received [${lo}, ${hi}]`);
  const bytes = tf.tidy(() => {
    const scaled = tf.mul(tf.sub(tf.cast(t, 'float32'), lo), 255 / (hi - lo));
    return tf.round(tf.clipByValue(scaled, 0, 255));
  });
  const data = Uint8Array.from(bytes.dataSync());
  bytes.dispose();
  return { width: shape[1]!, height: shape[0]!, channels: 3, data };
}

/**
 * Bilinear resize with half-pixel centres (what PIL, torchvision and OpenCV's INTER_LINEAR use
 * when enlarging). Shrinking does not antialias, unlike PIL (see docs/images.md).
 *
 * @param image - `[h, w, c]` or `[n, h, w, c]`.
 * @param size - Target `[height, width]`, or one number for a square.
 * @example
 * ```ts
 * const big = resizeBilinear(x, 286); // [286, 286, 3]
 * ```
 */
export function resizeBilinear<T extends tf.Tensor3D | tf.Tensor4D>(image: T, size: number | [number, number]): T {
  const [h, w] = typeof size === 'number' ? [size, size] : size;
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1) {
    throw new UGATITConfigError(`resizeBilinear: size must be positive integers, received ${h}x${w}`);
  }
  const inH = image.shape[image.rank - 3]!;
  const inW = image.shape[image.rank - 2]!;
  if (inH === h && inW === w) return tf.clone(image);
  return tf.image.resizeBilinear(image, [h, w], false, true);
}
