// Heads in a run: fitted at the end of training on the cached features, saved in the
// checkpoint, calibrated on the validation split, scored by test/predict; a heads-only
// pipeline never builds the DADF model; score.heads can change after training.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compilePipeline } from '../../compiler/index.ts';
import { toDadf } from '../../compiler/print.ts';
import { initBackend } from '../../runtime/backend.ts';
import { loadDataset } from '../../runtime/data/index.ts';
import { FeatureCache } from '../../runtime/features/index.ts';
import { headMaps } from '../../runtime/heads/detector.ts';
import { openRun, type OpenedRun } from '../../runtime/inference/open-run.ts';
import { scoreImages } from '../../runtime/inference/score.ts';
import { silentProgress } from '../../runtime/progress.ts';
import type { RunMeta } from '../../runtime/run/rundir.ts';
import { generateSyntheticDataset } from '../../runtime/synth/index.ts';
import { readCheckpoint } from '../../runtime/train/checkpoint.ts';
import { batchTensors, extractFeatures } from '../../runtime/train/features.ts';
import { train } from '../../runtime/train/trainer.ts';
import { pipelinesDir, tempDir } from '../compiler/helpers.ts';
import { validationFeatures } from '../thresholds/helpers.ts';

const cache = FeatureCache.open({ dir: null });
let dataDir = '';

before(async () => {
  await initBackend('wasm');
  dataDir = join(tempDir(), 'synth');
  await generateSyntheticDataset({ dir: dataDir, seed: 3, category: 'bottle', size: 64, trainCount: 12, testGoodCount: 3, testPerDefect: 2 });
});

async function trainWith(sets: string[]): Promise<string> {
  const compiled = compilePipeline(join(pipelinesDir, 'tiny.dadf'), {
    sets: ['train.stages.reconstruct.epochs=1', 'train.stages.flow.epochs=1', 'train.validation=0.25', ...sets],
  });
  assert.ok(compiled.spec, JSON.stringify(compiled.diagnostics));
  const runDir = join(tempDir(), 'run');
  const trained = await train({
    spec: compiled.spec,
    pipelineText: toDadf(compiled.spec),
    dataDir,
    runDir,
    backendName: 'test',
    cache,
    progress: silentProgress,
  });
  trained.model?.dispose();
  trained.backbone.dispose();
  return runDir;
}

const readMeta = (dir: string) => JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunMeta;
const testPaths = async () => (await loadDataset(dataDir)).test.map((s) => s.path);

let fused: OpenedRun;
let fusedDir = '';
after(() => fused?.dispose());

test('flows + Gaussian + knn: heads fitted and saved, one calibration per head, maps = mean of the standardised head maps', async () => {
  fusedDir = await trainWith(['heads.gaussian.scales=[2]', 'heads.knn.scales=[2,3]', 'heads.knn.coreset=0.5', 'score.heads=[flow,gaussian,knn]']);
  const meta = readMeta(fusedDir);
  // α0.25 at 64 px: conv_pw_5 8×8×64; 9 training images after the 25% validation split.
  assert.equal(meta.heads?.gaussian?.bytes, 64 * (64 * 64 + 64) * 4);
  assert.equal(meta.heads?.knn?.patches, 9 * 64);
  assert.equal(meta.heads?.knn?.entries, Math.round(0.5 * 9 * 64));
  const ckpt = readCheckpoint(join(fusedDir, 'checkpoint.bin'));
  assert.ok(
    Object.keys(ckpt.tensors).some((k) => k.startsWith('model/')),
    'the model is saved',
  );
  assert.deepEqual(ckpt.tensors['heads/knn/bank'].shape, [288, 64 + 128]);

  fused = await openRun(fusedDir, { cache });
  const cal = fused.headCalibration!;
  assert.deepEqual(
    cal.map((c) => c.head),
    ['flow', 'gaussian', 'knn'],
  );
  // The stored statistics are those of each head's validation maps.
  const features = await validationFeatures(fused, dataDir, cache);
  const prior = batchTensors(features, [0, 1, 2], fused.dims);
  const maps = headMaps(fused, prior, fused.calibration);
  maps.forEach((m, k) => {
    const v = Array.from(m.dataSync());
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    assert.ok(Math.abs(cal[k].mean - mean) <= 1e-4 * Math.max(1, Math.abs(mean)), `${cal[k].head}: ${cal[k].mean} vs ${mean}`);
  });
  tf.dispose([...prior, ...maps]);

  // Scoring combines the three standardised maps by their mean.
  const paths = (await testPaths()).slice(0, 2);
  const scored = await scoreImages(paths, { ...fused, cache, progress: silentProgress, label: 't' });
  const { features: testFeatures } = await extractFeatures(paths, fused.spec, fused.dims, fused.backbone, cache, silentProgress, 't');
  const testPrior = batchTensors(testFeatures, [0, 1], fused.dims);
  const raw = headMaps(fused, testPrior, fused.calibration).map((m) => m.dataSync() as Float32Array);
  const size = fused.dims.inputSize ** 2;
  for (const p of [0, 77, size + 5]) {
    const expected = raw.reduce((a, m, k) => a + (m[p] - cal[k].mean) / cal[k].std, 0) / 3;
    const got = scored[Math.floor(p / size)].map[p % size];
    assert.ok(Math.abs(got - expected) < 1e-4, `pixel ${p}: ${got} vs ${expected}`);
  }
  tf.dispose(testPrior);
});

test('score.heads can change after training: the knn head alone scores differently from the fused map', async () => {
  assert.ok(fusedDir, 'the fused run exists');
  const alone = await openRun(fusedDir, { cache, scoreSets: ['score.heads=[knn]'] });
  try {
    assert.equal(alone.model, undefined, 'no model is built for a knn-only score');
    const paths = (await testPaths()).slice(0, 1);
    const a = await scoreImages(paths, { ...alone, cache, progress: silentProgress, label: 'a' });
    const b = await scoreImages(paths, { ...fused, cache, progress: silentProgress, label: 'b' });
    assert.ok(a[0].map.some((v, i) => Math.abs(v - b[0].map[i]) > 1e-3));
    assert.ok(Math.min(...a[0].map) >= 0, 'knn distances are ≥ 0');
  } finally {
    alone.dispose();
  }
});

test('a heads-only pipeline builds no DADF model: no stage runs, the checkpoint holds only the head', async () => {
  const dir = await trainWith(['heads.gaussian.scales=[2]', 'heads.gaussian.shrinkage=ledoit_wolf', 'score.heads=[gaussian]', 'score.smooth=1']);
  const meta = readMeta(dir);
  assert.equal(meta.status, 'trained');
  assert.deepEqual(meta.history, []);
  const shrinkage = meta.heads?.gaussian?.shrinkage ?? -1;
  assert.ok(shrinkage > 0 && shrinkage < 1, `Ledoit-Wolf intensity ${shrinkage}`);
  const ckpt = readCheckpoint(join(dir, 'checkpoint.bin'));
  assert.deepEqual(Object.keys(ckpt.tensors).sort(), ['heads/gaussian/mean', 'heads/gaussian/shrinkage', 'heads/gaussian/transform']);
  const opened = await openRun(dir, { cache });
  try {
    assert.equal(opened.model, undefined);
    const scored = await scoreImages(await testPaths(), { ...opened, cache, progress: silentProgress, label: 't' });
    assert.ok(scored.every((s) => Number.isFinite(s.score) && s.score > 0));
  } finally {
    opened.dispose();
  }
});
