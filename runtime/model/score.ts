// Block: scoring, written once for both engines (tfjs and ONNX, runtime/tensor-ops): from
// per-scale maps to anomaly maps at input size and image scores. Declared in
// compiler/blocks/score.ts (plan nodes, Gaussian taps).
import { gaussianTaps, largestSmoothSigma } from '../../compiler/blocks/score.ts';
import type { Spec } from '../../compiler/spec.ts';
import { UserError } from '../../common/errors.ts';
import type { TensorOps } from '../tensor-ops/types.ts';

type ScoreSpec = Spec['score'];

/** Flow map of one scale: −exp(−0.5·mean_c z²), [N, H, W]; higher = more anomalous. */
function flowMap<T>(ops: TensorOps<T>, z: T): T {
  return ops.neg(ops.exp(ops.mul(ops.mean(ops.square(z), [3]), -0.5)));
}

/** Reconstruction error of one scale: mean_c (φP − φ)², [N, H, W]. */
function errorMap<T>(ops: TensorOps<T>, prior: T, rec: T): T {
  return ops.mean(ops.squaredDifference(prior, rec), [3]);
}

/**
 * The raw map of one scored scale, [N, h, w]: from the flow's z (computed only when the
 * source is the flow) or from the tap's reconstruction errors.
 */
export function scaleMap<T>(ops: TensorOps<T>, score: ScoreSpec, prior: T, rec: { self: T; memory: T }, flowZ: () => T): T {
  switch (score.source) {
    case 'flow':
      return flowMap(ops, flowZ());
    case 'self':
      return errorMap(ops, prior, rec.self);
    case 'memory':
      return errorMap(ops, prior, rec.memory);
    case 'reconstruction':
      return ops.add(ops.mul(errorMap(ops, prior, rec.self), score.self_weight), ops.mul(errorMap(ops, prior, rec.memory), 1 - score.self_weight));
  }
}

/** (map − mean) / std with a scale's validation statistics. */
function calibrate<T>(ops: TensorOps<T>, map: T, c: { mean: number; std: number }): T {
  return ops.div(ops.sub(map, c.mean), c.std);
}

/** [N, h, w] → [N, size, size] (PyTorch align_corners=False). */
export function upsample<T>(ops: TensorOps<T>, map: T, size: number, how: ScoreSpec['upsample']): T {
  return ops.squeeze(ops.resize(ops.expandDims(map, 3), size, how), [3]);
}

/**
 * Fuses maps of the same size. Flow maps are −p (p a likelihood in (0, 1]); for them 'product'
 * fuses −Π p, which keeps "higher = more anomalous". Error maps are ≥ 0: plain Π.
 */
function fuse<T>(ops: TensorOps<T>, maps: T[], how: ScoreSpec['fuse'], negativeLikelihood: boolean): T {
  const stacked = ops.stack(maps, 0);
  switch (how) {
    case 'mean':
      return ops.mean(stacked, [0]);
    case 'sum':
      return ops.sum(stacked, [0]);
    case 'max':
      return ops.max(stacked, [0]);
    case 'product':
      return negativeLikelihood ? ops.neg(ops.prod(ops.neg(stacked), [0])) : ops.prod(stacked, [0]);
  }
}

/** Separable Gaussian smoothing of [N, size, size] maps with mirrored borders (scipy 'reflect'). */
export function smooth<T>(ops: TensorOps<T>, map: T, sigma: number, size: number): T {
  if (sigma <= 0) return map;
  const taps = gaussianTaps(sigma);
  const r = (taps.length - 1) / 2;
  // `check` refuses such a spec (DADF4029); this guards specs built in code.
  if (r >= size)
    throw new UserError(`score.smooth: sigma ${sigma} needs a ${r}-pixel border, more than the ${size}-pixel map has`, {
      hint: `use a sigma of at most ${largestSmoothSigma(size)}`,
    });
  const k = taps.length;
  const padded = ops.mirrorPad(ops.expandDims(map, 3), [
    [0, 0],
    [r, r],
    [r, r],
    [0, 0],
  ]);
  const rows = ops.convValid(
    padded,
    ops.constant(`smooth.rows.${sigma}`, [k, 1, 1, 1], () => taps),
  );
  const both = ops.convValid(
    rows,
    ops.constant(`smooth.cols.${sigma}`, [1, k, 1, 1], () => taps),
  );
  return ops.squeeze(both, [3]);
}

/** Image score from maps [N, size, size]: max, mean, or the mean of the top 1% of pixels. */
export function imageScores<T>(ops: TensorOps<T>, maps: T, how: ScoreSpec['image'], size: number): T {
  const flat = ops.reshape(maps, [-1, size * size]);
  switch (how) {
    case 'max':
      return ops.max(flat, [1]);
    case 'mean':
      return ops.mean(flat, [1]);
    case 'top1pct':
      return ops.mean(ops.topk(flat, Math.max(1, Math.round(0.01 * size * size))), [1]);
  }
}

/** Per-scale maps [N, h_i, w_i] → anomaly maps [N, S, S] and image scores [N], per score.* of the spec. */
export function scoreMaps<T>(
  ops: TensorOps<T>,
  score: ScoreSpec,
  inputSize: number,
  scaleMaps: T[],
  calibration?: { mean: number; std: number }[],
): { maps: T; scores: T } {
  const calibrated = score.calibrate === 'validation';
  const perScale = scaleMaps.map((map, k) =>
    // Bilinear and nearest upsampling commute with an affine map, so calibrating first is exact.
    upsample(ops, calibrated ? calibrate(ops, map, calibration![k]) : map, inputSize, score.upsample),
  );
  const maps = smooth(ops, fuse(ops, perScale, score.fuse, score.source === 'flow' && !calibrated), score.smooth, inputSize);
  return { maps, scores: imageScores(ops, maps, score.image, inputSize) };
}
