// A tiny run trained for one epoch per stage on a synthetic set: what the threshold and
// predict tests score.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { compilePipeline } from '../../compiler/index.ts';
import { toDadf } from '../../compiler/print.ts';
import { loadDataset, splitValidation } from '../../runtime/data/index.ts';
import type { FeatureCache } from '../../runtime/features/index.ts';
import type { OpenedRun } from '../../runtime/inference/open-run.ts';
import { silentProgress } from '../../runtime/progress.ts';
import { extractFeatures } from '../../runtime/train/features.ts';
import { train } from '../../runtime/train/trainer.ts';
import { pipelinesDir } from '../compiler/helpers.ts';

export async function trainTiny(dataDir: string, runDir: string, cache: FeatureCache, sets: string[]): Promise<void> {
  const compiled = compilePipeline(join(pipelinesDir, 'tiny.dadf'), { sets: ['train.stages.reconstruct.epochs=1', 'train.stages.flow.epochs=1', ...sets] });
  assert.ok(compiled.spec, JSON.stringify(compiled.diagnostics));
  const trained = await train({
    spec: compiled.spec,
    pipelineText: toDadf(compiled.spec),
    dataDir,
    runDir,
    backendName: 'test',
    cache,
    progress: silentProgress,
  });
  trained.model!.dispose();
  trained.backbone.dispose();
}

/** The features of an opened run's validation split (the split its training used). */
export async function validationFeatures(o: OpenedRun, dataDir: string, cache: FeatureCache) {
  const dataset = await loadDataset(dataDir);
  const { validation } = splitValidation(dataset.train, o.spec.train.validation, o.meta.seed);
  const paths = validation.map((s) => s.path);
  return (await extractFeatures(paths, o.spec, o.dims, o.backbone, cache, silentProgress, 'v')).features;
}
