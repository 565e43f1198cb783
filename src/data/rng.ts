import { UGATITConfigError } from '../errors';

/** splitmix32: spreads a 32-bit seed over the four words of xoshiro's state. */
function splitmix32(x: number): [number, number] {
  x = (x + 0x9e3779b9) >>> 0;
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return [x, (z ^ (z >>> 16)) >>> 0];
}

const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

/**
 * A small seedable pseudo-random generator (xoshiro128**, seeded through splitmix32) whose
 * whole state is four 32-bit words, so a training run can save it and resume bit for bit.
 * Not for cryptography.
 *
 * @example
 * ```ts
 * const rng = new RNG(42);
 * const flip = rng.next() < 0.5;
 * const saved = rng.getState();
 * const again = RNG.fromState(saved); // continues exactly where rng is
 * ```
 */
export class RNG {
  private s: Uint32Array;

  /**
   * @param seed - Any safe integer (negative allowed); equal seeds give equal sequences.
   * @throws UGATITConfigError when `seed` is not a safe integer.
   */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new UGATITConfigError(`RNG: seed must be a safe integer, received ${seed}`);
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 2 ** 32) >>> 0;
    let x = (lo ^ Math.imul(hi, 0x27d4eb2d)) >>> 0;
    this.s = new Uint32Array(4);
    for (let i = 0; i < 4; i++) {
      const [next, out] = splitmix32(x);
      x = next;
      this.s[i] = out;
    }
    if (this.s.every((w) => w === 0)) this.s[0] = 1; // the all-zero state is a fixed point
  }

  /** The next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** A uniform float in [0, 1) with 32 random bits. */
  next(): number {
    return this.nextUint32() / 2 ** 32;
  }

  /**
   * A uniform integer in [0, n), without modulo bias.
   *
   * @throws UGATITConfigError when `n` is not an integer in [1, 2^32].
   */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 2 ** 32) throw new UGATITConfigError(`RNG.int: n must be an integer in [1, 2^32], received ${n}`);
    const limit = 2 ** 32 - (2 ** 32 % n); // reject the top partial range
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** Shuffles `a` in place (Fisher–Yates) and returns it. */
  shuffle<T>(a: T[]): T[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = a[i]!;
      a[i] = a[j]!;
      a[j] = tmp;
    }
    return a;
  }

  /** The four state words; JSON-serialisable. */
  getState(): number[] {
    return Array.from(this.s);
  }

  /**
   * A generator that continues from a state returned by {@link RNG.getState}.
   *
   * @throws UGATITConfigError for anything but four 32-bit unsigned integers, not all zero.
   */
  static fromState(state: readonly number[]): RNG {
    if (!Array.isArray(state) || state.length !== 4 || !state.every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32) || state.every((w) => w === 0)) {
      throw new UGATITConfigError(`RNG.fromState: expected four uint32 words, not all zero, received ${JSON.stringify(state)}`);
    }
    const rng = new RNG(0);
    rng.s = Uint32Array.from(state);
    return rng;
  }
}

// Deprecated spellings (docs/api.md lists every rename).

/** @deprecated Renamed {@link RNG}; this alias is kept for existing code and goes in the next major version. */
export const Rng = RNG;
/** @deprecated Renamed {@link RNG}; this alias is kept for existing code and goes in the next major version. */
export type Rng = RNG;
