// Opening a trained run: its Spec, the same backbone (checked by id), and the model with the
// checkpoint's weights.
import { existsSync } from 'node:fs';
import { compilePipeline } from '../../compiler/index.ts';
import { modelDims } from '../../compiler/dims.ts';
import type { Spec } from '../../compiler/spec.ts';
import { UserError } from '../../common/errors.ts';
import { loadBackbone } from '../backbones/index.ts';
import type { FeatureCache } from '../features/index.ts';
import { usesModel } from '../../compiler/heads.ts';
import type { HeadCalibration } from '../heads/score.ts';
import { disposeHeads, headsFromTensors, hasHeads } from '../heads/index.ts';
import { createModel, type ScaleCalibration } from '../model/index.ts';
import type { Progress } from '../progress.ts';
import { RunDir } from '../run/rundir.ts';
import { readCheckpoint } from '../train/checkpoint.ts';
import { ensureCalibration, type RunWithModel } from '../train/calibration.ts';
import { ensureThresholds } from '../thresholds/learn.ts';
import { decide, type Decision, type LearnedThresholds } from '../thresholds/rules.ts';

export interface OpenedRun extends RunWithModel {
  /** Per-scale validation statistics when score.calibrate is 'validation'. */
  calibration?: ScaleCalibration;
  /** Thresholds learned on the validation split for these score settings (undefined without a validation split). */
  thresholds?: LearnedThresholds;
  /** The thresholds in force (learned, or fixed by score.threshold.image / .pixel) and the normalisation spreads. */
  decision?: Decision;
  /** Per-head validation statistics when score.heads combines several heads. */
  headCalibration?: HeadCalibration;
  /** The score.* overrides this run was opened with (empty: as trained). */
  scoreSets: string[];
  dispose(): void;
}

export interface OpenOptions {
  /** `score.key=value` overrides: scoring settings can change after training, nothing else can. */
  scoreSets?: string[];
  /** Used when a calibration has to be computed from the validation images. */
  cache?: FeatureCache;
  progress?: Progress;
}

export async function openRun(path: string, options: OpenOptions = {}): Promise<OpenedRun> {
  const run = new RunDir(path);
  const meta = run.readMeta();
  if (!run.hasCheckpoint()) {
    throw new UserError('this run has no checkpoint yet', {
      where: path,
      hint: `train it: dadfc train ${meta.pipelineFile ?? 'PIPELINE'} --data DIR -o ${path} --resume`,
    });
  }
  if (meta.status !== 'trained') {
    throw new UserError(`this run is not finished (status: ${meta.status}, next: ${meta.progress.stage} after ${meta.progress.epochsDone} epochs)`, {
      where: path,
      hint: `finish it: dadfc train ${meta.pipelineFile ?? 'PIPELINE'} --data ${meta.data.root} -o ${path} --resume`,
    });
  }
  const scoreSets = options.scoreSets ?? [];
  const spec = withScoreSets(run, run.readSpec(), scoreSets);
  const dims = modelDims(spec);
  if (meta.backbone.pretrained && (!meta.backbone.weights || !existsSync(meta.backbone.weights))) {
    throw new UserError(`the backbone weights this run was trained with are not at ${meta.backbone.weights}`, {
      where: path,
      hint: 'put them back at that path (features must come from the same weights)',
    });
  }
  const backbone = await loadBackbone({
    arch: spec.backbone.arch,
    alpha: spec.backbone.alpha,
    weights: meta.backbone.pretrained ? meta.backbone.weights : undefined,
    random: !meta.backbone.pretrained,
    seed: meta.seed,
    taps: dims.scales.map((s) => s.tap),
  });
  if (backbone.id !== meta.backbone.id) {
    backbone.dispose();
    throw new UserError('the backbone weights changed since this run was trained', {
      where: path,
      hint: 'use the weights the run was trained with, or retrain',
    });
  }
  const ckpt = readCheckpoint<unknown>(run.file('checkpoint'));
  if (!hasHeads(ckpt.tensors, spec)) {
    backbone.dispose();
    throw new UserError('this run has no fitted state for a head its pipeline declares', {
      where: path,
      hint: 'train a new run (heads are fitted at the end of training)',
    });
  }
  const heads = headsFromTensors(ckpt.tensors);
  const model = usesModel(spec) ? createModel(spec, dims, meta.seed) : undefined;
  const weights = Object.fromEntries(
    Object.entries(ckpt.tensors)
      .filter(([k]) => k.startsWith('model/'))
      .map(([k, v]) => [k.slice('model/'.length), v]),
  );
  model?.setWeights(weights);
  const dispose = () => (model?.dispose(), disposeHeads(heads), backbone.dispose());
  try {
    const ctx = { run, meta, spec, dims, backbone, model, heads, cache: options.cache, progress: options.progress };
    const calibrations = await ensureCalibration(ctx);
    const thresholds = await ensureThresholds({ ...ctx, calibration: calibrations.scales, headCalibration: calibrations.heads });
    const decision = thresholds && decide(thresholds, spec.score.threshold);
    return {
      run,
      meta,
      spec,
      dims,
      backbone,
      model,
      heads,
      calibration: calibrations.scales,
      headCalibration: calibrations.heads,
      thresholds,
      decision,
      scoreSets,
      dispose,
    };
  } catch (error) {
    dispose();
    throw error;
  }
}

/** The run's spec with score.* overrides applied, checked like any pipeline (weights aside: the run's are fixed). */
function withScoreSets(run: RunDir, spec: Spec, sets: string[]): Spec {
  if (sets.length === 0) return spec;
  const wrong = sets.find((s) => !/^score\.[A-Za-z_]/.test(s.trim()));
  if (wrong) {
    throw new UserError(`--set ${wrong}: only score.* keys can change after training`, {
      where: run.path,
      hint: 'to change anything else, train a new run with that --set',
      exitCode: 2,
    });
  }
  const compiled = compilePipeline(run.file('pipeline'), { sets, checkWeights: false });
  const error = compiled.diagnostics.find((d) => d.severity === 'error');
  if (error || !compiled.spec) {
    throw new UserError(`--set ${sets.join(' ')}: ${error?.message ?? 'the overrides do not give a valid pipeline'}`, {
      where: run.file('pipeline'),
      hint: error?.hint,
      exitCode: 2,
    });
  }
  return { ...spec, score: compiled.spec.score };
}
