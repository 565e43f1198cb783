import pngjs from 'pngjs/browser.js';
import jpeg from 'jpeg-js';
import { UGATITConfigError, UGATITFormatError } from '../errors';

/**
 * Largest image, in pixels (width × height), that {@link decodeImage} accepts by default:
 * 64 megapixels (64 000 000, the megapixel jpeg-js counts in). The dimensions are read from
 * the PNG IHDR or JPEG SOF header and checked before any pixel memory is allocated.
 */
export const IMAGE_MAX_PIXELS = 64_000_000;

/**
 * An 8-bit RGB image, row-major, `data.length === width * height * 3`.
 *
 * @example
 * ```ts
 * const img: DecodedImage = { width: 1, height: 1, channels: 3, data: new Uint8Array([255, 0, 0]) };
 * ```
 */
export interface DecodedImage {
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** Always 3 (RGB). */
  readonly channels: 3;
  /** `height · width · 3` bytes, row-major RGB. */
  readonly data: Uint8Array;
}

/**
 * An 8-bit RGB or RGBA image, row-major, as {@link encodePNG} accepts it.
 *
 * @example
 * ```ts
 * const rgba: RawImage = { width: 1, height: 1, channels: 4, data: new Uint8Array([0, 0, 0, 128]) };
 * ```
 */
export interface RawImage {
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** 3 (RGB) or 4 (RGBA). */
  readonly channels: 3 | 4;
  /** `height · width · channels` bytes, row-major. */
  readonly data: Uint8Array;
}

/**
 * The image formats {@link decodeImage} decodes.
 *
 * @example
 * ```ts
 * const f: ImageFormat | null = sniffImageFormat(bytes);
 * ```
 */
export type ImageFormat = 'png' | 'jpeg';

/**
 * What the header of an image says, read by {@link readImageHeader} without decoding pixels.
 *
 * @example
 * ```ts
 * const { width, height } = readImageHeader(bytes, 'a.png');
 * ```
 */
export interface ImageHeader {
  /** The container format. */
  format: ImageFormat;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** PNG bit depth (1, 2, 4, 8, 16) or JPEG sample precision (8). */
  bitDepth: number;
  /** PNG colour type (0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA) or JPEG component count (1, 3, 4). */
  colorType: number;
  /** Adam7-interlaced PNG or progressive JPEG. */
  progressive: boolean;
}

/**
 * Options of {@link decodeImage}.
 *
 * @example
 * ```ts
 * decodeImage(bytes, 'a.png', { maxPixels: 4096 * 4096, alpha: 'discard' });
 * ```
 */
export interface DecodeImageOptions {
  /** Reject images with more pixels than this (checked on the header). Default {@link IMAGE_MAX_PIXELS}. */
  maxPixels?: number;
  /**
   * What to do with an alpha channel (grey+alpha, RGBA, palette or grey/RGB with `tRNS`).
   * `'white'` (default) composites over white: `out = c·a + 255·(1 − a)` with `a` in [0, 1].
   * `'discard'` keeps the colour samples and drops alpha, as PIL's `convert('RGB')` in the
   * reference's loader does (pixels made transparent by a PNG `tRNS` colour then come out black).
   */
  alpha?: 'white' | 'discard';
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const DEFAULT_SOURCE = '<image bytes>';

function fail(source: string, message: string): never {
  throw new UGATITFormatError(source, message);
}

function startsWith(bytes: Uint8Array, sig: ArrayLike<number>, at = 0): boolean {
  if (bytes.length < at + sig.length) return false;
  for (let i = 0; i < sig.length; i++) if (bytes[at + i] !== sig[i]) return false;
  return true;
}

const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0));

/** Formats we recognise only to name them in the error message. */
function otherFormat(bytes: Uint8Array): string | null {
  if (startsWith(bytes, ascii('GIF8'))) return 'GIF';
  if (startsWith(bytes, ascii('BM'))) return 'BMP';
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8)) return 'WebP';
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return 'TIFF';
  if (startsWith(bytes, ascii('ftyp'), 4)) return 'HEIF/AVIF';
  if (startsWith(bytes, ascii('qoif'))) return 'QOI';
  if (bytes.length >= 2 && bytes[0] === 0x50 && bytes[1]! >= 0x31 && bytes[1]! <= 0x37) return 'PNM';
  return null;
}

