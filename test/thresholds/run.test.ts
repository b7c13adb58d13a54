// Thresholds of a trained run: learned on its good-only validation split when training ends,
// kept in run.json per score setting, overridden by score.threshold.image / .pixel, and learned
// again for other score settings. The test split never enters them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../../runtime/backend.ts';
import { isUserError } from '../../common/errors.ts';
import { loadDataset, readMask, splitValidation } from '../../runtime/data/index.ts';
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
  const scored = await scoreImages(
    validation.map((s) => s.path),
    { ...opened, cache, progress: silentProgress, label: 'v' },
  );
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
  const parsed = rows
    .slice(1)
    .map((r) => r.split(','))
    .map(([, , label, score, normalised, predicted]) => ({
      label: Number(label),
      score: Number(score),
      normalised: Number(normalised),
      predicted: Number(predicted),
    }));
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

test('labelled anomalies in validation/<defect>/ (masks in validation/ground_truth/) switch both thresholds to F1-max', async () => {
  const data = join(tempDir(), 'with-anomalies');
  await generateSyntheticDataset({ dir: data, seed: 9, category: 'bottle', size: 64, trainCount: 12, testGoodCount: 2, testPerDefect: 4 });
  const defect = readdirSync(join(data, 'test')).find((d) => d !== 'good')!;
  mkdirSync(join(data, 'validation', defect), { recursive: true });
  mkdirSync(join(data, 'validation', 'ground_truth', defect), { recursive: true });
  for (const name of readdirSync(join(data, 'test', defect)).slice(0, 2)) {
    const stem = name.replace(/\.png$/, '');
    renameSync(join(data, 'test', defect, name), join(data, 'validation', defect, name));
    renameSync(join(data, 'ground_truth', defect, `${stem}_mask.png`), join(data, 'validation', 'ground_truth', defect, `${stem}_mask.png`));
  }
  const dataset = await loadDataset(data);
  assert.equal(dataset.validationAnomalies.length, 2);
  assert.ok(dataset.validationAnomalies.every((s) => s.label === 1 && s.maskPaths.length === 1));
  const dir = join(tempDir(), 'run-f1');
  await trainTinyRun(data, dir, cache, ['train.validation=0.25']);
  const run = await openRun(dir, { cache });
  try {
    const t = run.thresholds!;
    assert.equal(t.rule, 'f1_max');
    assert.equal(t.pixelRule, 'f1_max');
    assert.deepEqual(t.validation, { good: 3, anomalous: 2 });
    assert.match(run.decision!.imageSource, /F1-max on 3 good \+ 2 anomalous validation images/);
    // The same rule recomputed from the validation images' scores and masks.
    const { validation } = splitValidation(dataset.train, 0.25, run.meta.seed);
    const score = (paths: string[]) => scoreImages(paths, { ...run, cache, progress: silentProgress, label: 'v' });
    const good = await score(validation.map((s) => s.path));
    const anomalous = await Promise.all(
      (await score(dataset.validationAnomalies.map((s) => s.path))).map(async (a, i) => ({
        ...a,
        mask: await readMask(dataset.validationAnomalies[i], run.dims.inputSize),
      })),
    );
    const again = learnThresholds({ good, anomalous }, run.spec.score.threshold);
    assert.ok(Math.abs(again.image - t.image) < 1e-6, `image ${again.image} vs ${t.image}`);
    assert.ok(Math.abs(again.pixel - t.pixel) < 1e-6, `pixel ${again.pixel} vs ${t.pixel}`);
  } finally {
    run.dispose();
  }
  // Masks are optional as a whole, but a folder of masks must cover every anomaly.
  rmSync(join(data, 'validation', 'ground_truth', defect, readdirSync(join(data, 'validation', 'ground_truth', defect))[0]));
  await assert.rejects(loadDataset(data), (e: unknown) => isUserError(e) && /without a mask/.test((e as Error).message));
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
