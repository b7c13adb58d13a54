// Learning a run's thresholds on its validation split and keeping them in run.json, keyed by
// the score settings they depend on (every score.* key but the fixed overrides). Training
// learns them when it ends; opening a run with other score settings learns those once more.
// Labelled validation anomalies (validation/<defect>/) switch the rule to F1-max.
import type { ModelDims } from '../../compiler/dims.ts';
import type { Spec } from '../../compiler/spec.ts';
import type { Backbone } from '../backbones/index.ts';
import { readMask, type Sample } from '../data/index.ts';
import { FeatureCache } from '../features/index.ts';
import { scoreFeatures } from '../inference/score.ts';
import { headCalibrationKey } from '../heads/calibration.ts';
import type { HeadCalibration } from '../heads/score.ts';
import type { FittedHeads } from '../heads/index.ts';
import type { DadfModel, ScaleCalibration } from '../model/index.ts';
import { silentProgress, type Progress } from '../progress.ts';
import type { RunDir, RunMeta } from '../run/rundir.ts';
import { calibrationKey, findValidation, type CalibrationContext, type RunWithModel } from '../train/calibration.ts';
import { extractFeatures, type ScaleFeatures } from '../train/features.ts';
import { learnThresholds, type LearnedThresholds, type ValidationScores } from './rules.ts';

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

interface ScoringContext {
  spec: Spec;
  dims: ModelDims;
  backbone: Backbone;
  model?: DadfModel;
  heads?: FittedHeads;
  cache: FeatureCache;
  progress: Progress;
  calibration?: ScaleCalibration;
  headCalibration?: HeadCalibration;
}

/** Maps, scores and masks (at the input size) of the labelled validation anomalies. */
async function scoreAnomalies(anomalies: Sample[], ctx: ScoringContext): Promise<ValidationScores['anomalous']> {
  if (anomalies.length === 0) return [];
  const { features } = await extractFeatures(
    anomalies.map((s) => s.path),
    ctx.spec,
    ctx.dims,
    ctx.backbone,
    ctx.cache,
    ctx.progress,
    'validation anomalies',
  );
  const scored = scoreFeatures(features, { ...ctx, label: 'validation anomalies' });
  return Promise.all(scored.map(async (s, i) => ({ ...s, mask: anomalies[i].maskPaths.length > 0 ? await readMask(anomalies[i], ctx.dims.inputSize) : null })));
}

async function learnFrom(good: ScaleFeatures, anomalies: Sample[], ctx: ScoringContext): Promise<LearnedThresholds> {
  const scoredGood = scoreFeatures(good, { ...ctx, label: 'thresholds' });
  return learnThresholds({ good: scoredGood, anomalous: await scoreAnomalies(anomalies, ctx) }, ctx.spec.score.threshold);
}

/** When training ends, from the validation features at hand (after the calibration, which scoring may need). */
export async function learnThresholdsAfterTraining(ctx: RunWithModel & { cache: FeatureCache; validation: ScaleFeatures; anomalies: Sample[] }): Promise<void> {
  const { run, meta, spec, dims } = ctx;
  const key = thresholdKey(spec);
  if (meta.thresholds?.[key] || (ctx.validation[0]?.length ?? 0) === 0) return;
  const calibration = spec.score.calibrate === 'validation' ? meta.calibrations?.[calibrationKey(spec, dims)] : undefined;
  const headCalibration = meta.headCalibrations?.[headCalibrationKey(spec, dims)] as HeadCalibration | undefined;
  store(run, meta, key, await learnFrom(ctx.validation, ctx.anomalies, { ...ctx, progress: silentProgress, calibration, headCalibration }));
}

/**
 * The run's thresholds for its score settings: from run.json, or learned from its validation
 * images (found again under its data root) and stored. Undefined when the run has no validation split.
 */
export async function ensureThresholds(
  ctx: CalibrationContext & { calibration?: ScaleCalibration; headCalibration?: HeadCalibration },
): Promise<LearnedThresholds | undefined> {
  const { spec, dims, meta, run } = ctx;
  const key = thresholdKey(spec);
  const stored = meta.thresholds?.[key];
  if (stored) return stored;
  if (meta.data.validation === 0) return undefined;
  const { validation, anomalies } = await findValidation(ctx, 'learning thresholds');
  const scoring = { ...ctx, cache: ctx.cache ?? FeatureCache.open(), progress: ctx.progress ?? silentProgress };
  const { features } = await extractFeatures(
    validation.map((s) => s.path),
    spec,
    dims,
    ctx.backbone,
    scoring.cache,
    scoring.progress,
    'thresholds',
  );
  return store(run, meta, key, await learnFrom(features, anomalies, scoring));
}
