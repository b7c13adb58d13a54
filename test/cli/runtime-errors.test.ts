// Mistakes a person makes with data and runs: one clear message, exit 1, no stack trace,
// nothing half-written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSyntheticDataset } from '../../runtime/synth/index.ts';
import { tempDir } from '../compiler/helpers.ts';
import { cliRunner } from './helpers.ts';

const dadfc = cliRunner({ DADF_BACKEND: 'cpu' });

const noStack = (s: string) => assert.doesNotMatch(s, /\n\s+at .*:\d+:\d+/, 'no stack trace');

test('a data folder that matches no layout says what was expected', () => {
  const r = dadfc('train', 'pipelines/tiny.dadf', '--data', tempDir(), '-o', join(tempDir(), 'run'), '--no-cache');
  assert.equal(r.code, 1);
  assert.match(r.err, /matches no known data set layout/);
  assert.match(r.err, /MVTec AD:/);
  noStack(r.err);
});

test('training on a folder with no images', () => {
  const empty = tempDir();
  mkdirSync(join(empty, 'train', 'good'), { recursive: true });
  mkdirSync(join(empty, 'test', 'good'), { recursive: true });
  const run = join(tempDir(), 'run');
  const r = dadfc('train', 'pipelines/tiny.dadf', '--data', empty, '-o', run, '--no-cache');
  assert.equal(r.code, 1);
  assert.match(r.err, /error: /);
  assert.match(r.err, /train\/good - error: folder has no images/);
  noStack(r.err);
  assert.ok(!existsSync(join(run, 'checkpoint.bin')), 'no checkpoint written');
});

test('training with a corrupt image names the file', async () => {
  const data = join(tempDir(), 'synth');
  await generateSyntheticDataset({ dir: data, seed: 1, category: 'noise', size: 64, trainCount: 4, testGoodCount: 1, testPerDefect: 1, defects: ['color'] });
  writeFileSync(join(data, 'train', 'good', '001.png'), 'this is not a png');
  const r = dadfc('train', 'pipelines/tiny.dadf', '--data', data, '-o', join(tempDir(), 'run'), '--no-cache');
  assert.equal(r.code, 1);
  assert.match(r.err, /001\.png/);
  noStack(r.err);
});

test('testing a run directory that does not exist', () => {
  const r = dadfc('test', join(tempDir(), 'no-such-run'));
  assert.equal(r.code, 1);
  assert.match(r.err, /no such run directory/);
  assert.match(r.err, /dadfc train/);
  noStack(r.err);
});