/**
 * Detects the format from the magic bytes (never from a file name): PNG signature or JPEG SOI.
 *
 * @returns `'png'`, `'jpeg'`, or `null` for anything else.
 * @example
 * ```ts
 * sniffImageFormat(new Uint8Array([0xff, 0xd8, 0xff, 0xe0])); // 'jpeg'
 * ```
 */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | null {
  if (startsWith(bytes, PNG_SIGNATURE)) return 'png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  return null;
}

const u32be = (b: Uint8Array, o: number): number => ((b[o]! << 24) >>> 0) + (b[o + 1]! << 16) + (b[o + 2]! << 8) + b[o + 3]!;
const u16be = (b: Uint8Array, o: number): number => (b[o]! << 8) | b[o + 1]!;

const PNG_DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

function readPngHeader(bytes: Uint8Array, source: string): ImageHeader {
  if (bytes.length < 33) fail(source, `truncated PNG: ${bytes.length} bytes, too short for the IHDR chunk`);
  if (u32be(bytes, 8) !== 13 || !startsWith(bytes, ascii('IHDR'), 12)) {
    fail(source, 'corrupt PNG: the first chunk is not a 13-byte IHDR');
  }
  const width = u32be(bytes, 16);
  const height = u32be(bytes, 20);
  const bitDepth = bytes[24]!;
  const colorType = bytes[25]!;
  const interlace = bytes[28]!;
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) {
    fail(source, `corrupt PNG: invalid dimensions ${width}x${height}`);
  }
  const depths = PNG_DEPTHS[colorType];
  if (!depths) fail(source, `corrupt PNG: unknown colour type ${colorType}`);
  if (!depths.includes(bitDepth)) fail(source, `corrupt PNG: bit depth ${bitDepth} is invalid for colour type ${colorType}`);
  if (bytes[26] !== 0 || bytes[27] !== 0) fail(source, 'corrupt PNG: unknown compression or filter method');
  if (interlace > 1) fail(source, `corrupt PNG: unknown interlace method ${interlace}`);
  return { format: 'png', width, height, bitDepth, colorType, progressive: interlace === 1 };
}

function readJpegHeader(bytes: Uint8Array, source: string): ImageHeader {
  let o = 2;
  for (;;) {
    while (o < bytes.length && bytes[o] !== 0xff) o++; // tolerate junk between segments, as decoders do
    while (o < bytes.length && bytes[o] === 0xff) o++; // fill bytes
    if (o >= bytes.length) fail(source, 'truncated JPEG: ended before the frame header (SOF)');
    const marker = bytes[o++]!;
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) continue;
    if (marker === 0xd9) fail(source, 'corrupt JPEG: end-of-image marker before any frame header (SOF)');
    if (o + 2 > bytes.length) fail(source, 'truncated JPEG: ended inside a segment header');
    const length = u16be(bytes, o);
    if (length < 2) fail(source, `corrupt JPEG: segment 0xFF${marker.toString(16).toUpperCase()} has length ${length}`);
    if (marker === 0xda) fail(source, 'corrupt JPEG: scan data (SOS) before any frame header (SOF)');
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      if (o + 8 > bytes.length) fail(source, 'truncated JPEG: ended inside the frame header (SOF)');
      const name = `SOF${marker - 0xc0}`;
      if (marker > 0xc2) {
        const kind = marker === 0xc3 ? 'lossless' : marker >= 0xc9 ? 'arithmetic-coded' : 'hierarchical';
        fail(source, `unsupported JPEG: ${kind} coding (${name}); only baseline, extended and progressive Huffman JPEGs decode`);
      }
      const bitDepth = bytes[o + 2]!;
      const height = u16be(bytes, o + 3);
      const width = u16be(bytes, o + 5);
      const components = bytes[o + 7]!;
      if (bitDepth !== 8) fail(source, `unsupported JPEG: ${bitDepth}-bit samples; only 8-bit JPEGs decode`);
      if (height === 0) fail(source, 'unsupported JPEG: height 0 in the frame header (height given by a DNL marker)');
      if (width === 0) fail(source, 'corrupt JPEG: width 0 in the frame header');
      if (components !== 1 && components !== 3 && components !== 4) {
        fail(source, `unsupported JPEG: ${components} colour components; 1 (grey), 3 (YCbCr/RGB) or 4 (Adobe CMYK/YCCK) decode`);
      }
      return { format: 'jpeg', width, height, bitDepth, colorType: components, progressive: marker === 0xc2 };
    }
    o += length;
  }
}

