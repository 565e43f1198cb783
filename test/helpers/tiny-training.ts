import * as tf from '@tensorflow/tfjs-core';
import { createDiscriminator, createGenerator, encodePNG, NETWORK_NAMES, RNG } from '../../src';
import type { UGATITNetworks } from '../../src';

/**
 * Runs `fn` with `Math.random` replaced by a seeded generator, so that the unseeded weight
 * initialisers (which seed tfjs's own generator from `Math.random`) draw the same weights
 * every time.
 */
export function withSeededRandom<T>(seed: number, fn: () => T): T {
  const original = Math.random;
  const rng = new RNG(seed);
  Math.random = () => rng.next();
  try {
    return fn();
  } finally {
    Math.random = original;
  }
}

/** Sizes of {@link tinyNetworks}. */
export interface TinyConfig {
  size?: number; ngf?: number; ndf?: number; nBlocks?: number; light?: boolean; globalLayers?: number; localLayers?: number; seed?: number;
}

/**
 * Six small U-GAT-IT networks for fast tests: by default 32 px, light generators with `ngf` 4
 * and one block, discriminators of `ndf` 4 with 5 (global) and 3 (local) layers; seeded
 * weights. The reference's discriminators (7 and 5 layers) need at least 96 px to run, but any
 * size to be saved and loaded.
 */
export function tinyNetworks(c: TinyConfig = {}): UGATITNetworks {
  const { size = 32, ngf = 4, ndf = 4, nBlocks = 1, light = true, globalLayers = 5, localLayers = 3, seed = 1 } = c;
  return withSeededRandom(seed, () => {
    const gen = (name: string) => createGenerator({ ngf, nBlocks, imgSize: size, light, name });
    const dis = (name: string, nLayers: number) => createDiscriminator({ ndf, nLayers, name });
    return {
      genA2B: gen('genA2B'), genB2A: gen('genB2A'),
      disGA: dis('disGA', globalLayers), disGB: dis('disGB', globalLayers),
      disLA: dis('disLA', localLayers), disLB: dis('disLB', localLayers),
    };
  });
}

/** Every weight (trainable or not) of the six networks, copied, keyed `<network>/<weight>`. */
export function weightValues(nets: UGATITNetworks): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const n of NETWORK_NAMES) for (const w of nets[n].weights) out[`${n}/${w.originalName}`] = w.read().dataSync() as Float32Array;
  return out;
}

/** A float64 sum of every weight of the six networks, weighted by position: equal weights give equal sums. */
export function weightChecksum(nets: UGATITNetworks): number {
  let sum = 0;
  let k = 0;
  for (const values of Object.values(weightValues(nets))) for (const v of values) sum += v * (1 + (k++ % 7));
  return sum;
}

// The library's own, re-exported for the tests that import it from here.
export { disposeNetworks } from '../../src';

/** A seeded `[n, S, S, 3]` batch in [−1, 1]. */
export function randomBatch(n: number, size: number, seed: number): tf.Tensor4D {
  return tf.randomUniform([n, size, size, 3], -1, 1, 'float32', seed) as tf.Tensor4D;
}

/**
 * Writes two synthetic domains in the reference layout under `root`: A = red squares, B = blue
 * discs, each at a random place and size on a noisy grey background; PNG, `side` px, seeded.
 */
export async function writeSyntheticDomains(root: string, o: { side?: number; train?: number; test?: number; seed?: number } = {}): Promise<void> {
  const { side = 32, train = 8, test = 2, seed = 0 } = o;
  const [fs, path] = await Promise.all([import('node:fs/promises'), import('node:path')]);
  const rng = new RNG(seed);
  const draw = (domain: 'A' | 'B') => {
    const data = new Uint8Array(side * side * 3);
    const r = side * (0.2 + 0.15 * rng.next());
    const cx = r + rng.next() * (side - 2 * r);
    const cy = r + rng.next() * (side - 2 * r);
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const inside = domain === 'A' ? Math.abs(x - cx) < r && Math.abs(y - cy) < r : (x - cx) ** 2 + (y - cy) ** 2 < r * r;
        const noise = () => Math.round((rng.next() - 0.5) * 16);
        const base = inside ? (domain === 'A' ? [220, 40, 40] : [40, 60, 220]) : [128, 128, 128];
        for (let c = 0; c < 3; c++) data[(y * side + x) * 3 + c] = Math.max(0, Math.min(255, base[c]! + noise()));
      }
    }
    return encodePNG({ width: side, height: side, channels: 3, data });
  };
  for (const [folder, count] of [['trainA', train], ['trainB', train], ['testA', test], ['testB', test]] as const) {
    await fs.mkdir(path.join(root, folder), { recursive: true });
    for (let i = 0; i < count; i++) {
      await fs.writeFile(path.join(root, folder, `${String(i).padStart(3, '0')}.png`), draw(folder.endsWith('A') ? 'A' : 'B'));
    }
  }
}

/** A fresh temporary folder. */
export async function tempDir(prefix: string): Promise<string> {
  const [fs, os, path] = await Promise.all([import('node:fs/promises'), import('node:os'), import('node:path')]);
  return fs.mkdtemp(path.join(os.tmpdir(), `ugatit-${prefix}-`));
}
