import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { UGATITConfigError } from '../errors';
import { heatmapToImage, overlayHeatmap } from '../data/heatmap';
import { prepareImages, toModelInput, type ImageInput, type PrepareImagesOptions } from './input';

/** Options of {@link discriminatorAttention}. */
export interface DiscriminatorAttentionOptions extends PrepareImagesOptions {
  /**
   * Square side the image is resized to before the discriminator sees it (the training
   * size, e.g. the generator's). Default: the image's own size when square, else its shorter side.
   */
  size?: number;
  /** Weight of the heatmap in the overlay. Default 0.5. */
  overlayAlpha?: number;
}

/** What {@link discriminatorAttention} returns; the caller owns the tensors. */
export interface DiscriminatorAttentionResult {
  /** Patch logits `[n, p, p, 1]` (real > 0 under LSGAN's 1/0 targets: near 1 real, near 0 fake). */
  logit: tf.Tensor4D;
  /** CAM logits `[n, 2]`. */
  camLogit: tf.Tensor2D;
  /** Raw attention map `[n, p', p', 1]`. */
  heatmap: tf.Tensor4D;
  /** JET display of the heatmap at the input's size, `[n, H, W, 3]` in [0, 1]. */
  heatmapImage: tf.Tensor4D;
  /** The heatmap blended over the input image, `[n, H, W, 3]` in [0, 1]. */
  overlay: tf.Tensor4D;
  /** Disposes every tensor above. */
  dispose(): void;
}

/**
 * Where a discriminator looks when it judges an image real or fake: its CAM attention map
 * (the paper's Figure 2 (c) and (d), global and local discriminators). Inputs follow the rules
 * of {@link translate}; all images of one call must have the same size.
 *
 * @param discriminator - A network from {@link createDiscriminator} (outputs `[logit, camLogit, heatmap]`).
 * @example
 * ```ts
 * const { disGB } = (await loadTrainingCheckpoint('runs/avatars')).networks;
 * const att = await discriminatorAttention(disGB, translated.image);
 * await fs.writeFile('disGB.png', encodePNG(batchToImages(att.overlay, [0, 1])[0]));
 * att.dispose();
 * ```
 */
export async function discriminatorAttention(
  discriminator: tfl.LayersModel, input: ImageInput | readonly ImageInput[], options: DiscriminatorAttentionOptions = {},
): Promise<DiscriminatorAttentionResult> {
  const alpha = options.overlayAlpha ?? 0.5;
  if (!(alpha >= 0 && alpha <= 1)) throw new UGATITConfigError(`discriminatorAttention: overlayAlpha must be in [0, 1], received ${alpha}`);
  if (discriminator.outputs.length !== 3) {
    throw new UGATITConfigError(`discriminatorAttention: ${discriminator.name} has ${discriminator.outputs.length} outputs, expected [logit, camLogit, heatmap]`);
  }
  const prepared = await prepareImages(input, options);
  try {
    const [, h, w] = prepared[0]!.pixels.shape;
    if (!prepared.every((p) => p.pixels.shape[1] === h && p.pixels.shape[2] === w)) {
      throw new UGATITConfigError('discriminatorAttention: all images of one call must have the same size');
    }
    const size = options.size ?? Math.min(h, w);
    if (!Number.isInteger(size) || size < 1) throw new UGATITConfigError(`discriminatorAttention: size must be a positive integer, received ${size}`);
    const out = tf.tidy(() => {
      const x = tf.concat(prepared.map((p) => toModelInput(p, size)), 0);
      const [logit, camLogit, heatmap] = discriminator.predict(x) as [tf.Tensor4D, tf.Tensor2D, tf.Tensor4D];
      const heats = tf.unstack(heatmap).map((m) => heatmapToImage(m, [h, w]));
      const shown = tf.unstack(tf.div(tf.concat(prepared.map((p) => p.pixels), 0), 255)) as tf.Tensor3D[];
      const overlay = tf.stack(shown.map((s, i) => overlayHeatmap(s, heats[i]!, alpha))) as tf.Tensor4D;
      return { logit, camLogit, heatmap, heatmapImage: tf.stack(heats) as tf.Tensor4D, overlay };
    });
    return { ...out, dispose: () => tf.dispose([out.logit, out.camLogit, out.heatmap, out.heatmapImage, out.overlay]) };
  } finally {
    tf.dispose(prepared.map((p) => p.pixels));
  }
}
