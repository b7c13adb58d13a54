// From per-scale maps to anomaly maps at input size and image scores.
import * as tf from '@tensorflow/tfjs-core';
import { gaussianTaps } from '../../compiler/blocks/score.ts';
import type { Spec } from '../../compiler/spec.ts';

type ScoreSpec = Spec['score'];

/** Flow map of one scale: −exp(−0.5·mean_c z²), [N, H, W]; higher = more anomalous. */
export function flowMap(z: tf.Tensor4D): tf.Tensor3D {
  return tf.neg(tf.exp(tf.mul(tf.mean(tf.square(z), 3), -0.5))) as tf.Tensor3D;
}

/** Reconstruction error of one scale: mean_c (φP − φ)², [N, H, W]. */
export function errorMap(prior: tf.Tensor4D, rec: tf.Tensor4D): tf.Tensor3D {
  return tf.mean(tf.squaredDifference(prior, rec), 3) as tf.Tensor3D;
}

export function upsample(map: tf.Tensor3D, size: number, how: ScoreSpec['upsample']): tf.Tensor3D {
  const x = tf.expandDims(map, 3) as tf.Tensor4D;
  const y =
    how === 'bilinear'
      ? tf.image.resizeBilinear(x, [size, size], false, true) // PyTorch align_corners=False
      : tf.image.resizeNearestNeighbor(x, [size, size], false, true);
  return tf.squeeze(y, [3]) as tf.Tensor3D;
}

/**
 * Fuses maps of the same size. Flow maps are −p (p a likelihood in (0, 1]); for them 'product'
 * fuses −Π p, which keeps "higher = more anomalous". Error maps are ≥ 0: plain Π.
 */
export function fuse(maps: tf.Tensor3D[], how: ScoreSpec['fuse'], negativeLikelihood: boolean): tf.Tensor3D {
  const stacked = tf.stack(maps);
  const fused =
    how === 'mean'
      ? tf.mean(stacked, 0)
      : how === 'sum'
        ? tf.sum(stacked, 0)
        : how === 'max'
          ? tf.max(stacked, 0)
          : negativeLikelihood
            ? tf.neg(tf.prod(tf.neg(stacked), 0))
            : tf.prod(stacked, 0);
  return fused as tf.Tensor3D;
}

/** Separable Gaussian smoothing with mirrored borders (scipy 'reflect'). */
export function smooth(map: tf.Tensor3D, sigma: number): tf.Tensor3D {
  if (sigma <= 0) return map;
  const taps = gaussianTaps(sigma);
  const r = (taps.length - 1) / 2;
  const x = tf.expandDims(map, 3) as tf.Tensor4D;
  const size = map.shape[1];
  if (r >= size) throw new Error(`smoothing sigma ${sigma} is too large for a ${size}-pixel map`);
  const padded = tf.mirrorPad(
    x,
    [
      [0, 0],
      [r, r],
      [r, r],
      [0, 0],
    ],
    'symmetric',
  );
  const rows = tf.conv2d(padded, tf.tensor4d(taps, [taps.length, 1, 1, 1]), 1, 'valid');
  const both = tf.conv2d(rows, tf.tensor4d(taps, [1, taps.length, 1, 1]), 1, 'valid');
  return tf.squeeze(both, [3]) as tf.Tensor3D;
}

/** Image score from a map [N, S, S]: max, mean, or the mean of the top 1% of pixels. */
export function imageScores(maps: tf.Tensor3D, how: ScoreSpec['image']): tf.Tensor1D {
  const [n, h, w] = maps.shape;
  const flat = tf.reshape(maps, [n, h * w]) as tf.Tensor2D;
  switch (how) {
    case 'max':
      return tf.max(flat, 1);
    case 'mean':
      return tf.mean(flat, 1);
    case 'top1pct': {
      const k = Math.max(1, Math.round(0.01 * h * w));
      return tf.mean(tf.topk(flat, k).values, 1);
    }
  }
}
