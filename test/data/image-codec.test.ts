import { describe, expect, it } from 'vitest';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { UGATITConfigError, UGATITFormatError } from '../../src/errors';
import { IMAGE_MAX_PIXELS, decodeImage, encodePNG, readImageHeader, sniffImageFormat } from '../../src/data/image-codec';
import { makeHugePngHeader, makeJpeg, makePng } from './image-fixtures';

const px = (img: { data: Uint8Array }, i: number): number[] => Array.from(img.data.subarray(3 * i, 3 * i + 3));

function expectFormatError(f: () => unknown, pattern: RegExp): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(UGATITFormatError);
  expect((err as Error).message).toMatch(pattern);
}

describe('decodeImage: PNG kinds', () => {
  it('round-trips RGB and RGBA through encodePNG (pngjs Node build decodes our output too)', () => {
    const data = Uint8Array.from({ length: 5 * 3 * 3 }, (_, i) => (i * 37) % 256);
    const png = encodePNG({ width: 5, height: 3, channels: 3, data });
    expect(sniffImageFormat(png)).toBe('png');
    expect(decodeImage(png, 'rgb.png')).toEqual({ width: 5, height: 3, channels: 3, data });
    const viaNode = PNG.sync.read(Buffer.from(png));
    expect(viaNode.width).toBe(5);
    const rgba = encodePNG({ width: 1, height: 1, channels: 4, data: new Uint8Array([10, 20, 30, 255]) });
    expect(px(decodeImage(rgba), 0)).toEqual([10, 20, 30]);
  });

  it('grey (1-bit and 8-bit) replicates to RGB, scaling sub-8-bit samples', () => {
    const g1 = decodeImage(makePng({ width: 3, height: 1, colorType: 0, bitDepth: 1, samples: [0, 1, 0] }));
    expect(Array.from(g1.data)).toEqual([0, 0, 0, 255, 255, 255, 0, 0, 0]);
    const g2 = decodeImage(makePng({ width: 2, height: 1, colorType: 0, bitDepth: 2, samples: [1, 2] }));
    expect(Array.from(g2.data)).toEqual([85, 85, 85, 170, 170, 170]);
    const g8 = decodeImage(makePng({ width: 2, height: 1, colorType: 0, bitDepth: 8, samples: [7, 200] }));
    expect(Array.from(g8.data)).toEqual([7, 7, 7, 200, 200, 200]);
  });

  it('16-bit rounds v·255/65535 to 8 bits', () => {
    const samples = [65535, 0, 32896, 128, 129, 383];
    const img = decodeImage(makePng({ width: 2, height: 1, colorType: 2, bitDepth: 16, samples }));
    // 32896/257 = 128 exactly; 128/257 = 0.498 → 0; 129/257 = 0.502 → 1; 383/257 = 1.49 → 1
    expect(Array.from(img.data)).toEqual([255, 0, 128, 0, 1, 1]);
  });

  it('grey+alpha and RGBA composite over white; alpha: discard keeps the colour', () => {
    const ga = makePng({ width: 3, height: 1, colorType: 4, bitDepth: 8, samples: [0, 255, 0, 0, 100, 128] });
    // (100·128 + 255·127) / 255 = 177.2 → 177
    expect(Array.from(decodeImage(ga).data)).toEqual([0, 0, 0, 255, 255, 255, 177, 177, 177]);
    expect(Array.from(decodeImage(ga, 'ga.png', { alpha: 'discard' }).data)).toEqual([0, 0, 0, 0, 0, 0, 100, 100, 100]);
    const rgba = makePng({ width: 1, height: 1, colorType: 6, bitDepth: 8, samples: [255, 0, 0, 64] });
    // R: (255·64 + 255·191)/255 = 255; G, B: 255·191/255 = 191
    expect(px(decodeImage(rgba), 0)).toEqual([255, 191, 191]);
    const rgba16 = makePng({ width: 1, height: 1, colorType: 6, bitDepth: 16, samples: [0, 0, 0, 32768] });
    // 65535·32767/65535 / 257 = 127.5… → 127
    expect(px(decodeImage(rgba16), 0)).toEqual([127, 127, 127]);
  });

  it('palette (2-bit, with tRNS) maps entries and composites their alpha', () => {
    const png = makePng({
      width: 3, height: 1, colorType: 3, bitDepth: 2, samples: [0, 1, 2],
      palette: [[10, 20, 30], [200, 100, 50], [0, 0, 0]], trns: [255, 0, 128],
    });
    expect(Array.from(decodeImage(png).data)).toEqual([10, 20, 30, 255, 255, 255, 127, 127, 127]);
  });

  it('grey tRNS key colour becomes transparent (white)', () => {
    const png = makePng({ width: 2, height: 1, colorType: 0, bitDepth: 8, samples: [9, 10], trns: [0, 9] });
    expect(Array.from(decodeImage(png).data)).toEqual([255, 255, 255, 10, 10, 10]);
  });

  it('Adam7-interlaced PNG equals its non-interlaced twin (odd, non-square size)', () => {
    const spec = { width: 11, height: 6, colorType: 2 as const, bitDepth: 8 as const, samples: Array.from({ length: 11 * 6 * 3 }, (_, i) => (i * 13) % 256) };
    const inter = makePng({ ...spec, interlace: true });
    expect(readImageHeader(inter).progressive).toBe(true);
    const a = decodeImage(inter);
    expect(a.width).toBe(11);
    expect(a.height).toBe(6);
    expect(a).toEqual(decodeImage(makePng(spec)));
    expect(Array.from(a.data)).toEqual(spec.samples);
  });

  it('decodes a 1×1 image', () => {
    expect(decodeImage(makePng({ width: 1, height: 1, colorType: 2, bitDepth: 8, samples: [1, 2, 3] }))).toEqual({
      width: 1, height: 1, channels: 3, data: new Uint8Array([1, 2, 3]),
    });
  });
});

