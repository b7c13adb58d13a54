// The Gaussian head (PaDiM, Defard et al. 2021): the features of good images at each position
// are modelled by a Gaussian; a feature's anomaly score is its Mahalanobis distance
//   m(x) = ‖W (x − μ)‖,  W = L⁻¹,  L Lᵀ = Σ
// with Σ the sample covariance, shrunk towards a scaled identity (Ledoit-Wolf, or a fixed
// intensity) plus a small ridge. One Gaussian per position, or one shared by every position.
// Fitting streams the images twice (mean, then scatter), so memory is the covariances, not
// the features.
import * as tf from '@tensorflow/tfjs-core';
import { bmm } from '../ops/index.ts';
import { permutation, rngFor } from '../model/prng.ts';
import { plainTfjsOps } from '../tensor-ops/tfjs.ts';
import type { TensorOps } from '../tensor-ops/types.ts';
import type { PatchSource } from './input.ts';
import { cholesky, invertLower, ledoitWolfShrinkage } from './linalg.ts';

export interface GaussianOptions {
  /** One Gaussian per position (PaDiM) or one for all positions. */
  perPosition: boolean;
  /** Shrinkage intensity δ in [0, 1] towards (tr Σ / C)·I, or 'ledoit_wolf' to estimate it per Gaussian. */
  shrinkage: 'ledoit_wolf' | number;
  /** Added to the diagonal after shrinkage (PaDiM's ε·I). */
  ridge: number;
  /** Keep this many channels, drawn at random (seeded) once; 0 = all. */
  channels: number;
  seed: number;
}

export interface GaussianState {
  /** Selected channel indices (sorted), or null for all. */
  channels: number[] | null;
  /** [P, C] means; P = h·w or 1. */
  mean: tf.Tensor2D;
  /** [P, C, C] Wᵀ = (L⁻¹)ᵀ, so that ‖(x − μ) Wᵀ‖ is the Mahalanobis distance. */
  transform: tf.Tensor3D;
  /** Mean shrinkage intensity applied (reported, not used when scoring). */
  shrinkage: number;
}

/** Seeded random subset of `keep` of `total` channels, sorted; null when all are kept. */
export function channelSubset(total: number, keep: number, seed: number): number[] | null {
  if (keep <= 0 || keep >= total) return null;
  return permutation(total, rngFor(seed, 'heads.gaussian.channels'))
    .slice(0, keep)
    .sort((a, b) => a - b);
}

function selectChannels(x: tf.Tensor4D, channels: number[] | null): tf.Tensor4D {
  return channels ? (tf.gather(x, tf.tensor1d(channels, 'int32'), 3) as tf.Tensor4D) : x;
}

/** [N, h, w, C] → [P, N·h·w/P, C]: rows grouped by position, or all in one group. */
function byPosition(x: tf.Tensor4D, perPosition: boolean): tf.Tensor3D {
  const [n, h, w, c] = x.shape;
  return perPosition ? (tf.transpose(tf.reshape(x, [n, h * w, c]), [1, 0, 2]) as tf.Tensor3D) : (tf.reshape(x, [1, n * h * w, c]) as tf.Tensor3D);
}

