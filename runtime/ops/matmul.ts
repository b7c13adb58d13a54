// Matrix products written as plain 2-D, non-transposed matmuls. On the wasm backend only that
// form reaches XNNPACK; batched or transposed products fall to a naive loop. Each backward
// pass here transposes explicitly (a fast kernel) and multiplies plainly again, except on the
// native matmul (blas-kernels.ts), which reads a transposed operand in place as fast as a plain
// one: there the gradients are products with transpose flags and no transpose is made (lite
// stage-1 step: 19 transposes of [4096, 192–768], ~80 ms of kernel time).
import * as tf from '@tensorflow/tfjs-core';
import { nativeMatmulRuns } from './blas-kernels.ts';
import { customOp } from './custom.ts';

/** a [m, k] · b [k, n] with gradients da = dy·bᵀ, db = aᵀ·dy as plain 2-D matmuls (transpose flags on the native matmul). */
export const matmul2d = customOp<[tf.Tensor2D, tf.Tensor2D], tf.Tensor2D>(([a, b], save) => {
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy, [sa, sb]) =>
      nativeMatmulRuns()
        ? [tf.matMul(dy, sb as tf.Tensor2D, false, true), tf.matMul(sa as tf.Tensor2D, dy, true, false)]
        : [tf.matMul(dy, tf.transpose(sb as tf.Tensor2D)), tf.matMul(tf.transpose(sa as tf.Tensor2D), dy)],
  };
});

/** x [..., k] · w [k, n] (+ b [n]) over the last axis, as one 2-D matmul. */
export function dense(x: tf.Tensor, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor {
  const k = x.shape[x.shape.length - 1];
  const n = w.shape[1];
  const flat = tf.reshape(x, [-1, k]) as tf.Tensor2D;
  let y: tf.Tensor = matmul2d(flat, w);
  if (b) y = tf.add(y, b);
  return tf.reshape(y, [...x.shape.slice(0, -1), n]);
}

/** Batched product a [B, m, k] · b [B, k, n] as B plain 2-D matmuls, forward and backward. */
export const bmm = customOp<[tf.Tensor3D, tf.Tensor3D], tf.Tensor3D>(([a, b], save) => {
  save([a, b]);
  const bs = tf.unstack(b) as tf.Tensor2D[];
  const value = tf.stack((tf.unstack(a) as tf.Tensor2D[]).map((ai, i) => tf.matMul(ai, bs[i]))) as tf.Tensor3D;
  return {
    value,
    gradFunc: (dy, [sa, sb]) => {
      const dys = tf.unstack(dy) as tf.Tensor2D[];
      const sas = tf.unstack(sa) as tf.Tensor2D[];
      const sbs = tf.unstack(sb) as tf.Tensor2D[];
      return [tf.stack(dys.map((d, i) => tf.matMul(d, tf.transpose(sbs[i])))), tf.stack(dys.map((d, i) => tf.matMul(tf.transpose(sas[i]), d)))];
    },
  };
});