describe('decodeImage: JPEG kinds', () => {
  it('round-trips a jpeg-js baseline JPEG within JPEG loss', () => {
    const w = 24;
    const h = 16;
    const rgba = new Uint8Array(w * h * 4);
    for (let i = 0; i < w * h; i++) rgba.set([(i % w) * 10, 120, 200, 255], i * 4);
    const bytes = new Uint8Array(jpeg.encode({ width: w, height: h, data: rgba }, 95).data);
    const img = decodeImage(bytes, 'enc.jpg');
    expect([img.width, img.height]).toEqual([w, h]);
    for (let i = 0; i < w * h; i++) {
      const [r, g, b] = px(img, i);
      expect(Math.abs(r! - (i % w) * 10)).toBeLessThan(12);
      expect(Math.abs(g! - 120)).toBeLessThan(12);
      expect(Math.abs(b! - 200)).toBeLessThan(12);
    }
  });

  it('decodes baseline and progressive JPEGs of the same blocks identically', () => {
    const value = (c: number, b: number): number => [60 + 40 * b, 128, 128][c]!;
    const base = makeJpeg({ width: 24, height: 8, components: 3, value });
    const prog = makeJpeg({ width: 24, height: 8, components: 3, value, progressive: true });
    expect(readImageHeader(prog)).toMatchObject({ format: 'jpeg', width: 24, height: 8, progressive: true, colorType: 3 });
    const a = decodeImage(base);
    expect(decodeImage(prog)).toEqual(a);
    expect(px(a, 0)).toEqual([60, 60, 60]);
    expect(px(a, 8)).toEqual([100, 100, 100]);
    expect(px(a, 23)).toEqual([140, 140, 140]);
  });

  it('grey JPEG replicates to RGB', () => {
    expect(px(decodeImage(makeJpeg({ width: 8, height: 8, components: 1, value: () => 77 })), 5)).toEqual([77, 77, 77]);
  });

  it('Adobe CMYK (inverted, as Photoshop writes it) converts R = C·K/255', () => {
    const img = decodeImage(makeJpeg({ width: 8, height: 8, components: 4, adobeTransform: 0, value: (c) => [200, 100, 50, 128][c]! }));
    const [r, g, b] = px(img, 0);
    expect(Math.abs(r! - (200 * 128) / 255)).toBeLessThanOrEqual(1);
    expect(Math.abs(g! - (100 * 128) / 255)).toBeLessThanOrEqual(1);
    expect(Math.abs(b! - (50 * 128) / 255)).toBeLessThanOrEqual(1);
  });

  it('Adobe YCCK converts through YCbCr to inverted CMY, then as CMYK', () => {
    // Y 60, neutral chroma → 60; R = (255 − 60)·K/255 with K = 255
    expect(px(decodeImage(makeJpeg({ width: 8, height: 8, components: 4, adobeTransform: 2, value: (c) => [60, 128, 128, 255][c]! })), 0)).toEqual([195, 195, 195]);
  });

  it('rejects a 4-component JPEG without the Adobe marker, naming the file', () => {
    const bytes = makeJpeg({ width: 8, height: 8, components: 4, value: () => 100 });
    expectFormatError(() => decodeImage(bytes, 'dir/cmyk.jpg'), /^dir\/cmyk\.jpg: unsupported JPEG: 4 components without an Adobe/);
  });

  it('rejects lossless, arithmetic and 12-bit JPEGs from the frame header', () => {
    const base = makeJpeg({ width: 8, height: 8, components: 1, value: () => 1 });
    const sof = base.findIndex((b, i) => b === 0xff && base[i + 1] === 0xc0);
    const patched = (marker: number, precision = 8): Uint8Array => {
      const c = base.slice();
      c[sof + 1] = marker;
      c[sof + 4] = precision;
      return c;
    };
    expectFormatError(() => decodeImage(patched(0xc3), 'l.jpg'), /l\.jpg: unsupported JPEG: lossless/);
    expectFormatError(() => decodeImage(patched(0xc9), 'a.jpg'), /a\.jpg: unsupported JPEG: arithmetic/);
    expectFormatError(() => decodeImage(patched(0xc0, 12), 't.jpg'), /t\.jpg: unsupported JPEG: 12-bit/);
  });
});

