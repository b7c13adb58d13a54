// Per-scale calibration on the validation split (good training images only): the mean and
// standard deviation of each scored scale's raw map, so that `score.calibrate: validation` can
// standardise the scales before fusing them. Computed once, kept in run.json, keyed by the
// score settings it depends on; test images never enter it.
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import type { ModelDims } from '../../compiler/dims.ts';
import type { Spec } from '../../compiler/spec.ts';
import { UserError } from '../../common/errors.ts';
import type { Backbone } from '../backbones/index.ts';
import { loadDataset, trainValidationSplit, type Sample } from '../data/index.ts';
import { FeatureCache } from '../features/index.ts';
import { scoreHeads, usesModel } from '../../compiler/heads.ts';
import type { Calibrations } from '../heads/detector.ts';
import type { HeadCalibration } from '../heads/score.ts';
import { computeHeadCalibration, headCalibrationKey } from '../heads/calibration.ts';
import type { FittedHeads } from '../heads/index.ts';
import type { DadfModel, ScaleCalibration } from '../model/index.ts';
import { silentProgress, type Progress } from '../progress.ts';
import type { RunDir, RunMeta } from '../run/rundir.ts';
import { batchTensors, extractFeatures, type ScaleFeatures } from './features.ts';

/** What a calibration depends on besides the trained weights: which maps, from which scales. */
export function calibrationKey(spec: Spec, dims: ModelDims): string {
  const { source, self_weight } = spec.score;
  return JSON.stringify({ source, self_weight: source === 'reconstruction' ? self_weight : undefined, scales: dims.scoredScales.map((i) => i + 1) });
}

/** Mean and standard deviation (float64 sums over every pixel of every image) of each of `count` maps that `maps` makes from a batch. */
export function mapStatistics(
  features: ScaleFeatures,
  dims: ModelDims,
  count: number,
  maps: (prior: tf.Tensor4D[]) => tf.Tensor3D[],
  batch = 8,
): { mean: number; std: number }[] {
  const n = features[0]?.length ?? 0;
  const sums = Array.from({ length: count }, () => ({ sum: 0, squares: 0, count: 0 }));
  for (let start = 0; start < n; start += batch) {
    const indices = Array.from({ length: Math.min(batch, n - start) }, (_, k) => start + k);
    const prior = batchTensors(features, indices, dims);
    const made = maps(prior);
    made.forEach((map, k) => {
      for (const v of map.dataSync()) {
        sums[k].sum += v;
        sums[k].squares += v * v;
        sums[k].count++;
      }
    });
    tf.dispose([...prior, ...made]);
  }
  return sums.map(({ sum, squares, count }) => {
    const mean = sum / count;
    return { mean, std: Math.sqrt(Math.max(0, squares / count - mean * mean)) };
  });
}

/** Mean and standard deviation of each scored scale's map over the given features. */
function computeCalibration(model: DadfModel, dims: ModelDims, features: ScaleFeatures, batch = 8): ScaleCalibration {
  const n = features[0]?.length ?? 0;
  if (n === 0)
    throw new UserError('calibration needs validation images, but the validation split is empty', {
      hint: 'set train.validation > 0 (e.g. 0.1), or score.calibrate: none',
    });
  const stats = mapStatistics(features, dims, dims.scoredScales.length, (prior) => model.scaleMaps(prior), batch);
  return dims.scoredScales.map((i, k) => {
    const { mean, std } = stats[k];
    if (!Number.isFinite(mean) || !(std > 0)) {
      throw new UserError(`scale ${i + 1} gives a constant or non-finite map on the validation split (mean ${mean}, std ${std}); it cannot be calibrated`, {
        hint: 'check that training finished without errors, or use score.calibrate: none',
      });
    }
    return { scale: i + 1, mean, std };
  });
}

/** A trained run with its model built: what scoring needs (inference's OpenedRun extends it). */
export interface RunWithModel {
  run: RunDir;
  meta: RunMeta;
  spec: Spec;
  dims: ModelDims;
  backbone: Backbone;
  /** Built only when a scored head needs the DADF model. */
  model?: DadfModel;
  heads: FittedHeads;
}

export interface CalibrationContext extends RunWithModel {
  cache?: FeatureCache;
  progress?: Progress;
}