/**
 * Reads width, height and coding from the PNG IHDR chunk or the JPEG frame header without
 * decoding any pixel, and checks that they are valid.
 *
 * @param bytes - The file contents.
 * @param source - Names the image in error messages (usually its path).
 * @throws UGATITFormatError naming `source` for an empty, unknown, truncated or invalid header.
 * @example
 * ```ts
 * const h = readImageHeader(await fs.readFile('photo.jpg'), 'photo.jpg');
 * console.log(h.width, h.height, h.progressive);
 * ```
 */
export function readImageHeader(bytes: Uint8Array, source: string = DEFAULT_SOURCE): ImageHeader {
  if (bytes.length === 0) fail(source, 'empty file (0 bytes)');
  const format = sniffImageFormat(bytes);
  if (format === 'png') return readPngHeader(bytes, source);
  if (format === 'jpeg') return readJpegHeader(bytes, source);
  const other = otherFormat(bytes);
  if (other) fail(source, `unsupported image format ${other}; only PNG and JPEG decode`);
  const head = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
  fail(source, `not a PNG or JPEG file (starts with bytes ${head})`);
}

function checkPixels(h: ImageHeader, maxPixels: number, source: string): void {
  if (h.width * h.height > maxPixels) {
    fail(source, `image too large: ${h.width}x${h.height} = ${h.width * h.height} pixels, limit ${maxPixels}`);
  }
}

// The browser build of pngjs works on its bundled Buffer polyfill (it calls readUInt32BE on its
// input); its class is reachable through any PNG's pixel buffer.
type PngBuffer = Uint8Array & { readUInt32BE(o: number): number };
let PngBufferClass: { from(a: Uint8Array): PngBuffer } | undefined;
function toPngBuffer(bytes: Uint8Array): PngBuffer {
  PngBufferClass ??= new pngjs.PNG({ width: 1, height: 1 }).data.constructor as unknown as { from(a: Uint8Array): PngBuffer };
  return PngBufferClass.from(bytes);
}

function pngError(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  if (/read requests waitng on finished stream|Ran out of data|unexpected end/i.test(m)) return `truncated PNG (${m})`;
  return `corrupt PNG (${m})`;
}

function decodePng(bytes: Uint8Array, header: ImageHeader, alpha: 'white' | 'discard', source: string): DecodedImage {
  let png: { width: number; height: number; data: ArrayLike<number> };
  try {
    png = pngjs.PNG.sync.read(toPngBuffer(bytes) as never, { skipRescale: true }) as never;
  } catch (e) {
    fail(source, pngError(e));
  }
  const { width, height } = header;
  if (png.width !== width || png.height !== height || png.data.length < width * height * 4) {
    fail(source, 'corrupt PNG: decoded size does not match the IHDR chunk');
  }
  // pngjs expands every colour type to RGBA; palette entries are already 8-bit, other samples
  // keep their bit depth because we ask it not to rescale (we round ourselves).
  const max = header.colorType === 3 ? 255 : 2 ** header.bitDepth - 1;
  const scale = 255 / max;
  const src = png.data;
  const n = width * height;
  const out = new Uint8Array(n * 3);
  for (let p = 0, i = 0, j = 0; p < n; p++, i += 4, j += 3) {
    const a = src[i + 3]!;
    for (let c = 0; c < 3; c++) {
      const v = src[i + c]!;
      const composited = alpha === 'white' && a !== max ? (v * a + max * (max - a)) / max : v;
      out[j + c] = Math.round(composited * scale);
    }
  }
  return { width, height, channels: 3, data: out };
}

function hasEndOfImage(bytes: Uint8Array): boolean {
  // Entropy-coded data never holds 0xFF 0xD9 (0xFF is stuffed), so any EOI after the header
  // means the scan data is complete; trailing bytes after EOI are allowed.
  for (let i = bytes.length - 2; i >= 2; i--) if (bytes[i] === 0xff && bytes[i + 1] === 0xd9) return true;
  return false;
}

function decodeJpeg(bytes: Uint8Array, header: ImageHeader, maxPixels: number, source: string): DecodedImage {
  if (!hasEndOfImage(bytes)) fail(source, 'truncated JPEG: no end-of-image (EOI) marker');
  // jpeg-js counts every allocation (coefficients 4 B/px and two 1 B/px planes per component,
  // 3 B/px output); bound it by what this header needs, padded to whole 32-pixel MCUs.
  const padded = (header.width + 32) * (header.height + 32);
  const maxMemoryUsageInMB = Math.ceil((padded * (6 * header.colorType + 3)) / 2 ** 20) + 16;
  let img: { width: number; height: number; data: Uint8Array };
  try {
    img = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      maxResolutionInMP: maxPixels / 1e6,
      maxMemoryUsageInMB,
    });
  } catch (e) {
    const m = e instanceof Error ? e.message : String(e);
    if (/4 components/.test(m)) fail(source, 'unsupported JPEG: 4 components without an Adobe APP14 marker (CMYK colour space unknown)');
    fail(source, `corrupt JPEG (${m})`);
  }
  if (img.width !== header.width || img.height !== header.height || img.data.length !== img.width * img.height * 3) {
    fail(source, 'corrupt JPEG: decoded size does not match the frame header');
  }
  return { width: img.width, height: img.height, channels: 3, data: img.data };
}

