// Thresholds of a trained run: learned on its good-only validation split when training ends,
// kept in run.json per score setting, overridden by score.threshold.image / .pixel, and learned
// again for other score settings. The test split never enters them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../../runtime/backend.ts';
import { loadDataset, splitValidation } from '../../runtime/data/index.ts';
import { FeatureCache } from '../../runtime/features/index.ts';
import { openRun, type OpenedRun } from '../../runtime/inference/open-run.ts';
import { scoreImages } from '../../runtime/inference/score.ts';
import { testRun } from '../../runtime/inference/test-run.ts';
import { silentProgress } from '../../runtime/progress.ts';
import type { RunMeta } from '../../runtime/run/rundir.ts';
import { generateSyntheticDataset } from '../../runtime/synth/index.ts';
import { thresholdKey } from '../../runtime/thresholds/learn.ts';
import { learnThresholds } from '../../runtime/thresholds/rules.ts';
import { tempDir } from '../compiler/helpers.ts';
import { trainTiny as trainTinyRun } from './helpers.ts';

const cache = FeatureCache.open({ dir: null });
let dataDir = '';
let runDir = '';
let opened: OpenedRun;

const trainTiny = (dir: string, sets: string[]) => trainTinyRun(dataDir, dir, cache, sets);

before(async () => {
  await initBackend('wasm');
  dataDir = join(tempDir(), 'synth');
  await generateSyntheticDataset({ dir: dataDir, seed: 7, category: 'bottle', size: 64, trainCount: 12, testGoodCount: 3, testPerDefect: 2 });
  runDir = join(tempDir(), 'run');
  await trainTiny(runDir, ['train.validation=0.25']);
  opened = await openRun(runDir, { cache });
});

after(() => opened?.dispose());

const readMeta = (dir: string) => JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunMeta;

test('training stores thresholds learned on the good validation images only (quantile rule)', async () => {
  const stored = readMeta(runDir).thresholds?.[thresholdKey(opened.spec)];
  assert.ok(stored, 'run.json holds the thresholds');
  assert.equal(stored.rule, 'quantile');
  assert.equal(stored.quantile, 0.99);
  assert.deepEqual(stored.validation, { good: 3, anomalous: 0 });
  const dataset = await loadDataset(dataDir);
  const { validation } = splitValidation(dataset.train, opened.spec.train.validation, opened.meta.seed);
  const scored = await scoreImages(validation.map((s) => s.path), { ...opened, cache, progress: silentProgress, label: 'v' });
  const again = learnThresholds({ good: scored, anomalous: [] }, opened.spec.score.threshold);
  assert.ok(Math.abs(again.image - stored.image) <= 1e-6 * Math.max(1, Math.abs(stored.image)), `image ${again.image} vs ${stored.image}`);
  assert.ok(Math.abs(again.pixel - stored.pixel) <= 1e-6 * Math.max(1, Math.abs(stored.pixel)), `pixel ${again.pixel} vs ${stored.pixel}`);
  const maxima = scored.map((s) => Math.max(...s.map));
  assert.ok(stored.pixel <= Math.max(...maxima) && stored.pixel >= Math.min(...maxima), 'pixel threshold within the validation maxima');
  assert.equal(opened.decision?.image, stored.image);
  assert.equal(opened.decision?.pixel, stored.pixel);
});

test('score.threshold.image / .pixel fix the thresholds without learning new ones', async () => {
  const before = Object.keys(readMeta(runDir).thresholds ?? {}).length;
  const fixed = await openRun(runDir, { cache, scoreSets: ['score.threshold.image=-0.125', 'score.threshold.pixel=-0.5'] });
  try {
    assert.equal(fixed.decision?.image, -0.125);
    assert.equal(fixed.decision?.pixel, -0.5);
    assert.equal(fixed.decision?.imageSpread, opened.decision?.imageSpread, 'the normalisation spread still comes from validation');
    assert.equal(Object.keys(readMeta(runDir).thresholds ?? {}).length, before);
  } finally {
    fixed.dispose();
  }
});

test('another quantile, or another scoring, learns and keeps its own thresholds', async () => {
  const median = await openRun(runDir, { cache, scoreSets: ['score.threshold.quantile=0.5'] });
  try {
    assert.equal(median.thresholds?.quantile, 0.5);
    assert.ok(median.decision!.image <= opened.decision!.image, 'the median is not above the 0.99 quantile');
    assert.ok(readMeta(runDir).thresholds?.[thresholdKey(median.spec)]);
  } finally {
    median.dispose();
  }
});

test('dadfc test reports the thresholds and their confusion counts on the test split; scores.csv has normalised scores and labels', async () => {
  const outDir = join(tempDir(), 'test-out');
  const result = await testRun(opened, { dataDir, outDir, cache, progress: silentProgress, backendName: 'test' });
  const d = result.decision;
  assert.ok(d, 'a decision is reported');
  assert.equal(d.image.threshold, opened.decision!.image);
  const rows = readFileSync(join(outDir, 'scores.csv'), 'utf8').trim().split('\n');
  assert.equal(rows[0], 'id,defect,label,score,normalised,predicted');
  const parsed = rows.slice(1).map((r) => r.split(',')).map(([, , label, score, normalised, predicted]) => ({ label: Number(label), score: Number(score), normalised: Number(normalised), predicted: Number(predicted) }));
  const c = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (const r of parsed) {
    assert.ok(r.normalised > 0 && r.normalised < 1);
    assert.equal(r.predicted === 1, r.normalised >= 0.5, 'defective exactly when the normalised score reaches 0.5');
    assert.equal(r.predicted === 1, r.score >= d.image.threshold);
    if (r.predicted) r.label ? c.tp++ : c.fp++;
    else r.label ? c.fn++ : c.tn++;
  }
  assert.deepEqual(d.image.confusion, c);
  assert.ok(d.pixel.confusion, 'the synthetic set has masks');
  const p = d.pixel.confusion;
  assert.equal(p.tp + p.fp + p.tn + p.fn, parsed.length * opened.dims.inputSize ** 2);
  const metrics = JSON.parse(readFileSync(join(outDir, 'metrics.json'), 'utf8'));
  assert.deepEqual(metrics.decision.image.confusion, c);
  assert.match(readFileSync(result.reportPath, 'utf8'), /id="decision"[\s\S]*never|were not used to choose them/);
});

test('a run without a validation split has no thresholds, and says so through decision being absent', async () => {
  const noValidation = join(tempDir(), 'run-noval');
  await trainTiny(noValidation, ['train.validation=0']);
  const run = await openRun(noValidation, { cache });
  try {
    assert.equal(run.thresholds, undefined);
    assert.equal(run.decision, undefined);
  } finally {
    run.dispose();
  }
});
