// Opening a trained run: its Spec, the same backbone (checked by id), and the model with the
// checkpoint's weights.
import { existsSync } from 'node:fs';
import { modelDims, type ModelDims } from '../../compiler/dims.ts';
import type { Spec } from '../../compiler/spec.ts';
import { UserError } from '../../grammar/errors.ts';
import { loadBackbone, type Backbone } from '../backbones/index.ts';
import { createModel, type DadfModel } from '../model/index.ts';
import { RunDir, type RunMeta } from '../run/rundir.ts';
import { readCheckpoint } from '../train/checkpoint.ts';

export interface OpenedRun {
  run: RunDir;
  meta: RunMeta;
  spec: Spec;
  dims: ModelDims;
  backbone: Backbone;
  model: DadfModel;
  dispose(): void;
}

export async function openRun(path: string): Promise<OpenedRun> {
  const run = new RunDir(path);
  const meta = run.readMeta();
  if (!run.hasCheckpoint()) {
    throw new UserError('this run has no checkpoint yet', { where: path, hint: `train it: dadfc train ${meta.pipelineFile ?? 'PIPELINE'} --data DIR -o ${path} --resume` });
  }
  if (meta.status !== 'trained') {
    throw new UserError(`this run is not finished (status: ${meta.status}, next: ${meta.progress.stage} after ${meta.progress.epochsDone} epochs)`, {
      where: path,
      hint: `finish it: dadfc train ${meta.pipelineFile ?? 'PIPELINE'} --data ${meta.data.root} -o ${path} --resume`,
    });
  }
  const spec = run.readSpec();
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
    throw new UserError('the backbone weights changed since this run was trained', { where: path, hint: 'use the weights the run was trained with, or retrain' });
  }
  const model = createModel(spec, dims, meta.seed);
  const ckpt = readCheckpoint<unknown>(run.file('checkpoint'));
  const weights = Object.fromEntries(Object.entries(ckpt.tensors).filter(([k]) => k.startsWith('model/')).map(([k, v]) => [k.slice('model/'.length), v]));
  model.setWeights(weights);
  return { run, meta, spec, dims, backbone, model, dispose: () => (model.dispose(), backbone.dispose()) };
}
