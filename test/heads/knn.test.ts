// The patch-memory head against brute force: k-center greedy recomputed from scratch at every
// step, nearest-neighbour distances by a double loop, and the 3×3 neighbourhood average by hand.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../runtime/backend.ts';
import { headInput } from '../../runtime/heads/input.ts';
import { greedyCoreset } from '../../runtime/heads/coreset.ts';
import { bankSize, disposeKnn, fitKnn, knnMap } from '../../runtime/heads/knn.ts';
import { mulberry32, normalArray } from '../../runtime/model/prng.ts';
import { sourceOf } from './helpers.ts';
import { plainGreedyCoreset } from './reference/greedy-coreset.ts';

before(async () => {
  await initBackend('wasm');
});

const dist2 = (a: ArrayLike<number>, ai: number, b: ArrayLike<number>, bi: number, d: number) => {
  let s = 0;
  for (let j = 0; j < d; j++) s += (a[ai * d + j] - b[bi * d + j]) ** 2;
  return s;
};

test('greedy coreset picks, at every step, the point farthest from those chosen (brute force)', () => {
  const [n, d, k] = [60, 5, 12];
  const points = normalArray(n * d, 0, 1, mulberry32(4));
  const got = [...greedyCoreset(points, n, d, k, 7)];
  const expected = [7];
  while (expected.length < k) {
    let best = -1;
    let bestD = -1;
    for (let i = 0; i < n; i++) {
      const near = Math.min(...expected.map((c) => dist2(points, i, points, c, d)));
      if (near > bestD) (bestD = near), (best = i);
    }
    expected.push(best);
  }
  assert.deepEqual(got, expected);
  assert.equal(new Set(got).size, k, 'no point is chosen twice');
});

/** n points around `clusters` centres spread `spread` apart (patch features are clustered like this). */
function clustered(n: number, d: number, clusters: number, spread: number, seed: number): Float32Array {
  const rng = mulberry32(seed);
  const centres = normalArray(clusters * d, 0, spread, rng);
  const noise = normalArray(n * d, 0, 1, rng);
  const points = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(rng() * clusters);
    for (let j = 0; j < d; j++) points[i * d + j] = centres[c * d + j] + noise[i * d + j];
  }
  return points;
}

for (const [n, d, clusters, count] of [
  [3000, 16, 20, 30],
  [3000, 16, 20, 600],
  [2000, 7, 5, 400],
  [1500, 128, 40, 150],
])
  test(`pruned greedy coreset chooses what the plain one does (${n} points, ${d} dims, ${count} chosen)`, () => {
    const points = clustered(n, d, clusters, 6, n + d);
    assert.deepEqual([...greedyCoreset(points, n, d, count, 11)], [...plainGreedyCoreset(points, n, d, count, 11)]);
  });

test('pruned greedy coreset breaks ties and repeats as the plain one does (points on a small grid, duplicates)', () => {
  const [n, d, count] = [500, 3, 120];
  const rng = mulberry32(3);
  const points = Float32Array.from({ length: n * d }, () => Math.floor(rng() * 4));
  assert.deepEqual([...greedyCoreset(points, n, d, count, 0)], [...plainGreedyCoreset(points, n, d, count, 0)]);
});

test('bank size is the fraction of the patches, at least one', () => {
  assert.equal(bankSize(1000, 0.1), 100);
  assert.equal(bankSize(5, 0.01), 1);
  assert.equal(bankSize(5, 1), 5);
});

const [N, H, W, C] = [6, 3, 4, 5];
const train = normalArray(N * H * W * C, 0, 1, mulberry32(1));
const testData = normalArray(2 * H * W * C, 0, 1.5, mulberry32(2));

