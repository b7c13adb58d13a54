// Element-wise and normalisation pieces whose gradients exist on every backend.
import * as tf from '@tensorflow/tfjs-core';
import { customOp } from './custom.ts';
import { fusedGelu, fusedKernelsRun, fusedLayerNorm, fusedLayerNormFits } from './fused-kernels.ts';

/** LayerNorm over the given axes (default: last), affine g, b broadcast against them; one native kernel each way where it fits (fused-kernels.ts). */
export function layerNorm(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor, eps: number, axes: number[] = [-1]): tf.Tensor {
  return fusedLayerNormFits(x, g, b, axes) ? fusedLayerNorm(x, g, b, eps) : plainLayerNorm(x, g, b, eps, axes);
}

/** LayerNorm as tfjs ops: what every backend runs, and what the fused kernels are tested against. */
export function plainLayerNorm(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor, eps: number, axes: number[] = [-1]): tf.Tensor {
  const { mean, variance } = tf.moments(x, axes, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), g), b);
}

/** Exact GELU: 0.5·x·(1 + erf(x/√2)); one native kernel each way where the addon runs. */
export function gelu(x: tf.Tensor): tf.Tensor {
  return fusedKernelsRun() && x.dtype === 'float32' && x.size > 0 ? fusedGelu(x) : plainGelu(x);
}

/** GELU as tfjs ops. */
export function plainGelu(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
}

/**
 * Channel permutation y[..., i] = x[..., perm[i]] (last axis). tf.gather's gradient needs
 * UnsortedSegmentSum, which wasm lacks; a permutation's gradient is the inverse gather.
 */
export function permuteChannels(x: tf.Tensor, perm: number[]): tf.Tensor {
  const inverse = new Array<number>(perm.length);
  perm.forEach((p, i) => (inverse[p] = i));
  const axis = x.shape.length - 1;
  const op = customOp<[tf.Tensor], tf.Tensor>(([t]) => ({
    value: tf.gather(t, tf.tensor1d(perm, 'int32'), axis),
    gradFunc: (dy) => [tf.gather(dy, tf.tensor1d(inverse, 'int32'), axis)],
  }));
  return op(x);
}
