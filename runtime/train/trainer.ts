// Two-stage training of a checked pipeline on the good images of a data set:
//   stage 1 (reconstruct): the transformer learns to reconstruct the frozen backbone features;
//   stage 2 (flow): the flows learn the likelihood of [prior, reconstructions], transformer frozen.
// A validation split comes from train/good only. Every finished epoch is checkpointed
// atomically; a killed run resumes from the last one and ends with the same weights as an
// uninterrupted run, because batch order depends only on (seed, stage, epoch).
import * as tf from '@tensorflow/tfjs-core';
import { createHash } from 'node:crypto';
import { modelDims, type ModelDims } from '../../compiler/dims.ts';
import type { Spec, StageName } from '../../compiler/spec.ts';
import { UserError } from '../../common/errors.ts';
import { loadBackbone, type Backbone } from '../backbones/index.ts';
import { loadDataset, trainValidationSplit, type Dataset } from '../data/index.ts';
import type { FeatureCache } from '../features/index.ts';
import { createModel, type DadfModel } from '../model/index.ts';
import { hashString, mulberry32, permutation } from '../model/prng.ts';
import type { Progress } from '../progress.ts';
import { peakRssMiB, RunDir, type EpochRecord, type RunMeta } from '../run/rundir.ts';
import { learnThresholdsAfterTraining } from '../thresholds/learn.ts';
import { declaredHeads, usesModel } from '../../compiler/heads.ts';
import { fitHeads, hasHeads, headsFromTensors, headsToTensors, type FittedHeads } from '../heads/index.ts';
import { calibrateAll } from './calibration.ts';
import { readCheckpoint, writeCheckpoint, type StoredTensor } from './checkpoint.ts';
import { batchTensors, extractFeatures, type ScaleFeatures } from './features.ts';
import { clipByGlobalNorm, Optimizer, type OptimizerState } from './optimizer.ts';
import { assertFitsInMemory } from './memory.ts';

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

interface CheckpointMeta {
  progress: RunMeta['progress'];
  optimizer: { stage: StageName; step: number } | null;
}

const STAGES: StageName[] = ['reconstruct', 'flow'];