for (const k of [1, 3])
  test(`knn map is the mean distance to the ${k} nearest memory entries (brute force)`, () => {
    const state = fitKnn(sourceOf(train, [N, H, W, C], 4), { coreset: 0.25, projection: 3, k, seed: 0 });
    const bank = state.bank.dataSync();
    const size = state.bank.shape[0];
    assert.equal(size, bankSize(N * H * W, 0.25));
    assert.equal(state.patches, N * H * W);
    // Every bank row is one of the training patches.
    for (let r = 0; r < size; r++) {
      assert.ok(
        [...Array(N * H * W).keys()].some((i) => dist2(bank, r, train, i, C) < 1e-10),
        `bank row ${r} is a training patch`,
      );
    }
    const got = tf.tidy(() => knnMap(tf.tensor4d(testData, [2, H, W, C]), state, k).dataSync() as Float32Array);
    for (let i = 0; i < 2 * H * W; i++) {
      const ds = [...Array(size).keys()].map((r) => Math.sqrt(dist2(testData, i, bank, r, C))).sort((a, b) => a - b);
      const expected = ds.slice(0, k).reduce((a, b) => a + b, 0) / k;
      assert.ok(Math.abs(got[i] - expected) < 1e-3, `patch ${i}: ${got[i]} vs ${expected}`);
    }
    disposeKnn(state);
  });

test('a coreset fraction of 1 keeps every patch: training patches then score 0', () => {
  const state = fitKnn(sourceOf(train, [N, H, W, C], 4), { coreset: 1, projection: 0, k: 1, seed: 0 });
  assert.equal(state.bank.shape[0], N * H * W);
  const got = tf.tidy(() => knnMap(tf.tensor4d(train.subarray(0, H * W * C), [1, H, W, C]), state, 1).dataSync() as Float32Array);
  assert.ok(Math.max(...got) < 2e-3, `max ${Math.max(...got)}`);
  disposeKnn(state);
});

test('the coreset covers the training patches better than a random subset of the same size', () => {
  const n = N * H * W;
  const state = fitKnn(sourceOf(train, [N, H, W, C], 4), { coreset: 0.2, projection: 0, k: 1, seed: 0 });
  const bank = state.bank.dataSync();
  const size = state.bank.shape[0];
  const coverOf = (bankData: ArrayLike<number>) =>
    Math.max(...[...Array(n).keys()].map((i) => Math.min(...[...Array(size).keys()].map((r) => dist2(train, i, bankData, r, C)))));
  const randomBank = new Float32Array(size * C);
  for (let r = 0; r < size; r++) randomBank.set(train.subarray(r * 5 * C, r * 5 * C + C), r * C);
  assert.ok(coverOf(bank) < coverOf(randomBank), `coreset radius ${coverOf(bank)} vs random ${coverOf(randomBank)}`);
  disposeKnn(state);
});

test('head input: 3×3 neighbourhood average (inside the map at borders), coarser scales resized and concatenated', () => {
  const fine = normalArray(1 * 4 * 4 * 2, 0, 1, mulberry32(9));
  const coarse = normalArray(1 * 2 * 2 * 3, 0, 1, mulberry32(10));
  const out = tf.tidy(() => {
    const x = headInput([tf.tensor4d(fine, [1, 4, 4, 2]), tf.tensor4d(coarse, [1, 2, 2, 3])], { scales: [0, 1], aggregate: 3 });
    assert.deepEqual(x.shape, [1, 4, 4, 5]);
    return x.arraySync() as number[][][][];
  });
  for (let y = 0; y < 4; y++)
    for (let x = 0; x < 4; x++)
      for (let c = 0; c < 2; c++) {
        let s = 0;
        let count = 0;
        for (let dy = -1; dy <= 1; dy++)
          for (let dx = -1; dx <= 1; dx++) {
            const yy = y + dy;
            const xx = x + dx;
            if (yy < 0 || yy >= 4 || xx < 0 || xx >= 4) continue;
            s += fine[(yy * 4 + xx) * 2 + c];
            count++;
          }
        assert.ok(Math.abs(out[0][y][x][c] - s / count) < 1e-5, `(${y},${x},${c}) ${out[0][y][x][c]} vs ${s / count}`);
      }
  // A 2×2 map averaged over 3×3 (all four inside) is constant; resized, it stays that constant.
  for (let c = 0; c < 3; c++) {
    const mean = [0, 1, 2, 3].reduce((a, p) => a + coarse[p * 3 + c], 0) / 4;
    assert.ok(Math.abs(out[0][1][2][2 + c] - mean) < 1e-5);
  }
});
