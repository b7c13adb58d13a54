// Multi-head scaled dot-product attention on [N, T, W] tensors, heads split from W.
import * as tf from '@tensorflow/tfjs-core';
import { nativeMatmulRuns } from './blas-kernels.ts';
import { fusedAttention, fusedAttentionFits } from './fused-kernels.ts';

export type BatchMatMul = (a: tf.Tensor3D, b: tf.Tensor3D) => tf.Tensor3D;

/** [N, T, W] → [N·h, T, W/h]. */
function splitHeads(x: tf.Tensor3D, heads: number): tf.Tensor3D {
  const [n, t, w] = x.shape;
  const d = w / heads;
  return tf.reshape(tf.transpose(tf.reshape(x, [n, t, heads, d]), [0, 2, 1, 3]), [n * heads, t, d]);
}

/** [N·h, T, d] → [N, T, h·d]. */
function mergeHeads(x: tf.Tensor3D, heads: number): tf.Tensor3D {
  const [nh, t, d] = x.shape;
  const n = nh / heads;
  return tf.reshape(tf.transpose(tf.reshape(x, [n, heads, t, d]), [0, 2, 1, 3]), [n, t, heads * d]);
}

/**
 * softmax(q kᵀ / √d) v per head. `bmm` multiplies [B, m, k]·[B, k, n]; kᵀ is an explicit
 * transpose so the fast path sees only plain products.
 */
export function multiHeadAttention(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, heads: number, bmm: BatchMatMul): tf.Tensor3D {
  const d = q.shape[2] / heads;
  const qh = splitHeads(q, heads);
  const kt = tf.transpose(splitHeads(k, heads), [0, 2, 1]);
  const scores = tf.mul(bmm(qh, kt), 1 / Math.sqrt(d));
  const weights = tf.softmax(scores) as tf.Tensor3D;
  return mergeHeads(bmm(weights, splitHeads(v, heads)), heads);
}

/** softmax(q kᵀ / √d) v with tfjs's own batched, transposed matMul over [N, h, T, d]. */
export function batchedAttention(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, heads: number): tf.Tensor3D {
  const [n, t, w] = q.shape;
  const d = w / heads;
  const split = (x: tf.Tensor3D) => tf.transpose(tf.reshape(x, [n, x.shape[1], heads, d]), [0, 2, 1, 3]) as tf.Tensor4D;
  const scores = tf.mul(tf.matMul(split(q), split(k), false, true), 1 / Math.sqrt(d));
  const out = tf.matMul(tf.softmax(scores), split(v));
  return tf.reshape(tf.transpose(out, [0, 2, 1, 3]), [n, t, w]) as tf.Tensor3D;
}

/**
 * Below this many multiply-adds per (sample, head) product, one batched matMul beats N·h
 * separate 2-D ones: each 2-D call costs a kernel dispatch that a small product cannot repay.
 * Measured by bench/attention.ts (wasm, 2 threads, dadf-cpu stage-1 steps at batch 8): 64 tokens
 * × 48 dims (197 k) — batched 2× faster; 256 tokens × 48 dims (3.1 M) — per-head 2-D 1.7×
 * faster. The threshold sits between the two, near their geometric mean.
 */
export const SMALL_ATTENTION_MACS = 800_000;

/**
 * Per-head 2-D products for large attention, one batched product for small. Same numbers either
 * way. The native matmul (blas-kernels.ts) multiplies batched and transposed products as fast as
 * plain ones, so with it the batched form is taken at every size (no per-head split and stack),
 * or, where the fused kernels run, one native kernel each way (fused-kernels.ts: no transposes).
 */
export function adaptiveAttention(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, heads: number, bmm: BatchMatMul): tf.Tensor3D {
  if (fusedAttentionFits(q, k, v, heads)) return fusedAttention(q, k, v, heads) as tf.Tensor3D;
  const macs = q.shape[1] * k.shape[1] * (q.shape[2] / heads);
  return macs < SMALL_ATTENTION_MACS || nativeMatmulRuns() ? batchedAttention(q, k, v, heads) : multiHeadAttention(q, k, v, heads, bmm);
}