export function fitGaussian(source: PatchSource, options: GaussianOptions): GaussianState {
  let channels: number[] | null = null;
  let sum: tf.Tensor2D | null = null;
  let rows = 0;
  source.forEach((x) => {
    if (!sum) channels = channelSubset(x.shape[3], options.channels, options.seed);
    const next = tf.tidy(() => {
      const grouped = byPosition(selectChannels(x, channels), options.perPosition);
      const s = tf.sum(grouped, 1) as tf.Tensor2D;
      return sum ? (tf.add(sum, s) as tf.Tensor2D) : s;
    });
    sum?.dispose();
    sum = next;
    rows += options.perPosition ? x.shape[0] : x.shape[0] * x.shape[1] * x.shape[2];
  });
  if (!sum || rows < 2) throw new Error('the Gaussian head needs at least two training samples');
  const mean = tf.tidy(() => tf.div(sum!, rows) as tf.Tensor2D);
  (sum as tf.Tensor2D).dispose();

  // Second pass: scatter matrices Σ_k d_k d_kᵀ and Σ_k ‖d_k‖⁴ (for Ledoit-Wolf) per position.
  let scatter: tf.Tensor3D | null = null;
  let fourth: tf.Tensor1D | null = null;
  source.forEach((x) => {
    const [nextScatter, nextFourth] = tf.tidy(() => {
      const d = tf.sub(byPosition(selectChannels(x, channels), options.perPosition), tf.expandDims(mean, 1)) as tf.Tensor3D;
      const s = bmm(tf.transpose(d, [0, 2, 1]) as tf.Tensor3D, d);
      const f = tf.sum(tf.square(tf.sum(tf.square(d), 2)), 1) as tf.Tensor1D;
      return [scatter ? (tf.add(scatter, s) as tf.Tensor3D) : s, fourth ? (tf.add(fourth, f) as tf.Tensor1D) : f];
    });
    scatter?.dispose();
    fourth?.dispose();
    scatter = nextScatter;
    fourth = nextFourth;
  });
  const [positions, c] = mean.shape;
  const scatterData = (scatter as unknown as tf.Tensor3D).dataSync() as Float32Array;
  const fourthData = (fourth as unknown as tf.Tensor1D).dataSync() as Float32Array;
  tf.dispose([scatter as unknown as tf.Tensor, fourth as unknown as tf.Tensor]);

  const transform = new Float32Array(positions * c * c);
  const cov = new Float64Array(c * c);
  let shrinkageSum = 0;
  for (let p = 0; p < positions; p++) {
    const base = p * c * c;
    let trace = 0;
    let squares = 0;
    for (let i = 0; i < c * c; i++) {
      const v = scatterData[base + i] / rows; // biased covariance, as Ledoit-Wolf defines it
      cov[i] = v;
      squares += v * v;
    }
    for (let i = 0; i < c; i++) trace += cov[i * c + i];
    const delta = options.shrinkage === 'ledoit_wolf' ? ledoitWolfShrinkage(trace, squares, fourthData[p], rows, c) : options.shrinkage;
    shrinkageSum += delta;
    // Unbiased covariance, shrunk towards (tr/C)·I, plus the ridge.
    const unbias = rows / (rows - 1);
    for (let i = 0; i < c * c; i++) cov[i] *= (1 - delta) * unbias;
    for (let i = 0; i < c; i++) cov[i * c + i] += delta * unbias * (trace / c) + options.ridge;
    const w = invertLower(cholesky(cov, c), c);
    // Store Wᵀ so that scoring is a plain row-vector product.
    for (let i = 0; i < c; i++) for (let j = 0; j <= i; j++) transform[base + j * c + i] = w[i * c + j];
  }
  return {
    channels,
    mean,
    transform: tf.tensor3d(transform, [positions, c, c]),
    shrinkage: shrinkageSum / positions,
  };
}

/** The fitted Gaussian as values of one engine (tfjs tensors, or ONNX initializers). */
export interface GaussianParams<T> {
  /** [P, C] means; P = grid² (per position) or 1. */
  mean: T;
  /** [P, C, C] Wᵀ. */
  transform: T;
  channels: number[] | null;
  perPosition: boolean;
}

/**
 * Mahalanobis distance ‖(x − μ) Wᵀ‖ of every position of x [N, h, w, C] (C before the channel
 * selection): [N, h, w]. Written once for tfjs scoring and the ONNX export.
 */
export function gaussianDistances<T>(ops: TensorOps<T>, x: T, p: GaussianParams<T>, [h, w, inputChannels]: number[]): T {
  const c = p.channels ? p.channels.length : inputChannels;
  const selected = p.channels ? ops.permuteChannels(x, p.channels) : x;
  if (!p.perPosition) {
    const d = ops.sub(ops.reshape(selected, [-1, c]), p.mean);
    const y = ops.dense(d, ops.reshape(p.transform, [c, c]));
    return ops.reshape(ops.sqrt(ops.sum(ops.square(y), [1])), [-1, h, w]);
  }
  const positions = h * w;
  // [P, N, C]: the rows of one position together, one product with its own Wᵀ.
  const d = ops.sub(ops.transpose(ops.reshape(selected, [-1, positions, c]), [1, 0, 2]), ops.expandDims(p.mean, 1));
  const dist = ops.sqrt(ops.sum(ops.square(ops.matmul(d, p.transform)), [2]));
  return ops.reshape(ops.transpose(dist, [1, 0]), [-1, h, w]);
}

/** Mahalanobis distance of every position of x [N, h, w, C] (before channel selection): [N, h, w]. */
export function gaussianMap(x: tf.Tensor4D, state: GaussianState): tf.Tensor3D {
  const [, h, w, c] = x.shape;
  const positions = state.mean.shape[0];
  if (positions !== 1 && positions !== h * w) throw new Error(`the Gaussian head was fitted on ${positions} positions, not ${h}×${w}`);
  const params = { mean: state.mean, transform: state.transform, channels: state.channels, perPosition: positions !== 1 };
  return tf.tidy(() => gaussianDistances(plainTfjsOps, x, params, [h, w, c]) as tf.Tensor3D);
}

export function disposeGaussian(state: GaussianState): void {
  tf.dispose([state.mean, state.transform]);
}