/**
 * Decodes a PNG or JPEG file into 8-bit RGB. The format is detected from the magic bytes, never
 * from a file name, and the header's dimensions are checked against `maxPixels` before any
 * pixel is decoded. Conversion rules (see docs/images.md):
 * - grey → R = G = B; palette → its RGB(A) entries; sub-8-bit and 16-bit samples → 8 bits by
 *   `round(v · 255 / (2^depth − 1))`;
 * - alpha (grey+alpha, RGBA, palette or colour-key `tRNS`) → composited over white (default) or
 *   dropped (`alpha: 'discard'`);
 * - interlaced PNG, progressive JPEG, grey JPEG, Adobe CMYK and YCCK JPEG (Adobe APP14 marker,
 *   inverted CMYK as Photoshop writes it: `R = C·K / 255`) decode; 4-component JPEGs without the
 *   Adobe marker, 12-bit, lossless and arithmetic-coded JPEGs are rejected.
 *
 * @param bytes - The file contents.
 * @param source - Names the image in error messages (usually its path).
 * @param options - Pixel limit and alpha handling.
 * @throws UGATITFormatError whose message starts with `source` for an empty, unknown,
 *   truncated, corrupt, unsupported or oversized image.
 * @example
 * ```ts
 * const img = decodeImage(await fs.readFile('trainA/0001.png'), 'trainA/0001.png');
 * console.log(img.width, img.height, img.data.length === img.width * img.height * 3);
 * ```
 */
export function decodeImage(bytes: Uint8Array, source: string = DEFAULT_SOURCE, options: DecodeImageOptions = {}): DecodedImage {
  const maxPixels = options.maxPixels ?? IMAGE_MAX_PIXELS;
  const alpha = options.alpha ?? 'white';
  if (!(maxPixels > 0)) throw new UGATITConfigError(`decodeImage: maxPixels must be positive, received ${maxPixels}`);
  if (alpha !== 'white' && alpha !== 'discard') {
    throw new UGATITConfigError(`decodeImage: alpha must be 'white' or 'discard', received ${String(alpha)}`);
  }
  const header = readImageHeader(bytes, source);
  checkPixels(header, maxPixels, source);
  return header.format === 'png' ? decodePng(bytes, header, alpha, source) : decodeJpeg(bytes, header, maxPixels, source);
}

/**
 * Encodes an 8-bit RGB or RGBA image as a (non-interlaced, 8-bit) PNG.
 *
 * @throws UGATITConfigError when `data.length` does not match `width × height × channels`.
 * @example
 * ```ts
 * const png = encodePNG({ width: 2, height: 1, channels: 3, data: new Uint8Array([255, 0, 0, 0, 0, 255]) });
 * await fs.writeFile('out.png', png);
 * ```
 */
export function encodePNG(image: DecodedImage | RawImage): Uint8Array {
  const { width, height, channels, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new UGATITConfigError(`encodePNG: width and height must be positive integers, received ${width}x${height}`);
  }
  if (channels !== 3 && channels !== 4) throw new UGATITConfigError(`encodePNG: channels must be 3 or 4, received ${String(channels)}`);
  if (data.length !== width * height * channels) {
    throw new UGATITConfigError(
      `encodePNG: data has ${data.length} bytes, expected ${width}x${height}x${channels} = ${width * height * channels}`,
    );
  }
  const colorType = channels === 4 ? 6 : 2;
  const png = new pngjs.PNG({ width, height, colorType, inputColorType: colorType, inputHasAlpha: channels === 4 });
  png.data = toPngBuffer(data) as never;
  const out = pngjs.PNG.sync.write(png, { colorType, inputColorType: colorType, inputHasAlpha: channels === 4 });
  return new Uint8Array(out.buffer, out.byteOffset, out.length).slice();
}

// Deprecated spellings (docs/api.md lists every rename).

/** @deprecated Renamed {@link encodePNG}; this alias is kept for existing code and goes in the next major version. */
export const encodePng = encodePNG;
