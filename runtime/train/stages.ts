// The stage loop: stage 1 (reconstruct) trains the transformer, stage 2 (flow) the flows with
// the transformer frozen. Every finished epoch is checkpointed atomically with run.json; batch
// order depends only on (seed, stage, epoch), so a resumed run ends with the same weights as
// an uninterrupted one.
import * as tf from '@tensorflow/tfjs-core';
import type { ModelDims } from '../../compiler/dims.ts';
import type { Spec, StageName } from '../../compiler/spec.ts';
import { UserError } from '../../common/errors.ts';
import { type FittedHeads, headsToTensors } from '../heads/index.ts';
import type { DadfModel } from '../model/index.ts';
import { hashString, mulberry32, permutation } from '../model/prng.ts';
import type { Progress } from '../progress.ts';
import type { EpochRecord, RunDir, RunMeta } from '../run/rundir.ts';
import { writeCheckpoint, type StoredTensor } from './checkpoint.ts';
import { batchTensors, type ScaleFeatures } from './features.ts';
import { yieldToEvents } from './interrupt.ts';
import { batchReconstruction, type CachedReconstructions, cacheForFlowStage } from './reconstructions.ts';
import { flowGrads, flowMicroBatch } from './microbatch.ts';
import { clipByGlobalNorm, Optimizer, type OptimizerState } from './optimizer.ts';
import type { CheckpointMeta } from './resume.ts';

export const STAGES: StageName[] = ['reconstruct', 'flow'];

export interface StageLoop {
  spec: Spec;
  dims: ModelDims;
  run: RunDir;
  meta: RunMeta;
  /** Absent when no scored head needs the DADF model: its stages are skipped. */
  model?: DadfModel;
  optimizerState?: OptimizerState;
  trainSet: ScaleFeatures;
  valSet: ScaleFeatures;
  progress: Progress;
  /** Stop after this many epochs (tests simulate a killed run with it). */
  stopAfterEpochs?: number;
}

/** Runs the stages from meta.progress on; 'stopped' when stopAfterEpochs was reached first. */
export async function runStages(loop: StageLoop): Promise<'done' | 'stopped'> {
  const { spec, model, meta, run } = loop;
  let optimizerState = loop.optimizerState;
  let epochsThisCall = 0;
  for (const stage of STAGES) {
    const stageSpec = spec.train.stages[stage];
    if (!stageSpec || !stageReached(meta.progress, stage)) continue;
    if (!model) {
      loop.progress({ kind: 'log', level: 'info', message: `stage ${stage} skipped: no scored head uses the DADF model` });
      meta.progress = { stage: nextStage(spec, stage), epochsDone: 0 };
      continue;
    }
    const startEpoch = meta.progress.stage === stage ? meta.progress.epochsDone : 0;
    const lr = stageSpec.lr ?? spec.train.optimizer.lr;
    const variables = stage === 'reconstruct' ? model.transformerVariables() : model.flowVariables();
    const optimizer = new Optimizer(variables, spec.train.optimizer, lr);
    if (optimizerState && startEpoch > 0) optimizer.setState(optimizerState);
    optimizerState = undefined;
    const batch = Math.min(stageSpec.batch ?? spec.train.batch, loop.trainSet[0].length);
    const stageStart = performance.now();
    // Stage 2's frozen transformer outputs, computed once before its first epoch in this call.
    let cached: ReturnType<typeof cacheForFlowStage> | null = null;
    for (let epoch = startEpoch; epoch < stageSpec.epochs; epoch++) {
      if (loop.stopAfterEpochs !== undefined && epochsThisCall >= loop.stopAfterEpochs) return 'stopped';
      if (stage === 'flow' && cached === null)
        cached = cacheForFlowStage(model, { train: loop.trainSet, validation: loop.valSet }, loop.dims, batch, loop.progress);
      const record = await runEpoch({
        model,
        dims: loop.dims,
        stage,
        epoch,
        epochs: stageSpec.epochs,
        optimizer,
        variables,
        trainSet: loop.trainSet,
        valSet: loop.valSet,
        batch,
        gradClip: spec.train.grad_clip,
        seed: spec.train.seed,
        progress: loop.progress,
        cached: cached ?? undefined,
      });
      meta.history.push(record);
      meta.progress = epoch + 1 < stageSpec.epochs ? { stage, epochsDone: epoch + 1 } : { stage: nextStage(spec, stage), epochsDone: 0 };
      saveCheckpoint(run, model, optimizer, meta, stage);
      run.writeMeta(meta);
      run.log({ event: 'epoch', ...record });
      epochsThisCall++;
    }
    meta.timings[stage] = (meta.timings[stage] ?? 0) + (performance.now() - stageStart) / 1000;
  }
  return 'done';
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
  /** Stage 2: the frozen transformer's outputs per image; absent: recomputed per step. */
  cached?: { train: CachedReconstructions; validation: CachedReconstructions };
}

