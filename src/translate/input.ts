import * as tf from '@tensorflow/tfjs-core';
import { UGATITConfigError } from '../errors';
import { decodeImage, type DecodeImageOptions, type DecodedImage } from '../data/image-codec';
import { resizeBilinear, tensorToImage } from '../data/tensor-image';

/**
 * Browser image sources accepted by {@link translate}; read with `tf.browser.fromPixels`.
 * Declared structurally so the library type-checks and runs in Node, where these DOM classes
 * do not exist.
 */
export type BrowserImageSource = ImageData | HTMLImageElement | HTMLCanvasElement | ImageBitmap | OffscreenCanvas | HTMLVideoElement;

/**
 * One image or a batch, in any of the forms {@link translate} accepts:
 * - `tf.Tensor3D` `[h, w, c]` or `tf.Tensor4D` `[n, h, w, c]` with c = 1 (grey), 3 (RGB) or 4
 *   (RGBA). The dtype says the range: `int32` (or `uint8`-sourced int32) holds 0–255 pixels,
 *   `float32` holds [−1, 1] values (the model's range). Not disposed.
 * - `Uint8Array`: the bytes of a PNG or JPEG file (Node and browsers).
 * - `string`: a path to a PNG or JPEG file (Node only).
 * - In browsers: `ImageData`, `HTMLImageElement`, `HTMLCanvasElement`, `ImageBitmap`,
 *   `OffscreenCanvas`, `HTMLVideoElement`.
 * - An array of any of these (a batch of possibly different sizes).
 */
export type ImageInput = tf.Tensor3D | tf.Tensor4D | Uint8Array | string | BrowserImageSource;

/** An input batch as float32 `[n, h, w, 3]` on a 0–255 scale. */
export interface PreparedInput {
  /** float32 `[n, h, w, 3]`, values 0–255 (not rounded for float inputs). */
  pixels: tf.Tensor4D;
  /** True when the source held integer pixels (files, int tensors, browser images). */
  integer: boolean;
}

/** Options of {@link prepareImages}. */
export interface PrepareImagesOptions {
  /** Limits and alpha handling of decoded files (see `decodeImage`). */
  decode?: DecodeImageOptions;
}

function isBrowserSource(x: unknown): x is BrowserImageSource {
  const g = globalThis as Record<string, unknown>;
  for (const name of ['ImageData', 'HTMLImageElement', 'HTMLCanvasElement', 'ImageBitmap', 'OffscreenCanvas', 'HTMLVideoElement']) {
    const ctor = g[name];
    if (typeof ctor === 'function' && x instanceof (ctor as new () => unknown)) return true;
  }
  return false;
}

/**
 * Grey → RGB (replicated) and RGBA → RGB composited over white (`c·a + white·(1 − a)`), the
 * rule the image decoder applies to files. `white` is 255 for pixels and 1 for [−1, 1] values.
 */
function toRgb(x: tf.Tensor4D, white: number, lo: number): tf.Tensor4D {
  const c = x.shape[3];
  if (c === 3) return x;
  if (c === 1) return tf.tile(x, [1, 1, 1, 3]);
  if (c === 4) {
    const [rgb, a] = tf.split(x, [3, 1], 3) as [tf.Tensor4D, tf.Tensor4D];
    const alpha = tf.div(tf.sub(a, lo), white - lo);
    return tf.add(tf.mul(rgb, alpha), tf.mul(tf.sub(1, alpha), white));
  }
  throw new UGATITConfigError(`translate: images must have 1, 3 or 4 channels, received ${c}`);
}

function tensorToPixels(t: tf.Tensor): PreparedInput {
  if (t.rank !== 3 && t.rank !== 4) {
    throw new UGATITConfigError(`translate: expected a [h, w, c] or [n, h, w, c] tensor, received shape [${t.shape.join(', ')}]`);
  }
  if (t.dtype !== 'float32' && t.dtype !== 'int32') {
    throw new UGATITConfigError(`translate: tensor dtype must be int32 (0–255 pixels) or float32 ([−1, 1]), received ${t.dtype}`);
  }
  const integer = t.dtype === 'int32';
  const pixels = tf.tidy(() => {
    const x = tf.cast(t.rank === 3 ? tf.expandDims(t, 0) : t, 'float32') as tf.Tensor4D;
    if (integer) return toRgb(x, 255, 0);
    return tf.mul(tf.add(toRgb(x, 1, -1), 1), 127.5) as tf.Tensor4D;
  });
  return { pixels, integer };
}

function decodedToPixels(img: DecodedImage): tf.Tensor4D {
  return tf.tensor4d(Float32Array.from(img.data), [1, img.height, img.width, 3], 'float32');
}

