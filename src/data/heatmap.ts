import * as tf from '@tensorflow/tfjs-core';
import { UGATITConfigError } from '../errors';

// OpenCV's COLORMAP_JET as the 256 RGB bytes cv2.applyColorMap returns (opencv-python 4.14,
// `cv2.applyColorMap(np.arange(256, dtype=np.uint8)[None], cv2.COLORMAP_JET)[0, :, ::-1]`).
// It is Octave's jet, r = clip(1.5 − |4i/255 − 3|), g = … − 2|, b = … − 1|, times 255 and
// rounded in float32: the half-way cases round by float noise, so the bytes are stored.
const JET_HEX =
  '00008000008400008800008c00009000009400009800009c0000a00000a40000a80000ac0000b00000b40000b80000bc' +
  '0000c00000c40000c80000cc0000d00000d40000d80000dc0000e00000e40000e80000ec0000f00000f40000f80000fc' +
  '0000ff0004ff0008ff000cff0010ff0014ff0018ff001cff0020ff0024ff0028ff002cff0030ff0034ff0038ff003cff' +
  '0040ff0044ff0048ff004cff0050ff0054ff0058ff005cff0060ff0064ff0068ff006cff0070ff0074ff0078ff007cff' +
  '0080ff0084ff0088ff008cff0090ff0094ff0098ff009cff00a0ff00a4ff00a8ff00acff00b0ff00b4ff00b8ff00bcff' +
  '00c0ff00c4ff00c8ff00ccff00d0ff00d4ff00d8ff00dcff00e0ff00e4ff00e8ff00ecff00f0ff00f4ff00f8ff00fcff' +
  '02fffe06fffa0afff60efff212ffee16ffea1affe61effe222ffde26ffda2affd62effd232ffce36ffca3affc63effc2' +
  '42ffbe46ffba4affb64effb252ffae56ffaa5affa65effa262ff9e66ff9a6aff966eff9272ff8e76ff8a7aff867eff82' +
  '82ff7e86ff7a8aff768eff7292ff6e96ff6a9aff669eff62a2ff5ea6ff5aaaff56aeff52b2ff4eb6ff4abaff46beff42' +
  'c2ff3ec6ff3acaff36ceff32d2ff2ed6ff2adaff26deff22e2ff1ee6ff1aeaff16eeff12f2ff0ef6ff0afaff06feff01' +
  'fffc00fff800fff400fff000ffec00ffe800ffe400ffe000ffdc00ffd800ffd400ffd000ffcc00ffc800ffc400ffc000' +
  'ffbc00ffb800ffb400ffb000ffac00ffa800ffa400ffa000ff9c00ff9800ff9400ff9000ff8c00ff8800ff8400ff8000' +
  'ff7c00ff7800ff7400ff7000ff6c00ff6800ff6400ff6000ff5c00ff5800ff5400ff5000ff4c00ff4800ff4400ff4000' +
  'ff3c00ff3800ff3400ff3000ff2c00ff2800ff2400ff2000ff1c00ff1800ff1400ff1000ff0c00ff0800ff0400ff0000' +
  'fc0000f80000f40000f00000ec0000e80000e40000e00000dc0000d80000d40000d00000cc0000c80000c40000c00000' +
  'bc0000b80000b40000b00000ac0000a80000a40000a000009c00009800009400009000008c0000880000840000800000';

/**
 * OpenCV's JET lookup table as RGB bytes: entry `i` is `JET_LUT.subarray(3 * i, 3 * i + 3)`.
 * Entry 0 is dark blue [0, 0, 128], 255 dark red [128, 0, 0].
 *
 * @example
 * ```ts
 * const [r, g, b] = JET_LUT.subarray(3 * 128, 3 * 128 + 3); // [130, 255, 126]
 * ```
 */
export const JET_LUT: Uint8Array = Uint8Array.from(JET_HEX.match(/../g)!, (h) => parseInt(h, 16));

function jetTable(): tf.Tensor2D {
  return tf.div(tf.tensor2d(Float32Array.from(JET_LUT), [256, 3]), 255);
}

/**
 * Maps values in [0, 1] to OpenCV's JET colours: index `round(clip(v, 0, 1) · 255)` of
 * {@link JET_LUT}, returned as RGB float32 in [0, 1] with a trailing axis of 3.
 *
 * @param v - Any shape; values outside [0, 1] are clipped.
 * @returns `[...v.shape, 3]`.
 * @example
 * ```ts
 * jetColormap(tf.tensor1d([0, 1])); // [[0, 0, 128/255], [128/255, 0, 0]]
 * ```
 */
export function jetColormap(v: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const idx = tf.cast(tf.round(tf.mul(tf.clipByValue(tf.cast(v, 'float32'), 0, 1), 255)), 'int32');
    return tf.gather(jetTable(), idx);
  });
}

