/** Plain float64 helpers for spectral-norm checks; kernels flattened as `[rest, out]` row-major (this library's matrix). */

export const normalizeJs = (v: number[]): number[] => {
  const n = Math.max(Math.sqrt(v.reduce((s, e) => s + e * e, 0)), 1e-12);
  return v.map((e) => e / n);
};

/** M u for M `[rows, cols]` flattened row-major. */
export const matVec = (m: ArrayLike<number>, rows: number, cols: number, u: ArrayLike<number>): number[] =>
  Array.from({ length: rows }, (_, r) => { let s = 0; for (let c = 0; c < cols; c++) s += m[r * cols + c] * u[c]; return s; });

/** Mᵀ v. */
export const matTVec = (m: ArrayLike<number>, rows: number, cols: number, v: ArrayLike<number>): number[] =>
  Array.from({ length: cols }, (_, c) => { let s = 0; for (let r = 0; r < rows; r++) s += m[r * cols + c] * v[r]; return s; });

/** PyTorch's power iteration in this library's layout: v = normalize(M u), u = normalize(Mᵀ v). */
export function powerIterationJs(m: ArrayLike<number>, rows: number, cols: number, u: ArrayLike<number>): { u: number[]; v: number[] } {
  const v = normalizeJs(matVec(m, rows, cols, u));
  return { u: normalizeJs(matTVec(m, rows, cols, v)), v };
}

/** σ = vᵀ M u. */
export const sigmaJs = (m: ArrayLike<number>, rows: number, cols: number, u: ArrayLike<number>, v: ArrayLike<number>): number =>
  matVec(m, rows, cols, u).reduce((s, e, r) => s + e * v[r], 0);

/** Central finite differences of a float64 function, one coordinate at a time. */
export function finiteDifferences(f: (x: Float64Array) => number, x: ArrayLike<number>, h = 1e-4): Float64Array {
  const base = Float64Array.from(x);
  return base.map((_, i) => {
    const plus = base.slice(); plus[i] += h;
    const minus = base.slice(); minus[i] -= h;
    return (f(plus) - f(minus)) / (2 * h);
  });
}

/** A 'valid' NHWC convolution in float64 with kernel `[k, k, cin, cout]`. */
export function conv2dJs(x: ArrayLike<number>, [n, h, w, cin]: number[], kernel: ArrayLike<number>, k: number, cout: number, stride: number): Float64Array {
  const ho = Math.floor((h - k) / stride) + 1;
  const wo = Math.floor((w - k) / stride) + 1;
  const out = new Float64Array(n * ho * wo * cout);
  for (let b = 0; b < n; b++) for (let i = 0; i < ho; i++) for (let j = 0; j < wo; j++) for (let o = 0; o < cout; o++) {
    let s = 0;
    for (let di = 0; di < k; di++) for (let dj = 0; dj < k; dj++) for (let c = 0; c < cin; c++) {
      s += x[((b * h + i * stride + di) * w + j * stride + dj) * cin + c] * kernel[((di * k + dj) * cin + c) * cout + o];
    }
    out[((b * ho + i) * wo + j) * cout + o] = s;
  }
  return out;
}
