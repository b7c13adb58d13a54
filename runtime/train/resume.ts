// Starting a run or resuming one: the run directory is checked before anything is loaded
// (checkRunDir), then either written fresh (pipeline, spec, run.json) or read back and matched
// against the data and backbone of this call; the model and optimizer come from the
// checkpoint of the last finished epoch when there is one.
import { UserError } from '../../common/errors.ts';
import { usesModel } from '../../compiler/heads.ts';
import { type FittedHeads, hasHeads, headsFromTensors } from '../heads/index.ts';
import { createModel, type DadfModel } from '../model/index.ts';
import type { StageName } from '../../compiler/spec.ts';
import type { RunDir, EpochRecord, RunMeta } from '../run/rundir.ts';
import { readCheckpoint, type StoredTensor } from './checkpoint.ts';
import type { OptimizerState } from './optimizer.ts';
import type { Prepared } from './prepare.ts';
import { firstStage, STAGES } from './stages.ts';
import type { TrainOptions } from './trainer.ts';

export interface CheckpointMeta {
  progress: RunMeta['progress'];
  optimizer: { stage: StageName; step: number } | null;
}

export interface Started {
  meta: RunMeta;
  /** Built only when a scored head needs the DADF model. */
  model?: DadfModel;
  /** Heads fitted by an earlier call (read from the checkpoint), or none yet. */
  heads: FittedHeads;
  /** The optimizer's moments when the run stopped inside a stage. */
  optimizerState?: OptimizerState;
}

/** A run is never overwritten: an existing one needs --resume. Checked first, before any loading. */
export function checkRunDir(run: RunDir, options: TrainOptions): void {
  if (run.exists() && !options.resume) {
    throw new UserError('this run directory already holds a run', {
      where: options.runDir,
      hint: 'use --resume to continue it, or choose another -o (runs are never overwritten)',
    });
  }
  if (run.exists()) run.readMeta(); // a corrupt run.json is said now, not after the features
}

export function startOrResume(run: RunDir, options: TrainOptions, prepared: Prepared): Started {
  const meta = options.resume && run.exists() ? resumeMeta(run, options, prepared) : startMeta(run, options, prepared);
  meta.timings.features = (meta.timings.features ?? 0) + prepared.featureSeconds;
  meta.status = 'training';
  const { spec } = options;
  // The DADF model is built and trained only when a scored head needs it; the heads need no gradients.
  const model = usesModel(spec) ? createModel(spec, prepared.dims, spec.train.seed) : undefined;
  if (!(options.resume && run.hasCheckpoint())) return { meta, model, heads: {} };
  const ckpt = readCheckpoint<CheckpointMeta>(run.file('checkpoint'));
  model?.setWeights(prefixed(ckpt.tensors, 'model/'));
  const heads = hasHeads(ckpt.tensors, spec) ? headsFromTensors(ckpt.tensors) : {};
  meta.progress = ckpt.meta.progress;
  meta.history = meta.history.filter((h) => isBefore(h, meta.progress));
  const optimizer = ckpt.meta.optimizer;
  if (!optimizer || optimizer.stage !== meta.progress.stage) return { meta, model, heads };
  return { meta, model, heads, optimizerState: { step: optimizer.step, slots: slotsOf(prefixed(ckpt.tensors, 'opt/')) } };
}

function resumeMeta(run: RunDir, options: TrainOptions, prepared: Prepared): RunMeta {
  const meta = run.readMeta();
  if (meta.data.fingerprint !== prepared.fingerprint) {
    throw new UserError('the data changed since this run started; resuming would mix data sets', {
      where: options.runDir,
      hint: 'resume with the same --data, or start a new run with another -o',
    });
  }
  if (meta.backbone.id !== prepared.backbone.id) {
    throw new UserError('the backbone weights changed since this run started', {
      where: options.runDir,
      hint: 'resume with the same weights, or start a new run',
    });
  }
  const where = meta.progress.stage === 'done' ? 'training already finished' : `stage ${meta.progress.stage}, ${meta.progress.epochsDone} epochs done`;
  options.progress({ kind: 'log', level: 'info', message: `resuming ${options.runDir}: ${where}` });
  return meta;
}

function startMeta(run: RunDir, options: TrainOptions, prepared: Prepared): RunMeta {
  const { spec } = options;
  const { backbone, dataset, trainSamples, validation } = prepared;
  run.create();
  const now = new Date().toISOString();
  const meta: RunMeta = {
    format: 'dadf-run',
    version: 1,
    name: spec.name,
    created: now,
    updated: now,
    pipelineFile: options.pipelineFile,
    backbone: {
      id: backbone.id,
      label: backbone.label,
      pretrained: backbone.pretrained,
      arch: spec.backbone.arch,
      alpha: spec.backbone.alpha,
      weights: backbone.pretrained ? options.weightsPath : undefined,
    },
    data: {
      root: dataset.root,
      layout: dataset.layout,
      fingerprint: prepared.fingerprint,
      train: trainSamples.length,
      validation: validation.length,
      validationIds: validation.map((s) => s.id),
    },
    backend: options.backendName,
    seed: spec.train.seed,
    status: 'training',
    progress: { stage: firstStage(spec), epochsDone: 0 },
    history: [],
    timings: {},
  };
  run.writeAtomic('pipeline', options.pipelineText);
  run.writeAtomic('spec', JSON.stringify(spec, null, 2) + '\n');
  run.writeMeta(meta);
  run.log({ event: 'start', backbone: backbone.label, backend: options.backendName, train: trainSamples.length, validation: validation.length });
  return meta;
}

function prefixed(tensors: Record<string, StoredTensor>, prefix: string): Record<string, StoredTensor> {
  return Object.fromEntries(
    Object.entries(tensors)
      .filter(([k]) => k.startsWith(prefix))
      .map(([k, v]) => [k.slice(prefix.length), v]),
  );
}

function slotsOf(tensors: Record<string, StoredTensor>): OptimizerState['slots'] {
  const slots: OptimizerState['slots'] = {};
  for (const [key, t] of Object.entries(tensors)) {
    const name = key.slice(0, key.lastIndexOf('/'));
    const which = key.slice(key.lastIndexOf('/') + 1) as 'm' | 'v';
    const slot = (slots[name] ??= { shape: t.shape, m: new Float32Array(0), v: new Float32Array(0) });
    slot[which] = t.data;
  }
  return slots;
}

function isBefore(record: EpochRecord, progress: RunMeta['progress']): boolean {
  if (progress.stage === 'done') return true;
  const a = STAGES.indexOf(record.stage);
  const b = STAGES.indexOf(progress.stage);
  return a < b || (a === b && record.epoch <= progress.epochsDone);
}
