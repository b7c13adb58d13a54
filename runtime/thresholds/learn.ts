// Learning a run's thresholds on its validation split and keeping them in run.json, keyed by
// the score settings they depend on (every score.* key but the fixed overrides). Training
// learns them when it ends; opening a run with other score settings learns those once more.
import type { Spec } from '../../compiler/spec.ts';
import { FeatureCache } from '../features/index.ts';
import { scoreFeatures } from '../inference/score.ts';
import type { ScaleCalibration } from '../model/index.ts';
import { silentProgress } from '../progress.ts';
import type { RunDir, RunMeta } from '../run/rundir.ts';
import { calibrationKey, findValidation, type CalibrationContext, type RunWithModel } from '../train/calibration.ts';
import { extractFeatures, type ScaleFeatures } from '../train/features.ts';
import { learnThresholds, type LearnedThresholds } from './rules.ts';

/** What learned thresholds depend on: the score settings, without the fixed overrides. */
export function thresholdKey(spec: Spec): string {
  const { image, pixel, ...learnedWith } = spec.score.threshold;
  return JSON.stringify({ ...spec.score, threshold: learnedWith });
}

function store(run: RunDir, meta: RunMeta, key: string, learned: LearnedThresholds): LearnedThresholds {
  meta.thresholds = { ...meta.thresholds, [key]: learned };
  run.writeMeta(meta);
  run.log({ event: 'thresholds', key, ...learned });
  return learned;
}

/** When training ends, from the validation features at hand (after the calibration, which scoring may need). */
export function learnThresholdsAfterTraining(ctx: Omit<RunWithModel, 'backbone'> & { validation: ScaleFeatures }): void {
  const { run, meta, spec, dims, model } = ctx;
  const key = thresholdKey(spec);
  if (meta.thresholds?.[key] || (ctx.validation[0]?.length ?? 0) === 0) return;
  const calibration = spec.score.calibrate === 'validation' ? meta.calibrations?.[calibrationKey(spec, dims)] : undefined;
  const good = scoreFeatures(ctx.validation, { dims, model, progress: silentProgress, label: 'thresholds', calibration });
  store(run, meta, key, learnThresholds({ good, anomalous: [] }, spec.score.threshold));
}

/**
 * The run's thresholds for its score settings: from run.json, or learned from its validation
 * images (found again under its data root) and stored. Undefined when the run has no validation split.
 */
export async function ensureThresholds(ctx: CalibrationContext & { calibration?: ScaleCalibration }): Promise<LearnedThresholds | undefined> {
  const { spec, dims, meta, run } = ctx;
  const key = thresholdKey(spec);
  const stored = meta.thresholds?.[key];
  if (stored) return stored;
  if (meta.data.validation === 0) return undefined;
  const validation = await findValidation(ctx, 'learning thresholds');
  const progress = ctx.progress ?? silentProgress;
  const { features } = await extractFeatures(validation.map((s) => s.path), spec, dims, ctx.backbone, ctx.cache ?? FeatureCache.open(), progress, 'thresholds');
  const good = scoreFeatures(features, { dims, model: ctx.model, progress, label: 'thresholds', calibration: ctx.calibration });
  return store(run, meta, key, learnThresholds({ good, anomalous: [] }, spec.score.threshold));
}
