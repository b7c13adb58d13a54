// The Gaussian head against a plain reference: mean, shrunk covariance and its inverse by
// ml-matrix in float64, Mahalanobis distance written out as √(dᵀ Σ⁻¹ d).
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { Matrix, inverse } from 'ml-matrix';
import { initBackend } from '../../runtime/backend.ts';
import { channelSubset, disposeGaussian, fitGaussian, gaussianMap, type GaussianOptions } from '../../runtime/heads/gaussian.ts';
import { ledoitWolfShrinkage } from '../../runtime/heads/linalg.ts';
import { mulberry32, normalArray } from '../../runtime/model/prng.ts';
import { sourceOf } from './helpers.ts';

before(async () => {
  await initBackend('wasm');
});

const [N, H, W, C] = [9, 2, 3, 4];
/** Features with a different, correlated distribution at every position. */
function features(n: number, seed: number): Float32Array {
  const z = normalArray(n * H * W * C, 0, 1, mulberry32(seed));
  const out = new Float32Array(z.length);
  for (let i = 0; i < n * H * W; i++) {
    const p = i % (H * W);
    for (let c = 0; c < C; c++) out[i * C + c] = (p + 1) * z[i * C + c] + (c > 0 ? 0.7 * z[i * C + c - 1] : 0) + p;
  }
  return out;
}

/** Reference distances [M, H·W] from training rows grouped as the head groups them. */
function reference(train: Float32Array, test: Float32Array, opts: GaussianOptions, channels: number[]): number[][] {
  const rowsOf = (data: Float32Array, n: number, p: number | null) => {
    const rows: number[][] = [];
    for (let i = 0; i < n * H * W; i++) if (p === null || i % (H * W) === p) rows.push(channels.map((c) => data[i * C + c]));
    return rows;
  };
  const c = channels.length;
  const gaussians = (opts.perPosition ? [...Array(H * W).keys()] : [null]).map((p) => {
    const rows = rowsOf(train, N, p);
    const mean = channels.map((_, j) => rows.reduce((a, r) => a + r[j], 0) / rows.length);
    const x = new Matrix(rows.map((r) => r.map((v, j) => v - mean[j])));
    const biased = x.transpose().mmul(x).div(rows.length);
    const trace = biased.trace();
    const squares = biased.to1DArray().reduce((a, v) => a + v * v, 0);
    const fourth = rows.reduce((a, _, k) => a + x.getRow(k).reduce((q, v) => q + v * v, 0) ** 2, 0);
    const delta = opts.shrinkage === 'ledoit_wolf' ? ledoitWolfShrinkage(trace, squares, fourth, rows.length, c) : opts.shrinkage;
    // (ml-matrix's mul and add work in place.)
    const unbiased = biased.clone().mul(rows.length / (rows.length - 1));
    const target = (delta * unbiased.trace()) / c + opts.ridge;
    const cov = unbiased
      .clone()
      .mul(1 - delta)
      .add(Matrix.eye(c).mul(target));
    return { mean, precision: inverse(cov) };
  });
  const testRows = rowsOf(test, 2, null);
  return [0, 1].map((m) =>
    [...Array(H * W).keys()].map((p) => {
      const g = gaussians[opts.perPosition ? p : 0];
      const d = new Matrix([testRows[m * H * W + p].map((v, j) => v - g.mean[j])]);
      return Math.sqrt(d.mmul(g.precision).mmul(d.transpose()).get(0, 0));
    }),
  );
}

const cases: Array<[string, Partial<GaussianOptions>]> = [
  ['per position, no shrinkage', { perPosition: true, shrinkage: 0 }],
  ['per position, Ledoit-Wolf', { perPosition: true, shrinkage: 'ledoit_wolf' }],
  ['shared by positions, fixed shrinkage 0.3', { perPosition: false, shrinkage: 0.3 }],
  ['per position, 3 of 4 channels at random', { perPosition: true, shrinkage: 'ledoit_wolf', channels: 3 }],
];
for (const [name, partial] of cases) {
  test(`Mahalanobis map equals the float64 reference: ${name}`, () => {
    const opts: GaussianOptions = { perPosition: true, shrinkage: 0, ridge: 0.01, channels: 0, seed: 5, ...partial };
    const train = features(N, 1);
    const testData = features(2, 2);
    const state = fitGaussian(sourceOf(train, [N, H, W, C], 4), opts);
    const got = tf.tidy(() => gaussianMap(tf.tensor4d(testData, [2, H, W, C]), state).arraySync() as number[][][]);
    const channels = channelSubset(C, opts.channels, opts.seed) ?? [...Array(C).keys()];
    assert.equal(channels.length, opts.channels || C);
    const expected = reference(train, testData, opts, channels);
    for (let m = 0; m < 2; m++)
      for (let p = 0; p < H * W; p++) {
        const g = got[m][Math.floor(p / W)][p % W];
        assert.ok(Math.abs(g - expected[m][p]) < 2e-3 * Math.max(1, expected[m][p]), `image ${m} position ${p}: ${g} vs ${expected[m][p]}`);
      }
    if (opts.shrinkage === 'ledoit_wolf') assert.ok(state.shrinkage > 0 && state.shrinkage < 1);
    disposeGaussian(state);
  });
}

test('an outlier scores far higher than a training-like feature', () => {
  const train = features(N, 1);
  const state = fitGaussian(sourceOf(train, [N, H, W, C], 3), { perPosition: true, shrinkage: 'ledoit_wolf', ridge: 0.01, channels: 0, seed: 0 });
  const odd = Float32Array.from(train.subarray(0, H * W * C), (v, i) => (i < C ? v + 25 : v));
  const map = tf.tidy(() => gaussianMap(tf.tensor4d(odd, [1, H, W, C]), state).dataSync() as Float32Array);
  assert.ok(map[0] > 5 * Math.max(...map.slice(1)), `outlier ${map[0]} vs ${[...map.slice(1)]}`);
  disposeGaussian(state);
});

test('channel subsets are seeded: the same seed gives the same channels, another seed others', () => {
  assert.deepEqual(channelSubset(100, 10, 1), channelSubset(100, 10, 1));
  assert.notDeepEqual(channelSubset(100, 10, 1), channelSubset(100, 10, 2));
  assert.equal(channelSubset(100, 0, 1), null);
  const s = channelSubset(100, 10, 1)!;
  assert.deepEqual(
    s,
    [...s].sort((a, b) => a - b),
  );
});
