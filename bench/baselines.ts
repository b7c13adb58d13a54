// The two simple baselines of the results issue, on the same frozen features as the DADF
// pipelines, scored by the same metrics code:
//   gaussian: a per-position Gaussian (PaDiM-style) on one tap; Mahalanobis distance per position;
//             and, for comparison, one Gaussian shared by all positions;
//   knn:      a nearest-neighbour patch memory (PatchCore-style) on one tap; distance to the
//             closest training patch (memory randomly subsampled to --memory patches).
// Maps are upsampled bilinearly to the input size and smoothed (Gaussian σ = 4 px); image score = max.
//
//   node --import tsx bench/baselines.ts [--data DIR] [--alpha 1] [--weights model.json] [--size 256] [--tap conv_pw_5]
// (--alpha 0.25 --size 128 gives dadf-cpu's own features; the weights then default to the α0.25 file.)
import * as tf from '@tensorflow/tfjs-core';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { initBackend, describeBackend } from '../runtime/backend.ts';
import { loadBackbone } from '../runtime/backbones/index.ts';
import { loadDataset, readImageRgb, readMask } from '../runtime/data/index.ts';
import { FeatureCache, imageKeyOfFile } from '../runtime/features/index.ts';
import { evaluate, type EvalImage } from '../runtime/metrics/index.ts';
import { smooth, upsample } from '../runtime/model/score.ts';
import { plainTfjsOps as ops } from '../runtime/tensor-ops/tfjs.ts';
import { percent } from '../common/format.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shared = process.env.DADF_SHARED ?? resolve(root, '../shared');
const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: join(shared, 'data/mvtec_ad/bottle') },
    alpha: { type: 'string', default: '1' },
    weights: { type: 'string' },
    size: { type: 'string', default: '256' },
    tap: { type: 'string', default: 'conv_pw_5' },
    memory: { type: 'string', default: '20000' },
    random: { type: 'boolean', default: false },
    backend: { type: 'string' },
  },
});
const size = Number(args.size);
const alpha = Number(args.alpha);
const weights = args.weights ?? join(shared, `weights/mobilenet_v1_${alpha === 1 ? '1.0' : alpha.toFixed(2)}_224/model.json`);

const backend = await initBackend(args.backend);
console.log(describeBackend(backend));
const backbone = await loadBackbone({ arch: 'mobilenet_v1', alpha, weights: args.random ? undefined : weights, random: args.random, taps: [args.tap!] });
console.log(`backbone: ${backbone.label}; tap ${args.tap}; data ${args.data}; ${size} px`);
const dataset = await loadDataset(args.data!);
const cache = FeatureCache.open();
const started = performance.now();
const features = async (paths: string[]) =>
  (
    await cache.getOrCompute(
      paths.map((p) => ({ key: `${imageKeyOfFile(p)}-linear`, load: () => readImageRgb(p, size) })),
      backbone,
      size,
    )
  )[backbone.taps[0]];
const train = await features(dataset.train.map((s) => s.path));
const test = await features(dataset.test.map((s) => s.path));
const [, h, w, c] = cache.shapeOf(backbone, size, backbone.taps[0])!;
console.log(`features: ${train.length} train + ${test.length} test, ${h}×${w}×${c}, ${((performance.now() - started) / 1000).toFixed(1)} s`);
const masks = await Promise.all(dataset.test.map((s) => (s.maskPaths.length ? readMask(s, size) : Promise.resolve(null))));

function toMaps(perPosition: Float32Array[], name: string): void {
  const images: EvalImage[] = perPosition.map((d, i) => {
    const map = tf.tidy(() => smooth(ops, upsample(ops, tf.tensor3d(d, [1, h, w]), size, 'bilinear'), 4, size).dataSync() as Float32Array);
    const s = dataset.test[i];
    return { id: s.id, defect: s.defect, label: s.label, map, mask: masks[i], width: size, height: size };
  });
  const m = evaluate({ images, defectTypes: dataset.defectTypes });
  const pct = (v: number | null) => percent(v);
  console.log(
    `${name.padEnd(10)}\n           image AUROC ${pct(m.image_auroc)}  pixel AUROC ${pct(m.pixel_auroc)}  AUPRO ${pct(m.aupro)}  F1 img ${pct(m.f1_max_image)}  F1 px ${pct(m.f1_max_pixel)}`,
  );
}

