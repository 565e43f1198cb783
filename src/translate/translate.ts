import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { UGATITConfigError } from '../errors';
import { heatmapToImage, overlayHeatmap } from '../data/heatmap';
import { resizeBilinear } from '../data/tensor-image';
import { prepareImages, toModelInput, type ImageInput, type PrepareImagesOptions, type PreparedInput } from './input';

/** Options of {@link translate}. */
export interface TranslateOptions extends PrepareImagesOptions {
  /**
   * Size of the returned images: `'input'` (default) resizes the output back to each input's
   * size; `'model'` keeps the generator's square size; a number or `[height, width]` sets it.
   * When the inputs of one call differ in size, `'input'` falls back to `'model'`.
   */
  outputSize?: 'input' | 'model' | number | [number, number];
  /** Weight of the heatmap in {@link TranslateResult.overlay}. Default 0.5. */
  overlayAlpha?: number;
  /**
   * Generator input side when the model does not fix one (a fully convolutional custom
   * generator). Default: the input's size rounded down to a multiple of 4.
   */
  modelSize?: number;
}

/**
 * What {@link translate} returns. Every tensor is a batch, even for one image; the caller owns
 * them (call {@link TranslateResult.dispose}).
 */
export interface TranslateResult {
  /** Translated images, float32 `[n, H, W, 3]` in [−1, 1] (see `batchToImages`). */
  image: tf.Tensor4D;
  /** The generator's raw CAM attention map, `[n, s/4, s/4, 1]` at the model size s. */
  heatmap: tf.Tensor4D;
  /** The heatmap as the reference displays it (min-max, JET), `[n, H, W, 3]` in [0, 1]. */
  heatmapImage: tf.Tensor4D;
  /** JET heatmap blended over the translated image, `[n, H, W, 3]` in [0, 1]. */
  overlay: tf.Tensor4D;
  /** The generator's CAM logits `[n, 2]`. */
  camLogit: tf.Tensor2D;
  /** Disposes every tensor above. */
  dispose(): void;
}

/**
 * The square side a generator was built for (`null` when its input size is free) and its
 * input channels.
 *
 * @example
 * ```ts
 * generatorInputSize(createGenerator({ imgSize: 96 })); // { size: 96, channels: 3 }
 * ```
 */
export function generatorInputSize(generator: tfl.LayersModel): {
  /** Side of the square input, or null when the model accepts any size. */
  size: number | null;
  /** Input channels. */
  channels: number;
} {
  const shape = generator.inputs[0]?.shape;
  if (!shape || shape.length !== 4) throw new UGATITConfigError(`translate: ${generator.name} does not take [n, h, w, c] images`);
  const [, h, w, c] = shape;
  if (h !== w) throw new UGATITConfigError(`translate: ${generator.name} takes ${h}x${w} images; only square generators are supported`);
  return { size: h ?? null, channels: c ?? 3 };
}

function resolveOutputSize(option: TranslateOptions['outputSize'], inputs: PreparedInput[], model: number): [number, number] {
  if (option === undefined || option === 'input') {
    const [, h, w] = inputs[0]!.pixels.shape;
    const same = inputs.every((p) => p.pixels.shape[1] === h && p.pixels.shape[2] === w);
    return same ? [h, w] : [model, model];
  }
  if (option === 'model') return [model, model];
  const [h, w] = typeof option === 'number' ? [option, option] : option;
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1) {
    throw new UGATITConfigError(`translate: outputSize must be 'input', 'model' or positive integers, received ${JSON.stringify(option)}`);
  }
  return [h, w];
}

/**
 * Translates images with a U-GAT-IT generator (from {@link createGenerator}, a checkpoint or
 * `loadPretrained`) and returns the output with its CAM attention heatmap.
 *
 * Input rules (see {@link ImageInput}): `int32` tensors are 0–255 pixels, `float32` tensors
 * are [−1, 1]; files and browser images are 8-bit. Grey is replicated to RGB, alpha is
 * composited over white. Every image is resized to the generator's square input (bilinear,
 * half-pixel centres, the reference's test transform), translated, and the output resized
 * back to the input's size (see {@link TranslateOptions.outputSize}): a non-square input is
 * stretched to the square and back, so its aspect ratio is kept in the result.
 *
 * @param generator - A generator with outputs `[image, camLogit, heatmap]`.
 * @param input - One image, a batch tensor, or an array of images.
 * @example
 * ```ts
 * const { genA2B } = await loadPretrained('avatars');
 * const result = await translate(genA2B, 'face.png');
 * await fs.writeFile('out.png', encodePNG(batchToImages(result.image)[0]));
 * await fs.writeFile('heat.png', encodePNG(batchToImages(result.overlay, [0, 1])[0]));
 * result.dispose();
 * ```
 */
export async function translate(
  generator: tfl.LayersModel, input: ImageInput | readonly ImageInput[], options: TranslateOptions = {},
): Promise<TranslateResult> {
  const alpha = options.overlayAlpha ?? 0.5;
  if (!(alpha >= 0 && alpha <= 1)) throw new UGATITConfigError(`translate: overlayAlpha must be in [0, 1], received ${alpha}`);
  if (generator.outputs.length !== 3) {
    throw new UGATITConfigError(`translate: ${generator.name} has ${generator.outputs.length} outputs, expected [image, camLogit, heatmap]`);
  }
  const { size: fixed, channels } = generatorInputSize(generator);
  if (channels !== 3) throw new UGATITConfigError(`translate: ${generator.name} takes ${channels}-channel images; only RGB generators are supported`);
  const prepared = await prepareImages(input, options);
  try {
    const [, h0, w0] = prepared[0]!.pixels.shape;
    const size = fixed ?? options.modelSize ?? Math.floor(Math.min(h0, w0) / 4) * 4;
    if (!Number.isInteger(size) || size < 8 || size % 4 !== 0) {
      throw new UGATITConfigError(`translate: modelSize must be a multiple of 4 of at least 8, received ${size}`);
    }
    const [outH, outW] = resolveOutputSize(options.outputSize, prepared, size);
    const out = tf.tidy(() => {
      const x = tf.concat(prepared.map((p) => toModelInput(p, size)), 0) as tf.Tensor4D;
      const [fake, camLogit, heatmap] = generator.predict(x) as [tf.Tensor4D, tf.Tensor2D, tf.Tensor4D];
      const image = resizeBilinear(fake, [outH, outW]);
      const heats = tf.unstack(heatmap).map((h) => heatmapToImage(h, [outH, outW]));
      const shown = tf.unstack(tf.div(tf.add(image, 1), 2)) as tf.Tensor3D[];
      const overlay = tf.stack(shown.map((s, i) => overlayHeatmap(tf.clipByValue(s, 0, 1), heats[i]!, alpha))) as tf.Tensor4D;
      return { image, camLogit, heatmap, heatmapImage: tf.stack(heats) as tf.Tensor4D, overlay };
    });
    return { ...out, dispose: () => tf.dispose([out.image, out.camLogit, out.heatmap, out.heatmapImage, out.overlay]) };
  } finally {
    tf.dispose(prepared.map((p) => p.pixels));
  }
}
