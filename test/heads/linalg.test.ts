// The Gaussian head's linear algebra against ml-matrix and against the Ledoit-Wolf formula
// written from its definition (Ledoit & Wolf 2004, lemma 3.2 / scikit-learn's estimator).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CholeskyDecomposition, Matrix, inverse } from 'ml-matrix';
import { cholesky, invertLower, ledoitWolfShrinkage } from '../../runtime/heads/linalg.ts';
import { mulberry32, normalArray } from '../../runtime/model/prng.ts';

function randomSpd(n: number, seed: number): Matrix {
  const x = new Matrix([...Array(n + 3)].map(() => Array.from(normalArray(n, 0, 1, mulberry32(seed++)))));
  return x.transpose().mmul(x).add(Matrix.eye(n).mul(0.1));
}

const flat = (m: Matrix) => Float64Array.from(m.to1DArray());

test('cholesky matches ml-matrix and L·Lᵀ gives A back', () => {
  const n = 7;
  const a = randomSpd(n, 3);
  const l = cholesky(flat(a), n);
  const ref = new CholeskyDecomposition(a).lowerTriangularMatrix.to1DArray();
  l.forEach((v, i) => assert.ok(Math.abs(v - ref[i]) < 1e-9, `L[${i}] ${v} vs ${ref[i]}`));
  const back = new Matrix(n, n);
  const lm = Matrix.from1DArray(n, n, Array.from(l));
  back.setSubMatrix(lm.mmul(lm.transpose()), 0, 0);
  back.to1DArray().forEach((v, i) => assert.ok(Math.abs(v - a.to1DArray()[i]) < 1e-9));
});

test('invertLower gives L⁻¹ (ml-matrix inverse), so Wᵀ W = A⁻¹', () => {
  const n = 6;
  const a = randomSpd(n, 11);
  const l = cholesky(flat(a), n);
  const w = invertLower(l, n);
  const refW = inverse(Matrix.from1DArray(n, n, Array.from(l))).to1DArray();
  w.forEach((v, i) => assert.ok(Math.abs(v - refW[i]) < 1e-9, `W[${i}]`));
  const wm = Matrix.from1DArray(n, n, Array.from(w));
  const precision = wm.transpose().mmul(wm).to1DArray();
  const refP = inverse(a).to1DArray();
  precision.forEach((v, i) => assert.ok(Math.abs(v - refP[i]) < 1e-8 * Math.max(1, Math.abs(refP[i]))));
});

test('Ledoit-Wolf intensity equals the definition: β̄²/δ² clipped to [0, 1]', () => {
  for (const [n, p, seed] of [
    [5, 8, 1],
    [40, 6, 2],
    [12, 12, 3],
  ]) {
    const rng = mulberry32(seed);
    const raw = [...Array(n)].map(() => Array.from(normalArray(p, 0, 1, rng)).map((v, j) => v * (1 + j)));
    const mean = [...Array(p)].map((_, j) => raw.reduce((a, r) => a + r[j], 0) / n);
    const x = new Matrix(raw.map((r) => r.map((v, j) => v - mean[j])));
    const s = x.transpose().mmul(x).div(n);
    const mu = s.trace() / p;
    // δ² = ‖S − μI‖²_F / p;  β̄² = (1/n²) Σ_k ‖x_k x_kᵀ − S‖²_F / p
    const d2 =
      Matrix.sub(s, Matrix.eye(p).mul(mu))
        .to1DArray()
        .reduce((a, v) => a + v * v, 0) / p;
    let b2 = 0;
    for (let k = 0; k < n; k++) {
      const xk = x.getRowVector(k);
      b2 +=
        Matrix.sub(xk.transpose().mmul(xk), s)
          .to1DArray()
          .reduce((a, v) => a + v * v, 0) / p;
    }
    b2 /= n * n;
    const expected = Math.min(b2, d2) / d2;
    const squares = s.to1DArray().reduce((a, v) => a + v * v, 0);
    const fourth = raw.reduce((a, _, k) => a + x.getRow(k).reduce((q, v) => q + v * v, 0) ** 2, 0);
    const got = ledoitWolfShrinkage(s.trace(), squares, fourth, n, p);
    assert.ok(Math.abs(got - expected) < 1e-9, `n=${n} p=${p}: ${got} vs ${expected}`);
    assert.ok(got > 0 && got <= 1);
  }
});