// Gaussian per position: mean and covariance (+0.01·I) of the training features.
{
  const t = performance.now();
  const X = tf.tensor3d(concat(train), [train.length, h * w, c]);
  const P = h * w;
  const mean = tf.mean(X, 0); // [P, C]
  const cov = tf.tidy(() => {
    const centred = tf.transpose(tf.sub(X, mean), [1, 0, 2]); // [P, N, C]
    return tf.add(tf.div(tf.matMul(centred, centred, true, false), train.length - 1), tf.mul(tf.eye(c), 0.01)); // [P, C, C]
  });
  const covData = Float64Array.from(cov.dataSync());
  const d = tf.tidy(() => tf.transpose(tf.sub(tf.tensor3d(concat(test), [test.length, P, c]), mean), [1, 0, 2])); // [P, M, C]
  const dData = d.dataSync() as Float32Array;
  tf.dispose([X, mean, cov, d]);
  const data = mahalanobis(covData, dData, P, test.length, c); // [M, P]
  toMaps(
    test.map((_, i) => data.slice(i * h * w, (i + 1) * h * w)),
    'gaussian',
  );
  console.log(`           (${((performance.now() - t) / 1000).toFixed(1)} s)`);
}

// One Gaussian shared by every position (no position information, like a flow without
// positional conditioning): how much of the per-position Gaussian's lead is position?
{
  const t = performance.now();
  const X = tf.tensor2d(concat(train), [train.length * h * w, c]);
  const mean = tf.mean(X, 0); // [C]
  const cov = tf.tidy(() => {
    const centred = tf.sub(X, mean);
    return tf.add(tf.div(tf.matMul(centred, centred, true, false), train.length * h * w - 1), tf.mul(tf.eye(c), 0.01));
  });
  const covData = Float64Array.from(cov.dataSync());
  const d = tf.tidy(() => tf.sub(tf.tensor2d(concat(test), [test.length * h * w, c]), mean));
  const dData = d.dataSync() as Float32Array;
  tf.dispose([X, mean, cov, d]);
  const data = mahalanobis(covData, dData, 1, test.length * h * w, c);
  toMaps(
    test.map((_, i) => data.slice(i * h * w, (i + 1) * h * w)),
    'gaussian, shared by all positions',
  );
  console.log(`           (${((performance.now() - t) / 1000).toFixed(1)} s)`);
}

// Nearest-neighbour patch memory.
{
  const t = performance.now();
  const all = concat(train);
  const total = train.length * h * w;
  const keep = Math.min(Number(args.memory), total);
  const chosen = new Uint32Array(keep);
  let state = 12345;
  const rnd = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 4294967296;
  const order = Array.from({ length: total }, (_, i) => i);
  for (let i = 0; i < keep; i++) {
    const j = i + Math.floor(rnd() * (total - i));
    [order[i], order[j]] = [order[j], order[i]];
    chosen[i] = order[i];
  }
  const bank = new Float32Array(keep * c);
  chosen.forEach((p, i) => bank.set(all.subarray(p * c, (p + 1) * c), i * c));
  const M = tf.tensor2d(bank, [keep, c]);
  const mNorm = tf.sum(tf.square(M), 1);
  // Transposed once: on wasm only plain, non-transposed 2-D matmuls are fast.
  const Mt = tf.transpose(M);
  const out: Float32Array[] = [];
  for (const f of test) {
    const d = tf.tidy(() => {
      const q = tf.tensor2d(f, [h * w, c]);
      const dist = tf.add(tf.sub(tf.sum(tf.square(q), 1, true), tf.mul(tf.matMul(q, Mt), 2)), mNorm);
      return tf.sqrt(tf.relu(tf.min(dist, 1)));
    });
    out.push(d.dataSync() as Float32Array);
    d.dispose();
  }
  tf.dispose([M, Mt, mNorm]);
  toMaps(out, 'knn');
  console.log(`           (${((performance.now() - t) / 1000).toFixed(1)} s; memory ${keep} of ${total} patches)`);
}

function concat(arrays: Float32Array[]): Float32Array {
  const out = new Float32Array(arrays.reduce((a, b) => a + b.length, 0));
  let o = 0;
  for (const a of arrays) out.set(a, o), (o += a.length);
  return out;
}

/**
 * Mahalanobis distances: for each position p, Cholesky L of its covariance, then ‖L⁻¹ d‖ for
 * each test vector d (forward substitution), in float64. Returns [M, P].
 */
function mahalanobis(cov: Float64Array, d: Float32Array, positions: number, m: number, n: number): Float32Array {
  const out = new Float32Array(m * positions);
  const L = new Float64Array(n * n);
  const y = new Float64Array(n);
  for (let p = 0; p < positions; p++) {
    const A = cov.subarray(p * n * n, (p + 1) * n * n);
    L.fill(0);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        let sum = A[i * n + j];
        for (let k = 0; k < j; k++) sum -= L[i * n + k] * L[j * n + k];
        L[i * n + j] = i === j ? Math.sqrt(Math.max(sum, 1e-12)) : sum / L[j * n + j];
      }
    }
    for (let t = 0; t < m; t++) {
      const base = (p * m + t) * n;
      let norm = 0;
      for (let i = 0; i < n; i++) {
        let sum = d[base + i];
        for (let k = 0; k < i; k++) sum -= L[i * n + k] * y[k];
        y[i] = sum / L[i * n + i];
        norm += y[i] * y[i];
      }
      out[t * positions + p] = Math.sqrt(norm);
    }
  }
  return out;
}
