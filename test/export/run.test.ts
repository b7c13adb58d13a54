// A trained tiny run scored by both engines: the exported graph (backbone included) gives the
// same maps and scores as the tfjs model on the same images, within 1e-4 on maps normalised by
// their global min/max (as report heatmaps are). Also: export on first use, reuse, refusals.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { compilePipeline } from '../../compiler/index.ts';
import { toDadf } from '../../compiler/print.ts';
import { isUserError } from '../../common/errors.ts';
import { initBackend } from '../../runtime/backend.ts';
import { exportRun } from '../../runtime/export/index.ts';
import { decodeModel } from '../../runtime/export/onnx-proto.ts';
import { FeatureCache } from '../../runtime/features/index.ts';
import { openRun, type OpenedRun } from '../../runtime/inference/open-run.ts';
import { scoreImages } from '../../runtime/inference/score.ts';
import { testRun } from '../../runtime/inference/test-run.ts';
import { OnnxEngine } from '../../runtime/onnx-engine/index.ts';
import { silentProgress } from '../../runtime/progress.ts';
import { generateSyntheticDataset } from '../../runtime/synth/index.ts';
import { train } from '../../runtime/train/trainer.ts';
import { pipelinesDir, tempDir } from '../compiler/helpers.ts';
import { imagesUnder, scoredParity } from './helpers.ts';
import { readFileSync } from 'node:fs';

const TOLERANCE = 1e-4;
const shared = process.env.DADF_SHARED ?? resolve(pipelinesDir, '../../shared');
const hazelnut = join(shared, 'data/hazelnut_toy');
const cache = FeatureCache.open({ dir: null });
let runDir = '';
let dataDir = '';
let opened: OpenedRun;
let engine: OnnxEngine;

before(async () => {
  await initBackend('wasm');
  dataDir = join(tempDir(), 'synth');
  await generateSyntheticDataset({ dir: dataDir, seed: 11, category: 'bottle', size: 64, trainCount: 10, testGoodCount: 4, testPerDefect: 2 });
  const compiled = compilePipeline(join(pipelinesDir, 'tiny.dadf'), { sets: ['train.stages.reconstruct.epochs=1', 'train.stages.flow.epochs=1'] });
  assert.ok(compiled.spec);
  runDir = join(tempDir(), 'run');
  await train({ spec: compiled.spec, pipelineText: toDadf(compiled.spec), dataDir, runDir, backendName: 'test', cache, progress: silentProgress });
  opened = await openRun(runDir);
  engine = await OnnxEngine.open(opened);
});

after(async () => {
  await engine?.dispose();
  opened?.dispose();
});

async function compareOn(paths: string[], label: string) {
  const tfjs = await scoreImages(paths, {
    spec: opened.spec,
    dims: opened.dims,
    backbone: opened.backbone,
    model: opened.model,
    cache,
    progress: silentProgress,
    label,
  });
  const onnx = await engine.scoreImages(paths, { progress: silentProgress, label });
  assert.equal(onnx.length, paths.length);
  const d = scoredParity(tfjs, onnx);
  assert.ok(d.maps < TOLERANCE, `${label}: normalised maps differ by ${d.maps}`);
  assert.ok(d.scores < TOLERANCE, `${label}: scores differ by ${d.scores}`);
  return d;
}

test('the ONNX engine matches tfjs on the synthetic test images', async () => {
  await compareOn(imagesUnder(join(dataDir, 'test')), 'synthetic');
});

test('the ONNX engine matches tfjs on the hazelnut_toy test images', async (t) => {
  if (!existsSync(hazelnut)) return t.skip(`../shared/data/hazelnut_toy is absent (${hazelnut}); set DADF_SHARED`);
  const d = await compareOn(imagesUnder(join(hazelnut, 'test')), 'hazelnut_toy');
  t.diagnostic(`hazelnut_toy: max normalised map difference ${d.maps.toExponential(2)}, max score difference ${d.scores.toExponential(2)}`);
});

test('the model is exported to RUN/model.onnx on first use and reused while the checkpoint is unchanged', async () => {
  const file = join(runDir, 'model.onnx');
  assert.equal(engine.modelPath, file);
  const written = statSync(file).mtimeMs;
  const again = await OnnxEngine.open(opened);
  await again.dispose();
  assert.equal(statSync(file).mtimeMs, written);
  const model = decodeModel(readFileSync(file));
  assert.equal(model.opsetImport[0].version, 17);
  assert.ok(model.metadataProps?.some((p) => p.key === 'checkpoint_sha256'));
});

test('testRun with the ONNX scorer gives the same metrics as with tfjs', async () => {
  const common = { dataDir, cache, progress: silentProgress, backendName: 'test' };
  const a = await testRun(opened, { ...common, outDir: join(tempDir(), 'tfjs') });
  const b = await testRun(opened, {
    ...common,
    outDir: join(tempDir(), 'onnx'),
    score: (paths, label) => engine.scoreImages(paths, { progress: silentProgress, label }),
  });
  assert.equal(b.metrics.image_auroc, a.metrics.image_auroc);
  assert.ok(Math.abs((b.metrics.pixel_auroc ?? 0) - (a.metrics.pixel_auroc ?? 0)) < 1e-3);
});

test('exporting a run without a checkpoint is a UserError', async () => {
  const bare = join(tempDir(), 'bare');
  mkdirSync(bare);
  for (const f of ['run.json', 'spec.json']) copyFileSync(join(runDir, f), join(bare, f));
  await assert.rejects(exportRun(bare, join(bare, 'model.onnx')), (e: unknown) => isUserError(e) && /no checkpoint/.test((e as Error).message));
  assert.equal(existsSync(join(bare, 'model.onnx')), false);
});