/**
 * The run's calibrations for its score settings: the DADF model's per-scale one (score.calibrate:
 * validation) and the per-head one (several score.heads), each read from run.json, or computed
 * from the run's validation images (found again under the data root it was trained on) and
 * stored there.
 */
export async function ensureCalibration(ctx: CalibrationContext): Promise<Calibrations> {
  const { spec } = ctx;
  const stored = storedCalibrations(ctx);
  if (stored.complete) return stored.calibrations;
  const { validation } = await findValidation(ctx, 'calibrating the maps');
  const progress = ctx.progress ?? silentProgress;
  const cache = ctx.cache ?? FeatureCache.open();
  const { features } = await extractFeatures(
    validation.map((s) => s.path),
    spec,
    ctx.dims,
    ctx.backbone,
    cache,
    progress,
    'calibration',
  );
  return calibrateAll(ctx, features);
}

/** The calibrations the spec needs that run.json already holds, and whether that is all of them. */
function storedCalibrations(ctx: RunWithModel): { calibrations: Calibrations; complete: boolean } {
  const { spec, dims, meta } = ctx;
  const needScales = spec.score.calibrate === 'validation' && usesModel(spec);
  const needHeads = scoreHeads(spec).length > 1;
  const calibrations: Calibrations = {
    scales: needScales ? meta.calibrations?.[calibrationKey(spec, dims)] : undefined,
    heads: needHeads ? (meta.headCalibrations?.[headCalibrationKey(spec, dims)] as HeadCalibration | undefined) : undefined,
  };
  return { calibrations, complete: (!needScales || !!calibrations.scales) && (!needHeads || !!calibrations.heads) };
}

/** Every calibration the spec needs: those run.json holds, the others computed from validation features and stored. */
export function calibrateAll(ctx: RunWithModel, features: ScaleFeatures): Calibrations {
  const { spec, dims, meta, run } = ctx;
  const out = storedCalibrations(ctx).calibrations;
  if (!out.scales && spec.score.calibrate === 'validation' && usesModel(spec)) {
    out.scales = computeCalibration(ctx.model!, dims, features, spec.train.batch);
    storeCalibration(run, meta, calibrationKey(spec, dims), out.scales);
  }
  if (!out.heads && scoreHeads(spec).length > 1) {
    out.heads = computeHeadCalibration({ spec, dims, model: ctx.model, heads: ctx.heads }, features, out.scales);
    meta.headCalibrations = { ...meta.headCalibrations, [headCalibrationKey(spec, dims)]: out.heads };
    run.writeMeta(meta);
    run.log({ event: 'calibrated', key: headCalibrationKey(spec, dims), calibration: out.heads });
  }
  return out;
}

/** The run's validation images (and the data set's labelled validation anomalies), found again under the data root it was trained on and checked to be the same. */
export async function findValidation(
  ctx: Pick<RunWithModel, 'run' | 'meta' | 'spec'>,
  purpose: string,
): Promise<{ validation: Sample[]; anomalies: Sample[] }> {
  const { run, meta, spec } = ctx;
  const root = meta.data.root;
  const hint = `put the training data back at ${root}; ${purpose} needs the run's validation images`;
  if (!existsSync(root)) throw new UserError(`this run needs its validation images for ${purpose}, but its data set is gone`, { where: run.path, hint });
  const dataset = await loadDataset(root);
  const { validation } = trainValidationSplit(dataset, spec.train.validation, meta.seed);
  const ids = validation.map((s) => s.id).sort();
  if (JSON.stringify(ids) !== JSON.stringify([...meta.data.validationIds].sort())) {
    throw new UserError('the validation images of this run are no longer the same under its data root', { where: root, hint });
  }
  return { validation, anomalies: dataset.validationAnomalies };
}

function storeCalibration(run: RunDir, meta: RunMeta, key: string, calibration: ScaleCalibration): void {
  meta.calibrations = { ...meta.calibrations, [key]: calibration };
  run.writeMeta(meta);
  run.log({ event: 'calibrated', key, calibration });
}

/** mean 0, std 1 for every scored scale: the calibration ops without their effect (benchmarks time them on untrained models). */
export function unitCalibration(dims: ModelDims): ScaleCalibration {
  return dims.scoredScales.map((i) => ({ scale: i + 1, mean: 0, std: 1 }));
}
