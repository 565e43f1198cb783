/**
 * mulberry32: a tiny seeded generator of uint32, so that a test feeds every backend (and every
 * rerun of a reported fuzz case) the same numbers.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** `n` values uniform in [`low`, `high`) drawn from {@link mulberry32}(`seed`). */
export function seededUniform(n: number, seed: number, low = 0, high = 1): Float32Array {
  const next = mulberry32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = low + (high - low) * (next() / 4294967296);
  return out;
}
