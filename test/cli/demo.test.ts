// `dadfc demo`, the first command a new user runs: offline, on the bundled pretrained backbone,
// it must make its data, train, test, and reach the quality of a working detector.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../compiler/helpers.ts';
import { cliRunner } from './helpers.ts';

const dadfc = cliRunner();

test('dadfc demo runs end to end on the bundled pretrained backbone and finds the defects', () => {
  const out = tempDir();
  const r = dadfc('demo', '-o', out, '--quiet');
  assert.equal(r.code, 0, r.err);
  const all = r.out + r.err;
  assert.match(all, /pretrained/);
  assert.doesNotMatch(all, /RANDOM/);
  assert.doesNotMatch(all, /Hi, looks like you are running TensorFlow\.js/);
  const run = join(out, 'runs', 'demo-carpet-seed0');
  const written = JSON.parse(readFileSync(join(run, 'test', 'metrics.json'), 'utf8'));
  assert.equal(written.backbone.pretrained, true);
  const metrics = written.overall;
  // Measured: 99.44 / 99.17 / 96.44 (image AUROC / pixel AUROC / AUPRO) with seed 0.
  assert.ok(metrics.image_auroc > 0.95, `image AUROC ${metrics.image_auroc}`);
  assert.ok(metrics.pixel_auroc > 0.95, `pixel AUROC ${metrics.pixel_auroc}`);
  assert.ok(metrics.aupro > 0.9, `AUPRO ${metrics.aupro}`);
  assert.ok(existsSync(join(run, 'test', 'report.html')));
  assert.match(r.out, /npx dadfc predict/);
});

test('dadfc demo --pipeline with a missing file is one clear error', () => {
  const r = dadfc('demo', '-o', tempDir(), '--pipeline', 'pipelines/nope.dadf');
  assert.equal(r.code, 1);
  assert.match(r.err, /no such pipeline file/);
  assert.doesNotMatch(r.err, /\n\s+at .*:\d+:\d+/, 'no stack trace');
});
