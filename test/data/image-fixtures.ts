// Hand-made PNG and JPEG files covering the odd kinds an encoder library rarely writes
// (sub-8-bit, 16-bit, palette with tRNS, Adam7, progressive, Adobe CMYK/YCCK).
import { deflateSync } from 'node:zlib';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function u32(n: number): number[] {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
}

function chunk(type: string, data: ArrayLike<number>): number[] {
  const body = new Uint8Array([...Array.from(type, (c) => c.charCodeAt(0)), ...Array.from(data)]);
  return [...u32(data.length), ...body, ...u32(crc32(body))];
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const ADAM7 = [
  [0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2],
] as const;

export interface PngSpec {
  width: number;
  height: number;
  colorType: 0 | 2 | 3 | 4 | 6;
  bitDepth: 1 | 2 | 4 | 8 | 16;
  /** Samples, row-major, `CHANNELS[colorType]` per pixel, each in [0, 2^bitDepth). */
  samples: number[];
  interlace?: boolean;
  palette?: [number, number, number][];
  /** Raw tRNS payload: palette alphas, or the grey / RGB key colour as 16-bit values. */
  trns?: number[];
  /** Raw IHDR override, for the too-large header test. */
  ihdrWidth?: number;
  ihdrHeight?: number;
}

function packRows(spec: PngSpec, xs: number[], ys: number[]): number[] {
  const ch = CHANNELS[spec.colorType]!;
  const out: number[] = [];
  for (const y of ys) {
    out.push(0); // filter: none
    let acc = 0;
    let nbits = 0;
    for (const x of xs) {
      for (let c = 0; c < ch; c++) {
        const v = spec.samples[(y * spec.width + x) * ch + c]!;
        if (spec.bitDepth === 16) out.push(v >> 8, v & 255);
        else if (spec.bitDepth === 8) out.push(v);
        else {
          acc = (acc << spec.bitDepth) | v;
          nbits += spec.bitDepth;
          if (nbits === 8) { out.push(acc); acc = 0; nbits = 0; }
        }
      }
    }
    if (nbits > 0) out.push(acc << (8 - nbits));
  }
  return out;
}

const range = (start: number, end: number, step: number): number[] => {
  const r: number[] = [];
  for (let i = start; i < end; i += step) r.push(i);
  return r;
};

/** Builds a PNG byte by byte (filter type 0, one IDAT). */
export function makePng(spec: PngSpec): Uint8Array {
  const { width, height } = spec;
  let raw: number[] = [];
  if (spec.interlace) {
    for (const [x0, y0, dx, dy] of ADAM7) {
      const xs = range(x0, width, dx);
      const ys = range(y0, height, dy);
      if (xs.length && ys.length) raw = raw.concat(packRows(spec, xs, ys));
    }
  } else {
    raw = packRows(spec, range(0, width, 1), range(0, height, 1));
  }
  const ihdr = [
    ...u32(spec.ihdrWidth ?? width), ...u32(spec.ihdrHeight ?? height),
    spec.bitDepth, spec.colorType, 0, 0, spec.interlace ? 1 : 0,
  ];
  const bytes = [
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a,
    ...chunk('IHDR', ihdr),
    ...(spec.palette ? chunk('PLTE', spec.palette.flat()) : []),
    ...(spec.trns ? chunk('tRNS', spec.trns) : []),
    ...chunk('IDAT', deflateSync(new Uint8Array(raw))),
    ...chunk('IEND', []),
  ];
  return new Uint8Array(bytes);
}

/** A PNG header claiming `width × height` followed by almost nothing. */
export function makeHugePngHeader(width: number, height: number): Uint8Array {
  return makePng({ width: 1, height: 1, colorType: 2, bitDepth: 8, samples: [0, 0, 0], ihdrWidth: width, ihdrHeight: height }).slice(0, 45);
}

class BitWriter {
  bytes: number[] = [];
  private acc = 0;
  private n = 0;
  write(value: number, bits: number): void {
    for (let i = bits - 1; i >= 0; i--) {
      this.acc = (this.acc << 1) | ((value >> i) & 1);
      if (++this.n === 8) this.flushByte();
    }
  }
  private flushByte(): void {
    this.bytes.push(this.acc);
    if (this.acc === 0xff) this.bytes.push(0x00);
    this.acc = 0;
    this.n = 0;
  }
  finish(): number[] {
    while (this.n !== 0) this.write(1, 1);
    return this.bytes;
  }
}

export interface JpegSpec {
  /** Multiples of 8. */
  width: number;
  height: number;
  components: 1 | 3 | 4;
  /** The flat value of block `b` (raster order) of component `c`, in [0, 255]. */
  value: (c: number, b: number) => number;
  progressive?: boolean;
  /** Adobe APP14 transform: 0 (RGB / CMYK), 1 (YCbCr), 2 (YCCK); absent: no APP14. */
  adobeTransform?: 0 | 1 | 2;
}

function segment(marker: number, payload: number[]): number[] {
  return [0xff, marker, ...[(payload.length + 2) >> 8, (payload.length + 2) & 255], ...payload];
}

/**
 * Builds a JPEG whose blocks are flat (DC only). Quantisation 8 everywhere, so a DC
 * coefficient d decodes to the sample 128 + d. DC categories 0–11 all have 4-bit codes equal
 * to the category; the AC table holds only EOB, coded `0`.
 */
export function makeJpeg(spec: JpegSpec): Uint8Array {
  const { width, height, components } = spec;
  const bx = Math.ceil(width / 8);
  const blocks = bx * Math.ceil(height / 8);
  const out: number[] = [0xff, 0xd8];
  if (spec.adobeTransform !== undefined) {
    out.push(...segment(0xee, [...Array.from('Adobe', (c) => c.charCodeAt(0)), 0, 100, 0, 0, 0, 0, spec.adobeTransform]));
  }
  out.push(...segment(0xdb, [0, ...new Array(64).fill(8)]));
  const comps = range(0, components, 1);
  out.push(...segment(spec.progressive ? 0xc2 : 0xc0, [
    8, height >> 8, height & 255, width >> 8, width & 255, components,
    ...comps.flatMap((c) => [c + 1, 0x11, 0]),
  ]));
  const dcCounts = new Array(16).fill(0);
  dcCounts[3] = 12;
  out.push(...segment(0xc4, [0x00, ...dcCounts, ...range(0, 12, 1)]));
  const acCounts = new Array(16).fill(0);
  acCounts[0] = 1;
  out.push(...segment(0xc4, [0x10, ...acCounts, 0x00]));

  const pred = new Array(components).fill(0);
  const writeDc = (w: BitWriter, c: number, b: number): void => {
    const d = Math.round(spec.value(c, b)) - 128;
    const diff = d - pred[c];
    pred[c] = d;
    const cat = diff === 0 ? 0 : Math.floor(Math.log2(Math.abs(diff))) + 1;
    w.write(cat, 4);
    if (cat > 0) w.write(diff > 0 ? diff : diff + (1 << cat) - 1, cat);
  };
  const sos = (cs: number[], ss: number, se: number): number[] =>
    segment(0xda, [cs.length, ...cs.flatMap((c) => [c + 1, 0x00]), ss, se, 0]);

  if (!spec.progressive) {
    out.push(...sos(comps, 0, 63));
    const w = new BitWriter();
    for (let b = 0; b < blocks; b++) {
      for (const c of comps) {
        writeDc(w, c, b);
        w.write(0, 1); // EOB
      }
    }
    out.push(...w.finish());
  } else {
    out.push(...sos(comps, 0, 0));
    const w = new BitWriter();
    for (let b = 0; b < blocks; b++) for (const c of comps) writeDc(w, c, b);
    out.push(...w.finish());
    for (const c of comps) {
      out.push(...sos([c], 1, 63));
      const wa = new BitWriter();
      for (let b = 0; b < blocks; b++) wa.write(0, 1); // EOB run of 1
      out.push(...wa.finish());
    }
  }
  out.push(0xff, 0xd9);
  return new Uint8Array(out);
}
