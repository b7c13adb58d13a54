// Dual attention on a tiny case computed by hand (plain float64 JavaScript): which stream gives
// query, key and value in each branch, for both memory.query settings.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { modelDims } from '../../compiler/dims.ts';
import { initBackend } from '../../runtime/backend.ts';
import { fastOps, stockOps } from '../../runtime/ops/index.ts';
import { ParamStore } from '../../runtime/model/params.ts';
import { mulberry32, normalArray } from '../../runtime/model/prng.ts';
import { TOKEN_NORM_EPS } from '../../compiler/blocks/transformer.ts';
import { DualTransformer } from '../../runtime/model/transformer.ts';
import { declareTransformer } from '../../runtime/model/declare.ts';
import { TfjsOps } from '../../runtime/tensor-ops/tfjs.ts';
import { tinySpec } from './tiny-spec.ts';

type M = number[][];

before(async () => {
  await initBackend('cpu');
});

const matmul = (a: M, b: M): M => a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
const transpose = (a: M): M => a[0].map((_, j) => a.map((row) => row[j]));
const add = (a: M, b: M): M => a.map((row, i) => row.map((v, j) => v + b[i][j]));
const layerNorm = (a: M): M =>
  a.map((row) => {
    const mean = row.reduce((s, v) => s + v, 0) / row.length;
    const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / row.length;
    return row.map((v) => (v - mean) / Math.sqrt(variance + TOKEN_NORM_EPS));
  });
const softmaxRows = (a: M): M =>
  a.map((row) => {
    const max = Math.max(...row);
    const e = row.map((v) => Math.exp(v - max));
    const s = e.reduce((x, y) => x + y, 0);
    return e.map((v) => v / s);
  });
const attend = (q: M, k: M, v: M): M => matmul(softmaxRows(matmul(q, transpose(k)).map((r) => r.map((x) => x / Math.sqrt(q[0].length)))), v);
const maxDiff = (a: M, b: M) => Math.max(...a.flatMap((row, i) => row.map((v, j) => Math.abs(v - b[i][j]))));

for (const query of ['memory', 'features'] as const) {
  for (const ops of [fastOps, stockOps]) {
    test(`memorial branch with memory.query = ${query} (${ops.name} ops)`, () => {
      // width 6 (3 scales × 2), one head, 4 tokens; MLP output zeroed, proj = identity.
      const spec = tinySpec({ embed: { dim: 2 }, transformer: { heads: 1, memory: { tokens: 4, query, init_std: 0.02 } } });
      const dims = modelDims(spec);
      const w = dims.width;
      const store = new ParamStore(1);
      const tops = new TfjsOps(ops, store);
      declareTransformer(store, spec, dims);
      const transformer = new DualTransformer(tops, spec, dims);
      const weights = store.getWeights();
      const rng = mulberry32(7);
      const qkv = normalArray(w * 3 * w, 0, 0.8, rng);
      weights['blocks.0.qkv.w'].data = qkv;
      weights['blocks.0.proj.w'].data = Float32Array.from({ length: w * w }, (_, i) => (i % (w + 1) === 0 ? 1 : 0));
      weights['blocks.0.fc2.w'].data = new Float32Array(weights['blocks.0.fc2.w'].data.length);
      store.setWeights(weights);

      const x: M = Array.from({ length: 4 }, () => Array.from(normalArray(w, 0, 1, rng)));
      const m: M = Array.from({ length: 4 }, () => Array.from(normalArray(w, 0, 1, rng)));
      const [xOut, mOut] = tf.tidy(() => {
        const [a, b] = transformer.runBlocks(tf.tensor3d([x]), tf.tensor3d([m]));
        return [(a.arraySync() as M[])[0], (b.arraySync() as M[])[0]];
      });

      // By hand: W = [Wq | Wk | Wv], each w × w.
      const full: M = Array.from({ length: w }, (_, r) => Array.from(qkv.slice(r * 3 * w, (r + 1) * 3 * w)));
      const part = (i: number): M => full.map((row) => row.slice(i * w, (i + 1) * w));
      const [wq, wk, wv] = [part(0), part(1), part(2)];
      const xn = layerNorm(x);
      const mn = layerNorm(m);
      const [q1, k1, v1] = [matmul(xn, wq), matmul(xn, wk), matmul(xn, wv)];
      const [q2, k2, v2] = [matmul(mn, wq), matmul(mn, wk), matmul(mn, wv)];

      assert.ok(maxDiff(xOut, add(x, attend(q1, k1, v1))) < 1e-4, 'self branch = softmax(q1 k1ᵀ/√d) v1');
      const expected = query === 'memory' ? attend(q2, k1, v2) : attend(q1, k2, v2);
      assert.ok(maxDiff(mOut, add(m, expected)) < 1e-4, `memorial branch (${query})`);
      // The other assignments give clearly different numbers, so the check above discriminates.
      const others = [attend(q2, k2, v2), attend(q2, k1, v1), attend(q1, k1, v2), query === 'memory' ? attend(q1, k2, v2) : attend(q2, k1, v2)];
      for (const other of others) assert.ok(maxDiff(mOut, add(m, other)) > 1e-2, 'alternative role assignment should differ');
      tops.dispose();
      store.dispose();
    });
  }
}
