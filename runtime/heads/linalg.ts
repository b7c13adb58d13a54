// Small dense linear algebra in float64 for the Gaussian head: tfjs has no Cholesky or
// matrix inverse, and the covariances are small (C ≤ a few hundred) but many (one per
// position), so flat Float64Array loops are the fastest portable choice.

/**
 * Cholesky factor L (lower, row-major n×n) of a symmetric positive-definite A, in place of a
 * new array. Pivots below `floor` are raised to it, so a nearly singular A still factors.
 */
export function cholesky(a: Float64Array, n: number, floor = 1e-12): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j <= i; j++) {
      const rj = j * n;
      let sum = a[ri + j];
      for (let k = 0; k < j; k++) sum -= l[ri + k] * l[rj + k];
      l[ri + j] = i === j ? Math.sqrt(Math.max(sum, floor)) : sum / l[rj + j];
    }
  }
  return l;
}

/** W = L⁻¹ of a lower-triangular L (row-major n×n); W is lower-triangular too. */
export function invertLower(l: Float64Array, n: number): Float64Array {
  const w = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    // Column j of W solves L·w = e_j by forward substitution; rows above j stay 0.
    w[j * n + j] = 1 / l[j * n + j];
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let sum = 0;
      for (let k = j; k < i; k++) sum -= l[ri + k] * w[k * n + j];
      w[ri + j] = sum / l[ri + i];
    }
  }
  return w;
}

/**
 * The Ledoit-Wolf shrinkage intensity δ ∈ [0, 1] for a covariance S = XᵀX / n of n centred
 * samples of p variables (Ledoit & Wolf 2004, as scikit-learn computes it), from three sums:
 *   traceS   = tr(S)
 *   squaresS = Σ_ij S_ij²
 *   fourth   = Σ_k ‖x_k‖⁴ over the samples.
 * The shrunk covariance is (1 − δ)·S + δ·(tr(S)/p)·I.
 */
export function ledoitWolfShrinkage(traceS: number, squaresS: number, fourth: number, n: number, p: number): number {
  const mu = traceS / p;
  const delta = (squaresS - 2 * mu * traceS + p * mu * mu) / p;
  const beta = Math.min((fourth / n - squaresS) / (p * n), delta);
  return delta <= 0 || beta <= 0 ? 0 : beta / delta;
}
