import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../helpers/backends';
import { JET_LUT, heatmapToImage, jetColormap, overlayHeatmap, sampleGrid } from '../../src/data/heatmap';

// Golden values from opencv-python 4.14.0 (RGB order):
//   x = np.array(HEAT, np.float32).reshape(4, 4); the reference's utils.cam(x, 8):
//   x -= x.min(); c = np.uint8(255 * (x / x.max())); r = cv2.resize(c, (8, 8))
//   cv2.applyColorMap(r, cv2.COLORMAP_JET)[:, :, ::-1]
const HEAT = [1.764052, 0.400157, 0.978738, 2.240893, 1.867558, -0.977278, 0.950088, -0.151357, -0.103219, 0.410599, 0.144044, 1.454273, 0.761038, 0.121675, 0.443863, 0.333674];
const CAM_RESIZED = [217, 190, 136, 120, 143, 179, 230, 255, 219, 185, 116, 100, 136, 167, 194, 208, 223, 174, 76, 59, 121, 142, 122, 113, 186, 146, 67, 54, 109, 126, 107, 97, 108, 101, 88, 87, 98, 118, 146, 160, 86, 90, 99, 101, 96, 113, 151, 170, 120, 113, 99, 96, 103, 111, 120, 125, 137, 124, 99, 93, 106, 110, 105, 103];
const CAM_RGB = [255, 24, 0, 255, 132, 0, 162, 255, 94, 98, 255, 158, 190, 255, 66, 255, 176, 0, 228, 0, 0, 128, 0, 0, 255, 16, 0, 255, 152, 0, 82, 255, 174, 18, 255, 238, 162, 255, 94, 255, 224, 0, 255, 116, 0, 255, 60, 0, 255, 0, 0, 255, 196, 0, 0, 176, 255, 0, 108, 255, 102, 255, 154, 186, 255, 70, 106, 255, 150, 70, 255, 186, 255, 148, 0, 202, 255, 54, 0, 140, 255, 0, 88, 255, 54, 255, 202, 122, 255, 134, 46, 255, 210, 6, 255, 250, 50, 255, 206, 22, 255, 234, 0, 224, 255, 0, 220, 255, 10, 255, 246, 90, 255, 166, 202, 255, 54, 255, 252, 0, 0, 216, 255, 0, 232, 255, 14, 255, 242, 22, 255, 234, 2, 255, 254, 70, 255, 186, 222, 255, 34, 255, 212, 0, 98, 255, 158, 70, 255, 186, 14, 255, 242, 2, 255, 254, 30, 255, 226, 62, 255, 194, 98, 255, 158, 118, 255, 138, 166, 255, 90, 114, 255, 142, 14, 255, 242, 0, 244, 255, 42, 255, 214, 58, 255, 198, 38, 255, 218, 30, 255, 226];

describe('heatmaps (cpu)', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('JET matches OpenCV at 0, 0.5 and 1 (cv2.applyColorMap on 0, 128, 255, in RGB)', () => {
    const before = tf.memory().numTensors;
    expect(Array.from(JET_LUT.subarray(0, 3))).toEqual([0, 0, 128]);
    expect(Array.from(JET_LUT.subarray(3 * 128, 3 * 129))).toEqual([130, 255, 126]);
    expect(Array.from(JET_LUT.subarray(3 * 255))).toEqual([128, 0, 0]);
    const input = tf.tensor1d([0, 128 / 255, 1, -1, 2]);
    const c = jetColormap(input);
    expect(c.shape).toEqual([5, 3]);
    const v = Array.from(c.dataSync(), (x) => Math.round(x * 255));
    expect(v).toEqual([0, 0, 128, 130, 255, 126, 128, 0, 0, 0, 0, 128, 128, 0, 0]);
    tf.dispose([c, input]);
    // Octave's jet formula, r = clip(1.5 − |4i/255 − 3|), reproduces the table within half-way rounding
    for (let i = 0; i < 256; i++) {
      const f = [765, 510, 255].map((k) => Math.min(255, Math.max(0, 382.5 - Math.abs(4 * i - k))));
      f.forEach((x, ch) => expect(Math.abs(JET_LUT[3 * i + ch]! - x)).toBeLessThanOrEqual(0.5));
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('heatmapToImage reproduces the reference cam() within bilinear rounding', () => {
    const before = tf.memory().numTensors;
    const heat = tf.tensor2d(HEAT, [4, 4]);
    const out = heatmapToImage(heat, 8);
    expect(out.shape).toEqual([8, 8, 3]);
    const got = Array.from(out.dataSync(), (x) => Math.round(x * 255));
    // OpenCV resizes 8-bit images in fixed point: one grey level off moves JET by up to 4
    let worst = 0;
    got.forEach((g, i) => (worst = Math.max(worst, Math.abs(g - CAM_RGB[i]!))));
    expect(worst).toBeLessThanOrEqual(4);
    const exact = got.filter((g, i) => g === CAM_RGB[i]).length;
    expect(exact / got.length).toBeGreaterThan(0.9);
    expect(CAM_RESIZED.length).toBe(64);
    tf.dispose([out, heat]);
    // [1, h, w, 1] and [h, w, 1] inputs, non-square output, constant heatmap → JET(0)
    const flat = tf.ones([1, 3, 3, 1]);
    const a = heatmapToImage(flat, [2, 5]);
    expect(a.shape).toEqual([2, 5, 3]);
    expect(Array.from(a.dataSync().slice(0, 3), (x) => Math.round(x * 255))).toEqual([0, 0, 128]);
    tf.dispose([a, flat]);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => heatmapToImage(tf.zeros([2, 2, 3]), 4)).toThrow(/expected a \[h, w\]/);
  });

  it('overlayHeatmap blends and sampleGrid tiles row by row', () => {
    const before = tf.memory().numTensors;
    const img = tf.zeros([2, 2, 3]) as tf.Tensor3D;
    const heat = tf.ones([2, 2, 3]) as tf.Tensor3D;
    const o = overlayHeatmap(img, heat, 0.25);
    expect(Array.from(o.dataSync())).toEqual(new Array(12).fill(0.25));
    const tiles = [0, 1, 2, 3, 4, 5].map((k) => tf.fill([2, 3, 1], k) as tf.Tensor3D);
    const grid = sampleGrid([tiles.slice(0, 3), tiles.slice(3)]);
    expect(grid.shape).toEqual([4, 9, 1]);
    const g = grid.arraySync() as number[][][];
    expect(g[0]![0]![0]).toBe(0);
    expect(g[1]![8]![0]).toBe(2);
    expect(g[2]![0]![0]).toBe(3);
    expect(g[3]![5]![0]).toBe(4);
    expect(() => sampleGrid([[tiles[0]!], [tiles[1]!, tiles[2]!]])).toThrow(/row 1 has 2 images, row 0 has 1/);
    expect(() => overlayHeatmap(img, heat, 2)).toThrow(/alpha must be in \[0, 1\]/);
    tf.dispose([img, heat, o, grid, ...tiles]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
