// Two-stage training of a checked pipeline on the good images of a data set, in three parts:
//   the run directory is locked and checked first (resume.ts: checkRunDir), before anything
//   is loaded; then preparation (prepare.ts: data, split, backbone, features); then the run is
//   started or resumed (resume.ts) and the stage loop runs (stages.ts). A validation split
//   comes from train/good only. Every finished epoch is checkpointed atomically; a killed or
//   interrupted run resumes from the last one and ends with the same weights as an
//   uninterrupted run.
import type { Spec } from '../../compiler/spec.ts';
import type { Backbone } from '../backbones/index.ts';
import type { Dataset } from '../data/index.ts';
import type { FeatureCache } from '../features/index.ts';
import type { DadfModel } from '../model/index.ts';
import type { Progress } from '../progress.ts';
import { lockRunDir } from '../run/lock.ts';
import { peakRssMiB, RunDir, type RunMeta } from '../run/rundir.ts';
import { learnThresholdsAfterTraining } from '../thresholds/learn.ts';
import { declaredHeads } from '../../compiler/heads.ts';
import { type FittedHeads, fitHeads } from '../heads/index.ts';
import { calibrateAll } from './calibration.ts';
import { Interrupted, isInterrupted, watchInterrupt } from './interrupt.ts';
import { assertFitsInMemory } from './memory.ts';
import { prepareTraining } from './prepare.ts';
import { checkRunDir, startOrResume } from './resume.ts';
import { runStages, saveFinal } from './stages.ts';

export interface TrainOptions {
  spec: Spec;
  /** The resolved pipeline as text (print-config form), kept in the run. */
  pipelineText: string;
  pipelineFile?: string;
  /** Absolute weights path, when the backbone is pretrained. */
  weightsPath?: string;
  dataDir: string;
  runDir: string;
  /** Continue a killed run from its last finished epoch. */
  resume?: boolean;
  skipBad?: boolean;
  backendName: string;
  cache: FeatureCache;
  progress: Progress;
  /** Stop after this many epochs in total (tests use it to simulate a killed run). */
  stopAfterEpochs?: number;
}

export interface TrainResult {
  run: RunDir;
  meta: RunMeta;
  /** Built only when a scored head needs the DADF model. */
  model?: DadfModel;
  heads: FittedHeads;
  backbone: Backbone;
  dataset: Dataset;
}

export async function train(options: TrainOptions): Promise<TrainResult> {
  const { spec } = options;
  const run = new RunDir(options.runDir);
  const lock = lockRunDir(options.runDir, 'dadfc train');
  let meta: RunMeta | undefined;
  const interrupt = watchInterrupt(options.progress, () => interrupted(options, meta));
  const progress = interrupt.progress;
  try {
    checkRunDir(run, options);
    assertFitsInMemory(spec);
    const prepared = await prepareTraining({ ...options, progress });
    const { dims, backbone, dataset } = prepared;
    const started = startOrResume(run, options, prepared);
    meta = started.meta;
    const { model } = started;
    let { heads } = started;
    try {
      const outcome = await runStages({
        spec,
        dims,
        run,
        meta,
        model,
        optimizerState: started.optimizerState,
        trainSet: prepared.trainSet,
        valSet: prepared.valSet,
        progress,
        stopAfterEpochs: options.stopAfterEpochs,
      });
      if (outcome === 'stopped') {
        run.log({ event: 'stopped', progress: meta.progress });
        return { run, meta, model, heads, backbone, dataset };
      }
    } catch (error) {
      recordFailure(run, meta, error);
      model?.dispose();
      backbone.dispose();
      throw error;
    }
    if (declaredHeads(spec).length > 0 && !heads.gaussian && !heads.knn) {
      const fitted = fitHeads(spec, dims, prepared.trainSet, progress);
      heads = fitted.heads;
      meta.heads = fitted.records;
      meta.timings.heads = Object.values(fitted.records).reduce((a, r) => a + r.seconds, 0);
      saveFinal(run, model, heads, meta);
      run.log({ event: 'heads', ...fitted.records });
    }
    // Calibrations are computed here, while the validation features are at hand; test and predict read them from run.json.
    calibrateAll({ run, meta, spec, dims, backbone, model, heads }, prepared.valSet);
    await learnThresholdsAfterTraining({
      run,
      meta,
      spec,
      dims,
      model,
      heads,
      backbone,
      cache: options.cache,
      validation: prepared.valSet,
      anomalies: dataset.validationAnomalies,
    });
    meta.status = 'trained';
    meta.progress = { stage: 'done', epochsDone: 0 };
    meta.peakRssMiB = Math.max(meta.peakRssMiB ?? 0, peakRssMiB());
    run.writeMeta(meta);
    run.log({ event: 'trained' });
    return { run, meta, model, heads, backbone, dataset };
  } finally {
    interrupt.dispose();
    lock.release();
  }
}

/** An interrupted run stays 'training' (it resumes); anything else marks it failed, with why. */
function recordFailure(run: RunDir, meta: RunMeta, error: unknown): void {
  if (isInterrupted(error)) {
    run.log({ event: 'interrupted', progress: meta.progress });
    return;
  }
  meta.status = 'failed';
  meta.failure = error instanceof Error ? error.message : String(error);
  run.writeMeta(meta);
  run.log({ event: 'failed', message: meta.failure });
}

function interrupted(options: TrainOptions, meta: RunMeta | undefined): Interrupted {
  const progress = meta?.progress;
  const kept = !progress
    ? 'no epoch had started'
    : progress.stage === 'done'
      ? 'training had finished'
      : `the run keeps its last finished epoch (stage ${progress.stage}, ${progress.epochsDone} epoch${progress.epochsDone === 1 ? '' : 's'} done)`;
  const file = options.pipelineFile ?? 'PIPELINE';
  return new Interrupted(`stopped by Ctrl-C; ${kept}`, {
    where: options.runDir,
    hint: `continue it with: dadfc train ${file} --data ${options.dataDir} -o ${options.runDir} --resume (with the same --set options, if any)`,
  });
}
