// The patch-memory head (PatchCore, Roth et al. 2022): every training patch feature is a
// candidate memory entry; a greedy coreset keeps a fraction of them that covers the rest
// (k-center greedy in coreset.ts, distances measured after a seeded random projection, as
// PatchCore does); a patch's anomaly score is its mean distance to its k nearest memory entries.
// Building streams the images twice (projection, then copying the chosen patches), so memory
// is the projected patches and the bank, never a patches × patches matrix.
import * as tf from '@tensorflow/tfjs-core';
import { bankSize } from '../../compiler/blocks/fitted-heads.ts';
import { normalArray, rngFor } from '../model/prng.ts';
import { plainTfjsOps } from '../tensor-ops/tfjs.ts';
import type { TensorOps } from '../tensor-ops/types.ts';
import { greedyCoreset } from './coreset.ts';
import type { PatchSource } from './input.ts';

export interface KnnOptions {
  /** Fraction of the training patches kept in memory, (0, 1]. */
  coreset: number;
  /** Dimensions of the random projection the coreset distances use; 0 = none (full features). */
  projection: number;
  /** Neighbours averaged for a patch's score. */
  k: number;
  seed: number;
}

export interface KnnState {
  /** [K, C] memory bank. */
  bank: tf.Tensor2D;
  /** Training patches the bank was chosen from. */
  patches: number;
}

// The bank's size rule is the block's declaration (compiler/blocks/fitted-heads.ts).
export { bankSize };

/** Rows [B·h·w, C] of a batch of head inputs, one per patch. */
function patchRows(x: tf.Tensor4D): tf.Tensor2D {
  return tf.reshape(x, [-1, x.shape[3]]) as tf.Tensor2D;
}

/** Every training patch as a row of `dims` values (after the seeded random projection, if any). */
export interface ProjectedPatches {
  points: Float32Array;
  patches: number;
  dims: number;
  /** Channels of the head input before projection. */
  channels: number;
}

/** First pass of fitting: the training patches, projected (what the coreset's distances use). */
export function projectPatches(source: PatchSource, options: Pick<KnnOptions, 'projection' | 'seed'>): ProjectedPatches {
  let points: Float32Array | null = null;
  let channels = 0;
  let dims = 0;
  let projection: tf.Tensor2D | null = null;
  let filled = 0;
  source.forEach((x) => {
    if (!points) {
      channels = x.shape[3];
      const project = options.projection > 0 && options.projection < channels;
      dims = project ? options.projection : channels;
      // Johnson-Lindenstrauss: Gaussian entries of variance 1/d keep distances in expectation.
      projection = project
        ? tf.tensor2d(normalArray(channels * dims, 0, 1 / Math.sqrt(dims), rngFor(options.seed, 'heads.knn.projection')), [channels, dims])
        : null;
      points = new Float32Array(source.count * x.shape[1] * x.shape[2] * dims);
    }
    const rows = tf.tidy(() => (projection ? tf.matMul(patchRows(x), projection) : patchRows(x)));
    const data = rows.dataSync() as Float32Array;
    rows.dispose();
    points.set(data, filled);
    filled += data.length;
  });
  (projection as tf.Tensor2D | null)?.dispose();
  if (!points) throw new Error('the knn head needs at least one training image');
  return { points, patches: filled / dims, dims, channels };
}

/** Where the greedy coreset starts: a seeded random patch. */
export function coresetStart(patches: number, seed: number): number {
  return Math.floor(rngFor(seed, 'heads.knn.start')() * patches);
}

export function fitKnn(source: PatchSource, options: KnnOptions): KnnState {
  let projected: ProjectedPatches | null = projectPatches(source, options);
  const { patches, dims, channels } = projected;
  const keep = bankSize(patches, options.coreset);
  const chosen =
    keep === patches
      ? Uint32Array.from({ length: patches }, (_, i) => i)
      : greedyCoreset(projected.points, patches, dims, keep, coresetStart(patches, options.seed));
  projected = null; // the projected patches are no longer needed

  // Second pass: copy the chosen patches' full features into the bank.
  const order = Array.from(chosen.keys()).sort((a, b) => chosen[a] - chosen[b]);
  const bank = new Float32Array(keep * channels);
  let seen = 0;
  let next = 0;
  source.forEach((x) => {
    const rows = patchRows(x);
    const data = rows.dataSync() as Float32Array;
    rows.dispose();
    const count = data.length / channels;
    for (; next < order.length && chosen[order[next]] < seen + count; next++) {
      const row = chosen[order[next]] - seen;
      bank.set(data.subarray(row * channels, (row + 1) * channels), order[next] * channels);
    }
    seen += count;
  });
  return { bank: tf.tensor2d(bank, [keep, channels]), patches };
}

/**
 * Mean Euclidean distance of every patch of x [N, h, w, C] to its k nearest memory entries,
 * bankT [C, K] the memory transposed: [N, h, w]. Written once for tfjs scoring
 * and the ONNX export; squared distances as ‖q‖² − 2 q·b + ‖b‖², clipped at 0 against rounding.
 */
export function knnDistances<T>(ops: TensorOps<T>, x: T, bankT: T, k: number, [h, w, channels]: number[]): T {
  const rows = ops.reshape(x, [-1, channels]);
  const bankNorms = ops.sum(ops.square(bankT), [0]);
  const d2 = ops.relu(ops.add(ops.sub(ops.sum(ops.square(rows), [1], true), ops.mul(ops.dense(rows, bankT), 2)), bankNorms));
  const distance = k === 1 ? ops.sqrt(ops.min(d2, [1])) : ops.mean(ops.sqrt(ops.neg(ops.topk(ops.neg(d2), k))), [1]);
  return ops.reshape(distance, [-1, h, w]);
}

/** knnDistances on tfjs tensors: [N, h, w]. */
export function knnMap(x: tf.Tensor4D, state: KnnState, k: number): tf.Tensor3D {
  const [, h, w, c] = x.shape;
  // Transposed once: on wasm only plain 2-D matmuls are fast.
  return tf.tidy(() => knnDistances(plainTfjsOps, x, tf.transpose(state.bank), Math.min(k, state.bank.shape[0]), [h, w, c]) as tf.Tensor3D);
}

export function disposeKnn(state: KnnState): void {
  state.bank.dispose();
}