async function readPath(path: string, options: PrepareImagesOptions): Promise<tf.Tensor4D> {
  if (typeof process === 'undefined' || !process.versions?.node) {
    throw new UGATITConfigError(`translate: file paths work in Node only, received ${JSON.stringify(path)}; pass the bytes or an image element`);
  }
  const fs = await import('node:fs/promises');
  const bytes = new Uint8Array(await fs.readFile(path));
  return decodedToPixels(decodeImage(bytes, path, options.decode));
}

async function prepareOne(input: ImageInput, options: PrepareImagesOptions): Promise<PreparedInput> {
  if (input instanceof tf.Tensor) return tensorToPixels(input);
  if (typeof input === 'string') return { pixels: await readPath(input, options), integer: true };
  if (input instanceof Uint8Array) return { pixels: decodedToPixels(decodeImage(input, undefined, options.decode)), integer: true };
  if (isBrowserSource(input)) {
    const pixels = tf.tidy(() => {
      // Four channels so transparent pixels composite over white, as files do.
      const rgba = tf.browser.fromPixels(input as Parameters<typeof tf.browser.fromPixels>[0], 4);
      return toRgb(tf.expandDims(tf.cast(rgba, 'float32'), 0) as tf.Tensor4D, 255, 0);
    });
    return { pixels, integer: true };
  }
  const kind = input === null ? 'null' : typeof input === 'object' ? (input as object).constructor?.name ?? 'object' : typeof input;
  throw new UGATITConfigError(
    `translate: unsupported input ${kind}; pass a tf.Tensor3D/4D, PNG/JPEG bytes, a file path (Node) or a browser image`,
  );
}

/**
 * Converts any accepted input (or an array of them) into float32 pixels `[n, h, w, 3]` on a
 * 0–255 scale, one entry per image: grey is replicated to RGB, alpha is composited over white.
 * Images of different sizes come back as separate entries.
 *
 * @returns one entry per input (a Tensor4D input is one entry); the caller disposes `pixels`.
 * @example
 * ```ts
 * const [{ pixels }] = await prepareImages('photo.jpg'); // [1, h, w, 3], 0..255
 * pixels.dispose();
 * ```
 */
export async function prepareImages(input: ImageInput | readonly ImageInput[], options: PrepareImagesOptions = {}): Promise<PreparedInput[]> {
  const list = Array.isArray(input) ? input : [input as ImageInput];
  if (list.length === 0) throw new UGATITConfigError('translate: received an empty list of images');
  const out: PreparedInput[] = [];
  try {
    for (const item of list) out.push(await prepareOne(item, options));
  } catch (e) {
    tf.dispose(out.map((p) => p.pixels));
    throw e;
  }
  return out;
}

/**
 * Splits a batch `[n, h, w, 3]` into 8-bit RGB images, mapping `range` to 0–255 (default
 * [−1, 1], the generator's output; use [0, 1] for heatmap images and overlays).
 *
 * @example
 * ```ts
 * const [png] = batchToImages(result.image).map(encodePNG);
 * ```
 */
export function batchToImages(batch: tf.Tensor4D | tf.Tensor3D, range: [number, number] = [-1, 1]): DecodedImage[] {
  if (batch.rank === 3) return [tensorToImage(batch as tf.Tensor3D, range)];
  const n = batch.shape[0];
  const out: DecodedImage[] = [];
  for (let i = 0; i < n; i++) {
    const one = tf.tidy(() => tf.squeeze(tf.slice(batch, [i, 0, 0, 0], [1, -1, -1, -1]), [0]) as tf.Tensor3D);
    try {
      out.push(tensorToImage(one, range));
    } finally {
      one.dispose();
    }
  }
  return out;
}

/**
 * The test transform of a prepared image: bilinear resize to the model size (rounded to
 * integers for integer sources, as the reference's PIL resize), then `(x / 255 − 0.5) / 0.5`.
 * Shared by {@link translate} and {@link discriminatorAttention}.
 *
 * @returns `[n, size, size, 3]` in [−1, 1] (n images of the prepared input).
 * @example
 * ```ts
 * const x = toModelInput((await prepareImages('face.png'))[0], 96);
 * ```
 */
export function toModelInput(p: PreparedInput, size: number): tf.Tensor4D {
  return tf.tidy(() => {
    let x = resizeBilinear(p.pixels, size);
    if (p.integer) x = tf.round(x);
    return tf.div(tf.sub(tf.div(x, 255), 0.5), 0.5) as tf.Tensor4D;
  });
}