async function runEpoch(ctx: EpochContext): Promise<EpochRecord> {
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
    const rec = stage === 'flow' ? (ctx.cached ? batchReconstruction(ctx.cached.train, indices, dims) : model.reconstruct(prior)) : undefined;
    const { value, grads } =
      stage === 'reconstruct'
        ? tf.variableGrads(() => model.reconstructionLoss(prior, model.reconstruct(prior)), ctx.variables)
        : flowGrads(model, prior, rec!, ctx.variables);
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
    await yieldToEvents();
    progress({ kind: 'tick', id, done: step + 1, total: steps, info: { loss: loss.toPrecision(4) } });
  }
  const seconds = (performance.now() - started) / 1000;
  const valLoss = validationLoss(ctx);
  progress({ kind: 'phase-end', id, seconds });
  const imagesPerSec = seen / Math.max(seconds, 1e-9);
  const record: EpochRecord = { stage, epoch: epoch + 1, loss: lossSum / seen, valLoss, seconds, imagesPerSec };
  progress({
    kind: 'epoch',
    stage,
    epoch: epoch + 1,
    epochs: ctx.epochs,
    loss: record.loss,
    valLoss,
    imagesPerSec,
    etaSeconds: seconds * (ctx.epochs - epoch - 1),
  });
  return record;
}

function validationLoss(ctx: EpochContext): number | null {
  const n = ctx.valSet[0]?.length ?? 0;
  if (n === 0) return null;
  let sum = 0;
  // Without a tape the forward still holds its intermediates until the end of tf.tidy: the flow stage validates in pieces the heap holds.
  const batch = ctx.stage === 'flow' ? flowMicroBatch(ctx.model, ctx.batch) : ctx.batch;
  for (let start = 0; start < n; start += batch) {
    const indices = Array.from({ length: Math.min(batch, n - start) }, (_, k) => start + k);
    const value = tf.tidy(() => {
      const prior = batchTensors(ctx.valSet, indices, ctx.dims);
      const rec = ctx.cached ? batchReconstruction(ctx.cached.validation, indices, ctx.dims) : ctx.model.reconstruct(prior);
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
export function saveFinal(run: RunDir, model: DadfModel | undefined, heads: FittedHeads, meta: RunMeta): void {
  const tensors: Record<string, StoredTensor> = { ...headsToTensors(heads) };
  for (const [name, w] of Object.entries(model?.getWeights() ?? {})) tensors[`model/${name}`] = w;
  writeCheckpoint(run.file('checkpoint'), { progress: meta.progress, optimizer: null } satisfies CheckpointMeta, tensors);
}

export function firstStage(spec: Spec): StageName | 'done' {
  return STAGES.find((s) => spec.train.stages[s]) ?? 'done';
}

function nextStage(spec: Spec, after: StageName): StageName | 'done' {
  return STAGES.slice(STAGES.indexOf(after) + 1).find((s) => spec.train.stages[s]) ?? 'done';
}

function stageReached(progress: RunMeta['progress'], stage: StageName): boolean {
  if (progress.stage === 'done') return false;
  return STAGES.indexOf(stage) >= STAGES.indexOf(progress.stage);
}