/**
 * The reference's `cam()` display of an attention heatmap: min-max normalise, quantise to
 * 8 bits by truncation (`np.uint8(255 · x)`), bilinear resize to the image size (rounded, as
 * OpenCV's 8-bit resize), JET colours. A constant heatmap (max = min) maps to 0 (the reference
 * divides by zero there).
 *
 * @param heatmap - `[h, w]` or `[h, w, 1]` (or `[1, h, w, 1]`), any range.
 * @param size - Output `[height, width]`, or one number for a square.
 * @returns RGB float32 `[height, width, 3]` in [0, 1].
 * @example
 * ```ts
 * const [, , heatmap] = generator.predict(x) as tf.Tensor[];
 * const rgb = heatmapToImage(heatmap, 256);
 * ```
 */
export function heatmapToImage(heatmap: tf.Tensor, size: number | [number, number]): tf.Tensor3D {
  const [h, w] = typeof size === 'number' ? [size, size] : size;
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1) {
    throw new UGATITConfigError(`heatmapToImage: size must be positive integers, received ${h}x${w}`);
  }
  const s = heatmap.shape;
  const ok = s.length === 2 || (s.length === 3 && s[2] === 1) || (s.length === 4 && s[0] === 1 && s[3] === 1);
  if (!ok) throw new UGATITConfigError(`heatmapToImage: expected a [h, w], [h, w, 1] or [1, h, w, 1] heatmap, received [${s.join(', ')}]`);
  const inH = s.length === 4 ? s[1]! : s[0]!;
  const inW = s.length === 4 ? s[2]! : s[1]!;
  return tf.tidy(() => {
    const x = tf.reshape(tf.cast(heatmap, 'float32'), [inH, inW, 1]) as tf.Tensor3D;
    const shifted = tf.sub(x, tf.min(x));
    const max = tf.max(shifted);
    const safeMax = tf.where(tf.greater(max, 0), max, tf.onesLike(max));
    const q = tf.floor(tf.mul(tf.div(shifted, safeMax), 255)) as tf.Tensor3D;
    const resized = inH === h && inW === w ? q : tf.image.resizeBilinear(q, [h, w], false, true);
    const idx = tf.cast(tf.clipByValue(tf.round(resized), 0, 255), 'int32');
    return tf.gather(jetTable(), tf.reshape(idx, [h, w])) as unknown as tf.Tensor3D;
  });
}

/**
 * Blends a colour heatmap over an image: `(1 − alpha) · image + alpha · heatmap`. Both must
 * have the same shape and range (e.g. [0, 1]).
 *
 * @example
 * ```ts
 * const shown = overlayHeatmap(tf.div(tf.add(x, 1), 2), heatmapToImage(hm, 256), 0.4);
 * ```
 */
export function overlayHeatmap(image: tf.Tensor3D, heatmapRGB: tf.Tensor3D, alpha = 0.5): tf.Tensor3D {
  if (!(alpha >= 0 && alpha <= 1)) throw new UGATITConfigError(`overlayHeatmap: alpha must be in [0, 1], received ${alpha}`);
  if (image.shape.join() !== heatmapRGB.shape.join()) {
    throw new UGATITConfigError(`overlayHeatmap: image [${image.shape.join(', ')}] and heatmap [${heatmapRGB.shape.join(', ')}] differ in shape`);
  }
  return tf.tidy(() => tf.add(tf.mul(tf.cast(image, 'float32'), 1 - alpha), tf.mul(tf.cast(heatmapRGB, 'float32'), alpha)));
}

/**
 * Tiles images into one: `rows[i][j]` lands at grid row i, column j. Every tile must have the
 * same `[h, w, c]` shape; rows must have the same length. (The reference's sample sheet stacks
 * each sample's real, A2A heatmap, A2A, A2B heatmap, A2B, A2B2A heatmap, A2B2A vertically and
 * puts samples side by side: pass one row per kind to reproduce it.)
 *
 * @returns `[rows · h, columns · w, c]`.
 * @example
 * ```ts
 * const sheet = sampleGrid([[realA, heatA2B, fakeA2B], [realB, heatB2A, fakeB2A]]);
 * ```
 */
export function sampleGrid(rows: tf.Tensor3D[][]): tf.Tensor3D {
  if (rows.length === 0 || rows[0]!.length === 0) throw new UGATITConfigError('sampleGrid: needs at least one row with one image');
  const cols = rows[0]!.length;
  const shape = rows[0]![0]!.shape;
  rows.forEach((row, i) => {
    if (row.length !== cols) throw new UGATITConfigError(`sampleGrid: row ${i} has ${row.length} images, row 0 has ${cols}`);
    row.forEach((t, j) => {
      if (t.rank !== 3 || t.shape.join() !== shape.join()) {
        throw new UGATITConfigError(`sampleGrid: image [${i}][${j}] has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
      }
    });
  });
  return tf.tidy(() => tf.concat(rows.map((row) => tf.concat(row.map((t) => tf.cast(t, 'float32')), 1)), 0));
}
