// Multi-head scaled dot-product attention on [N, T, W] tensors, heads split from W.
import * as tf from '@tensorflow/tfjs-core';

export type BatchMatMul = (a: tf.Tensor3D, b: tf.Tensor3D) => tf.Tensor3D;

/** [N, T, W] → [N·h, T, W/h]. */
export function splitHeads(x: tf.Tensor3D, heads: number): tf.Tensor3D {
  const [n, t, w] = x.shape;
  const d = w / heads;
  return tf.reshape(tf.transpose(tf.reshape(x, [n, t, heads, d]), [0, 2, 1, 3]), [n * heads, t, d]);
}

/** [N·h, T, d] → [N, T, h·d]. */
export function mergeHeads(x: tf.Tensor3D, heads: number): tf.Tensor3D {
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
