// Stage 1 (reconstruction) and stage 2 (flow likelihood) losses.
import * as tf from '@tensorflow/tfjs-core';
import type { ReconstructionLoss } from '../../compiler/spec.ts';
import type { FlowOutput } from './index.ts';

/** Distance between a backbone feature map and its reconstruction, averaged: a scalar. */
export function featureDistance(prior: tf.Tensor4D, rec: tf.Tensor4D, kind: ReconstructionLoss): tf.Scalar {
  switch (kind) {
    case 'mse':
      return tf.mean(tf.squaredDifference(prior, rec));
    case 'l1':
      return tf.mean(tf.abs(tf.sub(prior, rec)));
    case 'cosine': {
      // 1 − cos(φP, φ) along channels, averaged over positions.
      const dot = tf.sum(tf.mul(prior, rec), 3);
      const norms = tf.mul(tf.norm(prior, 'euclidean', 3), tf.norm(rec, 'euclidean', 3));
      return tf.mean(tf.sub(1, tf.div(dot, tf.maximum(norms, 1e-8))));
    }
  }
}

/**
 * Negative log-likelihood per dimension of one scale's flow:
 * mean_n (0.5·Σ_{h,w,c} z² − log|det J|) / (H·W·C). Dividing by H·W·C keeps scales comparable
 * and leaves Adam's steps unchanged (Adam is invariant to a constant loss factor).
 */
export function flowNll({ z, logdet }: FlowOutput): tf.Scalar {
  const [, h, w, c] = z.shape;
  const perSample = tf.sub(tf.mul(tf.sum(tf.square(z), [1, 2, 3]), 0.5), logdet);
  return tf.div(tf.mean(perSample), h * w * c);
}
