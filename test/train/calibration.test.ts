// score.calibrate: validation — per-scale statistics from the validation split, stored in
// run.json at the end of training, applied before fusion by tfjs and by the ONNX graph alike;
// and `score.*` overrides when a trained run is opened again.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { cpSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compilePipeline } from '../../compiler/index.ts';
import { toDadf } from '../../compiler/print.ts';
import { isUserError } from '../../common/errors.ts';
import { initBackend } from '../../runtime/backend.ts';
import { loadDataset } from '../../runtime/data/index.ts';
import { FeatureCache } from '../../runtime/features/index.ts';
import { openRun, type OpenedRun } from '../../runtime/inference/open-run.ts';
import { scoreImages } from '../../runtime/inference/score.ts';
import { upsample } from '../../runtime/model/score.ts';
import { plainTfjsOps } from '../../runtime/tensor-ops/tfjs.ts';
import { OnnxEngine } from '../../runtime/onnx-engine/index.ts';
import { silentProgress } from '../../runtime/progress.ts';
import type { RunMeta } from '../../runtime/run/rundir.ts';
import { generateSyntheticDataset } from '../../runtime/synth/index.ts';
import { calibrationKey } from '../../runtime/train/calibration.ts';
import { batchTensors } from '../../runtime/train/features.ts';
import { train } from '../../runtime/train/trainer.ts';
import { pipelinesDir, tempDir } from '../compiler/helpers.ts';
import { validationFeatures } from '../thresholds/helpers.ts';

const cache = FeatureCache.open({ dir: null });
let dataDir = '';
let runDir = '';
let opened: OpenedRun;

before(async () => {
  await initBackend('wasm');
  dataDir = join(tempDir(), 'synth');
  await generateSyntheticDataset({ dir: dataDir, seed: 5, category: 'bottle', size: 64, trainCount: 12, testGoodCount: 3, testPerDefect: 2 });
  const compiled = compilePipeline(join(pipelinesDir, 'tiny.dadf'), {
    sets: ['train.stages.reconstruct.epochs=1', 'train.stages.flow.epochs=1', 'train.validation=0.25', 'score.calibrate=validation'],
  });
  assert.ok(compiled.spec, JSON.stringify(compiled.diagnostics));
  runDir = join(tempDir(), 'run');
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
  opened = await openRun(runDir, { cache });
});

after(() => opened?.dispose());

const readMeta = (dir: string) => JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunMeta;

test('training stores one calibration per scored scale, equal to the statistics of the validation maps', async () => {
  const stored = readMeta(runDir).calibrations?.[calibrationKey(opened.spec, opened.dims)];
  assert.ok(stored, 'run.json holds the calibration');
  assert.deepEqual(
    stored.map((c) => c.scale),
    [1, 2, 3],
  );
  assert.deepEqual(opened.calibration, stored);
  const features = await validationFeatures(opened, dataDir, cache);
  const n = features[0].length;
  assert.equal(n, 3, '25% of 12 good images');
  const prior = batchTensors(
    features,
    Array.from({ length: n }, (_, i) => i),
    opened.dims,
  );
  const maps = opened.model!.scaleMaps(prior);
  maps.forEach((map, k) => {
    const values = Array.from(map.dataSync());
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
    assert.ok(Math.abs(stored[k].mean - mean) <= 1e-6 * Math.max(1, Math.abs(mean)), `scale ${k + 1} mean ${stored[k].mean} vs ${mean}`);
    assert.ok(Math.abs(stored[k].std - std) <= 1e-4 * std, `scale ${k + 1} std ${stored[k].std} vs ${std}`);
  });
  tf.dispose([...prior, ...maps]);
});

test('calibrated maps are the mean of the standardised, upsampled scale maps', async () => {
  const features = await validationFeatures(opened, dataDir, cache);
  const prior = batchTensors(features, [0, 1], opened.dims);
  const { maps, scores } = opened.model!.anomalyMaps(prior, opened.calibration);
  const expected = tf.tidy(() => {
    const perScale = opened
      .model!.scaleMaps(prior)
      .map(
        (m, k) =>
          upsample(plainTfjsOps, tf.div(tf.sub(m, opened.calibration![k].mean), opened.calibration![k].std), opened.dims.inputSize, 'bilinear') as tf.Tensor3D,
      );
    return tf.mean(tf.stack(perScale), 0);
  });
  const got = maps.dataSync();
  const want = expected.dataSync();
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  assert.ok(worst < 1e-5, `max difference ${worst}`);
  // On the validation images themselves, calibrated values are centred near 0 with spread ~1.
  const values = Array.from(got);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  assert.ok(Math.abs(mean) < 1.5, `validation maps centred, mean ${mean}`);
  assert.throws(() => opened.model!.anomalyMaps(prior), /needs one calibration per scored scale/);
  tf.dispose([maps, scores, expected, ...prior]);
});

