// Scoring with the fitted heads, written once on runtime/tensor-ops: tfjs scoring
// (runtime/heads/detector.ts) and the ONNX export (runtime/export/heads.ts) run these same
// functions. A head's raw map comes from its input features and its fitted values; at input
// size it is upsampled and smoothed as the model's map is; several scored heads are each
// standardised by their validation statistics, then combined pixel by pixel.
import type { ModelDims } from '../../compiler/dims.ts';
import { headDims } from '../../compiler/blocks/fitted-heads.ts';
import type { HeadKind, ScoreHead, Spec } from '../../compiler/spec.ts';
import { smooth, upsample } from '../model/score.ts';
import type { TensorOps } from '../tensor-ops/types.ts';
import { gaussianDistances, type GaussianParams } from './gaussian.ts';
import { headFeatures } from './input.ts';
import { knnDistances } from './knn.ts';

/** The fitted heads as values of one engine (tfjs tensors, or ONNX initializers). */
export interface HeadValues<T> {
  gaussian?: GaussianParams<T>;
  /** The memory bank transposed, [C, K], and K. */
  knn?: { bankT: T; entries: number };
}

/** Per scored head (in score.heads order), the mean and standard deviation of its map on the validation split. */
export type HeadCalibration = { head: ScoreHead; mean: number; std: number }[];

function need<T>(value: T | undefined, kind: HeadKind): T {
  if (!value) throw new Error(`the ${kind} head was not fitted in this run`);
  return value;
}

/** A fitted head's raw map at its own grid, [N, grid, grid]; higher = more anomalous. prior: per-scale NHWC features. */
export function fittedHeadRaw<T>(ops: TensorOps<T>, kind: HeadKind, prior: T[], spec: Spec, dims: ModelDims, values: HeadValues<T>): T {
  const hd = headDims(spec, dims, kind);
  const x = headFeatures(ops, prior, dims.scales, { scales: hd.scales, aggregate: hd.aggregate });
  const shape = [hd.grid, hd.grid, hd.inputChannels];
  if (kind === 'gaussian') return gaussianDistances(ops, x, need(values.gaussian, kind), shape);
  const knn = need(values.knn, kind);
  return knnDistances(ops, x, knn.bankT, Math.min(spec.heads.knn!.k, knn.entries), shape);
}

/** A head's map brought to input size as the model's is: upsampled (score.upsample), smoothed (score.smooth). */
export function atInputSize<T>(ops: TensorOps<T>, raw: T, spec: Spec, dims: ModelDims): T {
  return smooth(ops, upsample(ops, raw, dims.inputSize, spec.score.upsample), spec.score.smooth, dims.inputSize);
}

/** Several heads' maps [N, S, S], each standardised by its validation statistics, combined by score.combine. */
export function combineHeadMaps<T>(ops: TensorOps<T>, maps: T[], calibration: HeadCalibration, rule: Spec['score']['combine']): T {
  const standardised = ops.stack(
    maps.map((m, k) => ops.div(ops.sub(m, calibration[k].mean), calibration[k].std)),
    0,
  );
  return rule === 'mean' ? ops.mean(standardised, [0]) : rule === 'sum' ? ops.sum(standardised, [0]) : ops.max(standardised, [0]);
}
