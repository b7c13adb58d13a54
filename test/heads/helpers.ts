import * as tf from '@tensorflow/tfjs-core';
import type { PatchSource } from '../../runtime/heads/input.ts';

/** Batches of `batch` images from one flat NHWC array, as the trainer feeds heads. */
export function sourceOf(data: Float32Array, [n, h, w, c]: number[], batch: number): PatchSource {
  const per = h * w * c;
  return {
    count: n,
    forEach(visit) {
      for (let s = 0; s < n; s += batch) {
        const b = Math.min(batch, n - s);
        const x = tf.tensor4d(data.subarray(s * per, (s + b) * per), [b, h, w, c]);
        visit(x);
        x.dispose();
      }
    },
  };
}