describe('decodeImage: rejections name the source', () => {
  it('zero bytes', () => {
    expectFormatError(() => decodeImage(new Uint8Array(0), 'trainA/empty.png'), /^trainA\/empty\.png: empty file/);
  });

  it('truncated PNG and JPEG', () => {
    const png = makePng({ width: 8, height: 8, colorType: 2, bitDepth: 8, samples: Array.from({ length: 192 }, (_, i) => i) });
    for (const cut of [20, 40, png.length - 30, png.length - 12]) {
      expectFormatError(() => decodeImage(png.slice(0, cut), 'cut.png'), /^cut\.png: truncated PNG/);
    }
    const jpg = makeJpeg({ width: 16, height: 16, components: 3, value: (c, b) => 50 + c * 30 + b });
    for (const cut of [3, 30, jpg.length - 10, jpg.length - 1]) {
      expectFormatError(() => decodeImage(jpg.slice(0, cut), 'cut.jpg'), /^cut\.jpg: truncated JPEG/);
    }
  });

  it('a corrupt IDAT (bad zlib data)', () => {
    const png = makePng({ width: 4, height: 4, colorType: 2, bitDepth: 8, samples: new Array(48).fill(3) });
    const idat = png.findIndex((b, i) => b === 0x49 && png[i + 1] === 0x44 && png[i + 2] === 0x41 && png[i + 3] === 0x54);
    const bad = png.slice();
    for (let i = idat + 4; i < idat + 12; i++) bad[i] = 0xaa;
    expectFormatError(() => decodeImage(bad, 'bad.png'), /^bad\.png: (corrupt|truncated) PNG/);
  });

  it('random garbage and other formats', () => {
    let seed = 1;
    const garbage = Uint8Array.from({ length: 500 }, () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) & 255);
    expectFormatError(() => decodeImage(garbage, 'noise.jpg'), /^noise\.jpg: not a PNG or JPEG file/);
    expectFormatError(() => decodeImage(new TextEncoder().encode('GIF89a....'), 'x.png'), /x\.png: unsupported image format GIF/);
    expectFormatError(() => decodeImage(new TextEncoder().encode('BM........'), 'x.bmp'), /unsupported image format BMP/);
    // a JPEG signature followed by garbage
    const fake = new Uint8Array([0xff, 0xd8, 0xff, ...garbage]);
    expectFormatError(() => decodeImage(fake, 'fake.jpg'), /^fake\.jpg: (corrupt|truncated|unsupported) JPEG/);
  });

  it('detects the format by magic bytes, not by the name', () => {
    const png = makePng({ width: 1, height: 1, colorType: 2, bitDepth: 8, samples: [4, 5, 6] });
    expect(px(decodeImage(png, 'misnamed.jpg'), 0)).toEqual([4, 5, 6]);
  });

  it('a huge IHDR is rejected from the header, fast and without allocating', () => {
    const bytes = makeHugePngHeader(100_000, 100_000);
    expect(bytes.length).toBe(45);
    const t0 = performance.now();
    expectFormatError(() => decodeImage(bytes, 'huge.png'), /^huge\.png: image too large: 100000x100000 = 10000000000 pixels, limit 64000000/);
    expect(performance.now() - t0).toBeLessThan(50);
    expect(IMAGE_MAX_PIXELS).toBe(64_000_000);
    // just over a custom limit
    const ok = makePng({ width: 3, height: 3, colorType: 0, bitDepth: 8, samples: new Array(9).fill(0) });
    expect(decodeImage(ok, 's.png', { maxPixels: 9 }).width).toBe(3);
    expectFormatError(() => decodeImage(ok, 's.png', { maxPixels: 8 }), /image too large: 3x3 = 9 pixels, limit 8/);
  });

  it('a huge JPEG frame header is rejected before jpeg-js allocates', () => {
    const jpg = makeJpeg({ width: 8, height: 8, components: 3, value: () => 9 });
    const sof = jpg.findIndex((b, i) => b === 0xff && jpg[i + 1] === 0xc0);
    jpg[sof + 5] = 0xff; jpg[sof + 6] = 0xff; // height 65535
    jpg[sof + 7] = 0xff; jpg[sof + 8] = 0xff; // width 65535
    expectFormatError(() => decodeImage(jpg, 'big.jpg'), /^big\.jpg: image too large: 65535x65535/);
  });

  it('invalid IHDR fields and options', () => {
    const zero = makePng({ width: 1, height: 1, colorType: 2, bitDepth: 8, samples: [0, 0, 0], ihdrWidth: 0 });
    expectFormatError(() => decodeImage(zero, 'z.png'), /z\.png: corrupt PNG: invalid dimensions 0x1/);
    const wrongDepth = makePng({ width: 1, height: 1, colorType: 2, bitDepth: 8, samples: [0, 0, 0] });
    wrongDepth[24] = 4;
    expectFormatError(() => decodeImage(wrongDepth, 'd.png'), /bit depth 4 is invalid for colour type 2/);
    expect(() => decodeImage(wrongDepth, 'd.png', { maxPixels: 0 })).toThrow(UGATITConfigError);
    expect(() => encodePNG({ width: 2, height: 2, channels: 3, data: new Uint8Array(3) })).toThrow(/expected 2x2x3 = 12/);
  });
});
