// Good images alone: the three good-only layouts are found, training works, `test` says what it
// needs, and `run` trains then points at predict instead of failing.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findDataset, loadDataset } from '../../runtime/data/index.ts';
import { generateSyntheticDataset } from '../../runtime/synth/index.ts';
import { rgb, tempDir } from './make-fixtures.ts';
import { cliRunner } from '../cli/helpers.ts';

const dadfc = cliRunner({ DADF_BACKEND: 'cpu' });

test('good-only layouts: train/good/, good/, and a plain folder of images', async () => {
  for (const sub of ['train/good', 'good', '.']) {
    const root = tempDir();
    for (const n of ['a', 'b', 'c']) await rgb(join(root, sub, `${n}.png`));
    const found = findDataset(root);
    assert.equal(found.layout, 'good-only', sub);
    assert.equal(found.train.length, 3, sub);
    assert.deepEqual(found.test, [], sub);
    const loaded = await loadDataset(root);
    assert.equal(loaded.train.length, 3);
    assert.equal(loaded.test.length, 0);
  }
});

test('a folder with neither images nor a known layout is still refused', async () => {
  const root = tempDir();
  await rgb(join(root, 'somewhere/deeper/a.png'));
  assert.throws(() => findDataset(root), /matches no known data set layout/);
});

let goodOnly = '';
let run = '';
before(async () => {
  // A synthetic set's good training images, copied alone into a folder with no test/.
  const synth = join(tempDir(), 'synth');
  await generateSyntheticDataset({ dir: synth, seed: 3, category: 'carpet', size: 64, trainCount: 8, testGoodCount: 1, testPerDefect: 1 });
  goodOnly = join(synth, 'train');
  run = join(tempDir(), 'run');
});

test('dadfc run on good images only trains and points at predict; test explains what it needs', () => {
  const r = dadfc(
    'run',
    'pipelines/tiny.dadf',
    '--data',
    goodOnly,
    '-o',
    run,
    '--no-cache',
    '--quiet',
    '--set',
    'train.stages.reconstruct.epochs=1',
    '--set',
    'train.stages.flow.epochs=1',
  );
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /no test\/ folder, so no metrics/);
  assert.match(r.out, /dadfc predict/);
  assert.equal(JSON.parse(readFileSync(join(run, 'run.json'), 'utf8')).status, 'trained');
  assert.ok(!existsSync(join(run, 'test')), 'no test folder written');

  const tested = dadfc('test', run, '--no-cache');
  assert.equal(tested.code, 1);
  assert.match(tested.err, /no test images, so there is nothing to measure/);
  assert.doesNotMatch(tested.err, /\n\s+at .*:\d+:\d+/, 'no stack trace');
});
