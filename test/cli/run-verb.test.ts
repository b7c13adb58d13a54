// `dadfc run` end to end with training overrides, then `dadfc test --set score.*` on the same
// run: the training --set must not leak into the test, and rescoring writes its own folder.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSyntheticDataset } from '../../runtime/synth/index.ts';
import { tempDir } from '../compiler/helpers.ts';
import { cliRunner } from './helpers.ts';

const dadfc = cliRunner({ DADF_BACKEND: 'cpu' });

let data = '';
let run = '';

before(async () => {
  data = join(tempDir(), 'synth');
  await generateSyntheticDataset({ dir: data, seed: 2, category: 'bottle', size: 64, trainCount: 8, testGoodCount: 2, testPerDefect: 1 });
  run = join(tempDir(), 'run');
});

test('dadfc run with training overrides trains, then tests the run as trained', () => {
  const r = dadfc(
    'run',
    'pipelines/tiny.dadf',
    '--data',
    data,
    '-o',
    run,
    '--no-cache',
    '--quiet',
    '--set',
    'train.seed=1',
    '--set',
    'train.stages.reconstruct.epochs=1',
    '--set',
    'train.stages.flow.epochs=1',
  );
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /overall/);
  assert.equal(JSON.parse(readFileSync(join(run, 'run.json'), 'utf8')).seed, 1);
  assert.ok(existsSync(join(run, 'test', 'metrics.json')));
});

test('dadfc test --set score.* rescores into its own folder; other keys are refused', () => {
  const rescored = dadfc('test', run, '--set', 'score.scales=[3]', '--no-cache', '--quiet');
  assert.equal(rescored.code, 0, rescored.err);
  assert.ok(existsSync(join(run, 'test-scales-3', 'metrics.json')), 'RUN/test-scales-3 written');
  const refused = dadfc('test', run, '--set', 'flow.steps=3', '--no-cache');
  assert.equal(refused.code, 2);
  assert.match(refused.err, /only score\.\* keys can change after training/);
  assert.doesNotMatch(refused.err, /\n\s+at .*:\d+:\d+/, 'no stack trace');
});
