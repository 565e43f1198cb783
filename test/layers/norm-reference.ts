/**
 * Plain float64 versions of the reference's normalisations (NHWC arrays), written from the
 * PyTorch code: `torch.mean`/`torch.var` (unbiased unless told) over (H, W) for the instance
 * statistics and over (C, H, W) for the layer statistics, then (x − μ)/√(σ² + ε).
 */
export function normalizeJs(x: ArrayLike<number>, [n, h, w, c]: number[], over: 'instance' | 'layer', eps: number, unbiased: boolean): Float64Array {
  const out = new Float64Array(n * h * w * c);
  const at = (b: number, p: number, k: number) => (b * h * w + p) * c + k;
  for (let b = 0; b < n; b++) {
    const groups = over === 'instance' ? Array.from({ length: c }, (_, k) => [k]) : [Array.from({ length: c }, (_, k) => k)];
    for (const channels of groups) {
      const values: number[] = [];
      for (let p = 0; p < h * w; p++) for (const k of channels) values.push(x[at(b, p, k)]);
      const mean = values.reduce((s, v) => s + v, 0) / values.length;
      const ss = values.reduce((s, v) => s + (v - mean) ** 2, 0);
      const variance = ss / (unbiased ? values.length - 1 : values.length);
      for (let p = 0; p < h * w; p++) for (const k of channels) out[at(b, p, k)] = (x[at(b, p, k)] - mean) / Math.sqrt(variance + eps);
    }
  }
  return out;
}

/** γ·(ρ·x̂_IN + (1−ρ)·x̂_LN) + β with γ, β given per image (`[N·C]`) or per channel (`[C]`). */
export function adaLinJs(
  x: ArrayLike<number>, shape: number[], rho: ArrayLike<number>, gamma: ArrayLike<number>, beta: ArrayLike<number>,
  eps: number, unbiased: boolean,
): Float64Array {
  const [, h, w, c] = shape;
  const inst = normalizeJs(x, shape, 'instance', eps, unbiased);
  const layer = normalizeJs(x, shape, 'layer', eps, unbiased);
  const perImage = gamma.length !== c;
  return inst.map((v, i) => {
    const k = i % c;
    const b = Math.floor(i / (h * w * c));
    const g = perImage ? gamma[b * c + k] : gamma[k];
    const bt = perImage ? beta[b * c + k] : beta[k];
    return g * (rho[k] * v + (1 - rho[k]) * layer[i]) + bt;
  });
}

/** Largest |a − e| relative to max |e|. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  if (actual.length !== expected.length) return Infinity;
  return worst / scale;
}