export async function train(options: TrainOptions): Promise<TrainResult> {
  const { spec, progress } = options;
  const dims = modelDims(spec);
  const run = new RunDir(options.runDir);
  assertFitsInMemory(spec);

  const dataset = await loadDataset(options.dataDir, { skipBad: options.skipBad });
  for (const s of dataset.skipped) progress({ kind: 'log', level: 'warn', message: `skipped ${s.path}: ${s.reason}` });
  const { train: trainSamples, validation } = trainValidationSplit(dataset, spec.train.validation, spec.train.seed);
  if (trainSamples.length === 0) {
    throw new UserError('no training images left after the validation split', { where: options.dataDir, hint: 'add good images to train/good, or lower train.validation' });
  }

  const backbone = await loadBackbone({
    arch: spec.backbone.arch,
    alpha: spec.backbone.alpha,
    weights: spec.backbone.random ? undefined : options.weightsPath,
    random: spec.backbone.random,
    seed: spec.train.seed,
    taps: dims.scales.map((s) => s.tap),
  });
  progress({ kind: 'log', level: backbone.pretrained ? 'info' : 'warn', message: `backbone: ${backbone.label}` });

  if (run.exists() && !options.resume) {
    throw new UserError('this run directory already holds a run', {
      where: options.runDir,
      hint: 'use --resume to continue it, or choose another -o (runs are never overwritten)',
    });
  }
  const featureStart = performance.now();
  const trainSet = await extractFeatures(trainSamples.map((s) => s.path), spec, dims, backbone, options.cache, progress, 'train');
  const valSet = await extractFeatures(validation.map((s) => s.path), spec, dims, backbone, options.cache, progress, 'validation');
  const featureSeconds = (performance.now() - featureStart) / 1000;
  const fingerprint = dataFingerprint(trainSet.keys, valSet.keys);

  let meta: RunMeta;
  if (options.resume && run.exists()) {
    meta = run.readMeta();
    if (meta.data.fingerprint !== fingerprint) {
      throw new UserError('the data changed since this run started; resuming would mix data sets', {
        where: options.runDir,
        hint: 'resume with the same --data, or start a new run with another -o',
      });
    }
    if (meta.backbone.id !== backbone.id) {
      throw new UserError('the backbone weights changed since this run started', { where: options.runDir, hint: 'resume with the same weights, or start a new run' });
    }
    progress({ kind: 'log', level: 'info', message: `resuming ${options.runDir}: ${meta.progress.stage === 'done' ? 'training already finished' : `stage ${meta.progress.stage}, ${meta.progress.epochsDone} epochs done`}` });
  } else {
    run.create();
    const now = new Date().toISOString();
    meta = {
      format: 'dadf-run',
      version: 1,
      name: spec.name,
      created: now,
      updated: now,
      pipelineFile: options.pipelineFile,
      backbone: { id: backbone.id, label: backbone.label, pretrained: backbone.pretrained, arch: spec.backbone.arch, alpha: spec.backbone.alpha, weights: backbone.pretrained ? options.weightsPath : undefined },
      data: { root: dataset.root, layout: dataset.layout, fingerprint, train: trainSamples.length, validation: validation.length, validationIds: validation.map((s) => s.id) },
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
  }
  meta.timings.features = (meta.timings.features ?? 0) + featureSeconds;
  meta.status = 'training';

  // The DADF model is built and trained only when a scored head needs it; the heads need no gradients.
  const model = usesModel(spec) ? createModel(spec, dims, spec.train.seed) : undefined;
  let heads: FittedHeads = {};
  let optimizerState: OptimizerState | undefined;
  if (options.resume && run.hasCheckpoint()) {
    const ckpt = readCheckpoint<CheckpointMeta>(run.file('checkpoint'));
    model?.setWeights(prefixed(ckpt.tensors, 'model/'));
    if (hasHeads(ckpt.tensors, spec)) heads = headsFromTensors(ckpt.tensors);
    meta.progress = ckpt.meta.progress;
    meta.history = meta.history.filter((h) => isBefore(h, meta.progress));
    if (ckpt.meta.optimizer && ckpt.meta.optimizer.stage === meta.progress.stage) {
      optimizerState = { step: ckpt.meta.optimizer.step, slots: slotsOf(prefixed(ckpt.tensors, 'opt/')) };
    }
  }

  let epochsThisCall = 0;
  try {
    for (const stage of STAGES) {
      const stageSpec = spec.train.stages[stage];
      if (!stageSpec || !stageReached(meta.progress, stage)) continue;
      if (!model) {
        progress({ kind: 'log', level: 'info', message: `stage ${stage} skipped: no scored head uses the DADF model` });
        meta.progress = { stage: nextStage(spec, stage), epochsDone: 0 };
        continue;
      }
      const startEpoch = meta.progress.stage === stage ? meta.progress.epochsDone : 0;
      const lr = stageSpec.lr ?? spec.train.optimizer.lr;
      const variables = stage === 'reconstruct' ? model.transformerVariables() : model.flowVariables();
      const optimizer = new Optimizer(variables, spec.train.optimizer, lr);
      if (optimizerState && startEpoch > 0) optimizer.setState(optimizerState);
      optimizerState = undefined;
      const batch = Math.min(stageSpec.batch ?? spec.train.batch, trainSamples.length);
      const stageStart = performance.now();
      try {
        for (let epoch = startEpoch; epoch < stageSpec.epochs; epoch++) {
          if (options.stopAfterEpochs !== undefined && epochsThisCall >= options.stopAfterEpochs) return stopped();
          const record = runEpoch({ model, dims, stage, epoch, epochs: stageSpec.epochs, optimizer, variables, trainSet: trainSet.features, valSet: valSet.features, batch, gradClip: spec.train.grad_clip, seed: spec.train.seed, progress });
          meta.history.push(record);
          meta.progress = epoch + 1 < stageSpec.epochs ? { stage, epochsDone: epoch + 1 } : { stage: nextStage(spec, stage), epochsDone: 0 };
          saveCheckpoint(run, model, optimizer, meta, stage);
          run.writeMeta(meta);
          run.log({ event: 'epoch', ...record });
          epochsThisCall++;
        }
      } finally {
        optimizer.dispose();
      }
      meta.timings[stage] = (meta.timings[stage] ?? 0) + (performance.now() - stageStart) / 1000;
    }
  } catch (error) {
    meta.status = 'failed';
    meta.failure = error instanceof Error ? error.message : String(error);
    run.writeMeta(meta);
    run.log({ event: 'failed', message: meta.failure });
    model?.dispose();
    backbone.dispose();
    throw error;
  }
  if (declaredHeads(spec).length > 0 && !heads.gaussian && !heads.knn) {
    const fitted = fitHeads(spec, dims, trainSet.features, progress);
    heads = fitted.heads;
    meta.heads = fitted.records;
    meta.timings.heads = Object.values(fitted.records).reduce((a, r) => a + r.seconds, 0);
    saveFinal(run, model, heads, meta);
    run.log({ event: 'heads', ...fitted.records });
  }
  // Calibrations are computed here, while the validation features are at hand; test and predict read them from run.json.
  calibrateAll({ run, meta, spec, dims, backbone, model, heads }, valSet.features);
  await learnThresholdsAfterTraining({ run, meta, spec, dims, model, heads, backbone, cache: options.cache, validation: valSet.features, anomalies: dataset.validationAnomalies });
  meta.status = 'trained';
  meta.progress = { stage: 'done', epochsDone: 0 };
  meta.peakRssMiB = Math.max(meta.peakRssMiB ?? 0, peakRssMiB());
  run.writeMeta(meta);
  run.log({ event: 'trained' });
  return { run, meta, model, heads, backbone, dataset };

  function stopped(): TrainResult {
    run.log({ event: 'stopped', progress: meta.progress });
    return { run, meta, model, heads, backbone, dataset };
  }
}

interface EpochContext {
  model: DadfModel;
  dims: ModelDims;
  stage: StageName;
  epoch: number;
  epochs: number;
  optimizer: Optimizer;
  variables: tf.Variable[];
  trainSet: ScaleFeatures;
  valSet: ScaleFeatures;
  batch: number;
  gradClip: number;
  seed: number;
  progress: Progress;
}

function runEpoch(ctx: EpochContext): EpochRecord {
  const { model, dims, stage, epoch, batch, progress } = ctx;
  const n = ctx.trainSet[0].length;
  const order = permutation(n, mulberry32(hashString(`${ctx.seed}/${stage}/${epoch}`)));
  const steps = Math.ceil(n / batch);
  const id = `${stage}:${epoch}`;
  const started = performance.now();
  progress({ kind: 'phase', id, label: `${stage} epoch ${epoch + 1}/${ctx.epochs}`, total: steps, unit: 'step' });
  let lossSum = 0;
  let seen = 0;
  for (let step = 0; step < steps; step++) {
    const indices = order.slice(step * batch, (step + 1) * batch);
    const prior = batchTensors(ctx.trainSet, indices, dims);
    const rec = stage === 'flow' ? model.reconstruct(prior) : undefined;
    const lossFn = () => (stage === 'reconstruct' ? model.reconstructionLoss(prior, model.reconstruct(prior)) : model.flowLoss(prior, rec!));
    const { value, grads } = tf.variableGrads(lossFn, ctx.variables);
    const loss = value.dataSync()[0];
    if (!Number.isFinite(loss)) {
      tf.dispose([value, ...Object.values(grads), ...prior, ...(rec ? [...rec.self, ...rec.memory] : [])]);
      throw new UserError(`training diverged: the ${stage} loss became ${loss} in epoch ${epoch + 1}, step ${step + 1}`, {
        where: `stage ${stage}`,
        hint: `the last finished epoch is kept in the checkpoint. Try a lower learning rate (--set train.stages.${stage}.lr=…), gradient clipping (--set train.grad_clip=1), ${stage === 'flow' ? 'a smaller flow.clamp, ' : ''}or check the images; then run again with --resume`,
      });
    }
    const clipped = clipByGlobalNorm(grads, ctx.gradClip);
    ctx.optimizer.apply(clipped);
    if (clipped !== grads) tf.dispose(Object.values(clipped));
    tf.dispose([value, ...Object.values(grads), ...prior, ...(rec ? [...rec.self, ...rec.memory] : [])]);
    lossSum += loss * indices.length;
    seen += indices.length;
    progress({ kind: 'tick', id, done: step + 1, total: steps, info: { loss: loss.toPrecision(4) } });
  }
  const seconds = (performance.now() - started) / 1000;
  const valLoss = validationLoss(ctx);
  progress({ kind: 'phase-end', id, seconds });
  const imagesPerSec = seen / Math.max(seconds, 1e-9);
  const record: EpochRecord = { stage, epoch: epoch + 1, loss: lossSum / seen, valLoss, seconds, imagesPerSec };
  progress({ kind: 'epoch', stage, epoch: epoch + 1, epochs: ctx.epochs, loss: record.loss, valLoss, imagesPerSec, etaSeconds: seconds * (ctx.epochs - epoch - 1) });
  return record;
}

function validationLoss(ctx: EpochContext): number | null {
  const n = ctx.valSet[0]?.length ?? 0;
  if (n === 0) return null;
  let sum = 0;
  for (let start = 0; start < n; start += ctx.batch) {
    const indices = Array.from({ length: Math.min(ctx.batch, n - start) }, (_, k) => start + k);
    const value = tf.tidy(() => {
      const prior = batchTensors(ctx.valSet, indices, ctx.dims);
      const rec = ctx.model.reconstruct(prior);
      return ctx.stage === 'reconstruct' ? ctx.model.reconstructionLoss(prior, rec) : ctx.model.flowLoss(prior, rec);
    });
    sum += value.dataSync()[0] * indices.length;
    value.dispose();
  }
  return sum / n;
}

function saveCheckpoint(run: RunDir, model: DadfModel, optimizer: Optimizer, meta: RunMeta, stage: StageName): void {
  const tensors: Record<string, StoredTensor> = {};
  for (const [name, w] of Object.entries(model.getWeights())) tensors[`model/${name}`] = w;
  const state = optimizer.getState();
  const continuing = meta.progress.stage === stage;
  if (continuing) {
    for (const [name, slot] of Object.entries(state.slots)) {
      tensors[`opt/${name}/m`] = { shape: slot.shape, data: slot.m };
      tensors[`opt/${name}/v`] = { shape: slot.shape, data: slot.v };
    }
  }
  const ckptMeta: CheckpointMeta = { progress: meta.progress, optimizer: continuing ? { stage, step: state.step } : null };
  writeCheckpoint(run.file('checkpoint'), ckptMeta, tensors);
}

/** The checkpoint of a finished run: the model's weights (when built) and the fitted heads; no optimizer state. */
function saveFinal(run: RunDir, model: DadfModel | undefined, heads: FittedHeads, meta: RunMeta): void {
  const tensors: Record<string, StoredTensor> = { ...headsToTensors(heads) };
  for (const [name, w] of Object.entries(model?.getWeights() ?? {})) tensors[`model/${name}`] = w;
  writeCheckpoint(run.file('checkpoint'), { progress: meta.progress, optimizer: null } satisfies CheckpointMeta, tensors);
}

function prefixed(tensors: Record<string, StoredTensor>, prefix: string): Record<string, StoredTensor> {
  return Object.fromEntries(Object.entries(tensors).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
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

function firstStage(spec: Spec): StageName | 'done' {
  return STAGES.find((s) => spec.train.stages[s]) ?? 'done';
}

function nextStage(spec: Spec, after: StageName): StageName | 'done' {
  return STAGES.slice(STAGES.indexOf(after) + 1).find((s) => spec.train.stages[s]) ?? 'done';
}

function stageReached(progress: RunMeta['progress'], stage: StageName): boolean {
  if (progress.stage === 'done') return false;
  return STAGES.indexOf(stage) >= STAGES.indexOf(progress.stage);
}

function isBefore(record: EpochRecord, progress: RunMeta['progress']): boolean {
  if (progress.stage === 'done') return true;
  const a = STAGES.indexOf(record.stage);
  const b = STAGES.indexOf(progress.stage);
  return a < b || (a === b && record.epoch <= progress.epochsDone);
}

/** The content of the training and validation images, whatever their names or order. */
function dataFingerprint(trainKeys: string[], validationKeys: string[]): string {
  const h = createHash('sha256');
  h.update(`train:${[...trainKeys].sort().join(',')}\nvalidation:${[...validationKeys].sort().join(',')}`);
  return h.digest('hex').slice(0, 16);
}
