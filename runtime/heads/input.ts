// What a head sees: the backbone features of its scales, each optionally averaged over its
// k×k neighbourhood (PatchCore's local aggregation), resized to the grid of the first (finest)
// of them and concatenated along channels.
import * as tf from '@tensorflow/tfjs-core';

export interface HeadInputOptions {
  /** 0-based scales, finest first; the output has the first one's grid. */
  scales: number[];
  /** Neighbourhood side for the average (1 = none); borders average the neighbours inside the map. */
  aggregate: number;
}

/** [N, h, w, ΣC] from the per-scale features [N, H_i, W_i, C_i]. */
export function headInput(prior: tf.Tensor4D[], options: HeadInputOptions): tf.Tensor4D {
  return tf.tidy(() => {
    const [first] = options.scales;
    const [h, w] = [prior[first].shape[1], prior[first].shape[2]];
    const parts = options.scales.map((i) => {
      let x = prior[i];
      if (options.aggregate > 1) x = tf.avgPool(x, options.aggregate, 1, 'same');
      if (x.shape[1] !== h || x.shape[2] !== w) x = tf.image.resizeBilinear(x, [h, w], false, true);
      return x;
    });
    return parts.length === 1 ? tf.clone(parts[0]) : (tf.concat(parts, 3) as tf.Tensor4D);
  });
}

/** The training images as batches of head inputs [B, h, w, C], `count` images in all; fits visit them twice. */
export interface PatchSource {
  count: number;
  forEach(visit: (x: tf.Tensor4D) => void): void;
}
