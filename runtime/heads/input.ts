// What a head sees: the backbone features of its scales, each optionally averaged over its
// k×k neighbourhood (PatchCore's local aggregation), resized to the grid of the first (finest)
// of them and concatenated along channels. Written once on runtime/tensor-ops, so fitting,
// tfjs scoring and the ONNX export compute the same input.
import * as tf from '@tensorflow/tfjs-core';
import { plainTfjsOps } from '../tensor-ops/tfjs.ts';
import type { TensorOps } from '../tensor-ops/types.ts';

export interface HeadInputOptions {
  /** 0-based scales, finest first; the output has the first one's grid. */
  scales: number[];
  /** Neighbourhood side for the average (odd; 1 = none); borders average the neighbours inside the map. */
  aggregate: number;
}

/** Side and channels of one scale's features [N, size, size, channels]. */
export interface ScaleShape {
  size: number;
  channels: number;
}

/** How many of a k×k neighbourhood lie inside a size×size map, per position: [size, size, 1]. */
function neighbourCounts(size: number, k: number): Float32Array {
  const r = (k - 1) / 2;
  const along = (i: number) => Math.min(i + r, size - 1) - Math.max(i - r, 0) + 1;
  const counts = new Float32Array(size * size);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) counts[y * size + x] = along(y) * along(x);
  return counts;
}

/** The mean over each position's k×k neighbourhood inside the map (avg-pool 'same' without the padding). */
function neighbourhoodMean<T>(ops: TensorOps<T>, x: T, k: number, shape: ScaleShape): T {
  const { size, channels } = shape;
  const ones = ops.constant(`heads.aggregate.ones.${k}x${channels}`, [k, k, channels], () => new Float32Array(k * k * channels).fill(1));
  const counts = ops.constant(`heads.aggregate.counts.${k}.${size}`, [size, size, 1], () => neighbourCounts(size, k));
  return ops.div(ops.depthwiseConv(x, ones), counts);
}

/** [N, h, w, ΣC] from the per-scale features [N, H_i, W_i, C_i] (shapes[i] describes prior[i]). */
export function headFeatures<T>(ops: TensorOps<T>, prior: T[], shapes: ScaleShape[], options: HeadInputOptions): T {
  const grid = shapes[options.scales[0]].size;
  const parts = options.scales.map((i) => {
    let x = prior[i];
    if (options.aggregate > 1) x = neighbourhoodMean(ops, x, options.aggregate, shapes[i]);
    return shapes[i].size === grid ? x : ops.resize(x, grid, 'bilinear');
  });
  return ops.concat(parts, 3);
}

/** headFeatures on tfjs tensors (shapes read from them). */
export function headInput(prior: tf.Tensor4D[], options: HeadInputOptions): tf.Tensor4D {
  const shapes = prior.map((t) => ({ size: t.shape[1], channels: t.shape[3] }));
  return tf.tidy(() => headFeatures(plainTfjsOps, prior, shapes, options) as tf.Tensor4D);
}

/** The training images as batches of head inputs [B, h, w, C], `count` images in all; fits visit them twice. */
export interface PatchSource {
  count: number;
  forEach(visit: (x: tf.Tensor4D) => void): void;
}