test('the ONNX graph applies the same calibration as tfjs', async () => {
  const dataset = await loadDataset(dataDir);
  const paths = dataset.test.map((s) => s.path);
  const tfjs = await scoreImages(paths, {
    spec: opened.spec,
    dims: opened.dims,
    backbone: opened.backbone,
    model: opened.model!,
    cache,
    progress: silentProgress,
    label: 't',
    calibration: opened.calibration,
  });
  const engine = await OnnxEngine.open(opened);
  try {
    const onnx = await engine.scoreImages(paths, { progress: silentProgress, label: 't' });
    let worst = 0;
    tfjs.forEach((s, i) => {
      for (let k = 0; k < s.map.length; k++) worst = Math.max(worst, Math.abs(s.map[k] - onnx[i].map[k]) / Math.max(1, Math.abs(s.map[k])));
    });
    assert.ok(worst < 1e-3, `calibrated maps differ by ${worst}`);
  } finally {
    await engine.dispose();
  }
});

test('score.* overrides rescore a trained run: a new calibration is computed from the validation images and kept', async () => {
  const rescored = await openRun(runDir, { scoreSets: ['score.scales=[3]'], cache });
  try {
    assert.deepEqual(rescored.spec.score.scales, [3]);
    assert.deepEqual(
      rescored.calibration?.map((c) => c.scale),
      [3],
    );
    assert.deepEqual(rescored.calibration?.[0], opened.calibration?.[2], 'the same scale has the same statistics');
    const calibrations = readMeta(runDir).calibrations ?? {};
    assert.equal(Object.keys(calibrations).length, 2, 'both scorings are kept');
  } finally {
    rescored.dispose();
  }
  const uncalibrated = await openRun(runDir, { scoreSets: ['score.calibrate=none'], cache });
  assert.equal(uncalibrated.calibration, undefined);
  uncalibrated.dispose();
});

test('overrides outside score.*, or invalid ones, are refused with a clear message', async () => {
  await assert.rejects(
    openRun(runDir, { scoreSets: ['flow.steps=3'] }),
    (e: unknown) => isUserError(e) && /only score\.\* keys can change after training/.test((e as Error).message),
  );
  await assert.rejects(
    openRun(runDir, { scoreSets: ['score.fuse=product'] }),
    (e: unknown) => isUserError(e) && /cannot be fused by product/.test((e as Error).message),
  );
  await assert.rejects(openRun(runDir, { scoreSets: ['score.fuse=maximum'] }), (e: unknown) => isUserError(e) && /score\.fuse/.test((e as Error).message));
});

test('a calibration that must be computed needs the run’s data: a clear error when it is gone', async () => {
  const copy = join(tempDir(), 'copy');
  cpSync(runDir, copy, { recursive: true });
  const moved = `${dataDir}-moved`;
  renameSync(dataDir, moved);
  try {
    await assert.rejects(
      openRun(copy, { scoreSets: ['score.scales=[1]'] }),
      (e: unknown) => isUserError(e) && /needs its validation images/.test((e as Error).message),
    );
  } finally {
    renameSync(moved, dataDir);
  }
});

test('a run trained before newer keys existed opens with their defaults; a spec.json that no longer validates is a clear error', async () => {
  const old = join(tempDir(), 'old');
  cpSync(runDir, old, { recursive: true });
  const spec = JSON.parse(readFileSync(join(old, 'spec.json'), 'utf8'));
  delete spec.flow.position;
  delete spec.score.calibrate;
  writeFileSync(join(old, 'spec.json'), JSON.stringify(spec));
  const reopened = await openRun(old, { cache });
  try {
    assert.equal(reopened.spec.flow.position, 0);
    assert.equal(reopened.spec.score.calibrate, 'none');
  } finally {
    reopened.dispose();
  }
  writeFileSync(join(old, 'spec.json'), JSON.stringify({ ...spec, flow: { ...spec.flow, steps: 'many' } }));
  await assert.rejects(openRun(old), (e: unknown) => isUserError(e) && /does not match this version's pipeline schema/.test((e as Error).message));
});
