// A sweep of two tiny runs gives a two-row table; value lists split like a person means them.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { combinations, parseOver, splitValues, sweepCommand } from '../../cli/commands/sweep.ts';
import { generateSyntheticDataset } from '../../runtime/synth/index.ts';
import { pipelinesDir, tempDir } from '../compiler/helpers.ts';

let dataDir = '';
before(async () => {
  dataDir = join(tempDir(), 'synth');
  await generateSyntheticDataset({ dir: dataDir, seed: 3, category: 'noise', size: 64, trainCount: 8, testGoodCount: 3, testPerDefect: 2, defects: ['color'] });
});

test('values split at top-level commas only', () => {
  assert.deepEqual(splitValues('[prior],[prior, self],[prior,memory]'), ['[prior]', '[prior, self]', '[prior,memory]']);
  assert.deepEqual(splitValues('adamw(lr: 1e-3, betas: [0.9, 0.99]),"a,b",3'), ['adamw(lr: 1e-3, betas: [0.9, 0.99])', '"a,b"', '3']);
  assert.deepEqual(combinations(parseOver(['a=1,2', 'b=x,y,z'])).length, 6);
  assert.throws(() => parseOver(['flow.over']), /--over expects KEY=V1,V2/);
});

test('a sweep of two tiny runs writes a two-row results table', async () => {
  const out = join(tempDir(), 'sweep');
  const rows = await sweepCommand(join(pipelinesDir, 'tiny.dadf'), {
    data: dataDir,
    over: ['flow.over=[prior],[prior,self]'],
    set: ['train.stages.reconstruct.epochs=1', 'train.stages.flow.epochs=1'],
    out,
    backend: 'wasm',
    cache: false,
    quiet: true,
  });
  assert.equal(rows.length, 2);
  assert.deepEqual(
    rows.map((r) => r.status),
    ['ok', 'ok'],
  );
  assert.deepEqual(
    rows.map((r) => r.combination['flow.over']),
    ['[prior]', '[prior,self]'],
  );
  for (const r of rows) assert.ok(typeof r.metrics.image_auroc === 'number');
  const csv = readFileSync(join(out, 'results.csv'), 'utf8').trim().split('\n');
  assert.equal(csv.length, 3);
  assert.match(csv[0], /^flow\.over,image_auroc,pixel_auroc,aupro/);
  const md = readFileSync(join(out, 'results.md'), 'utf8').trim().split('\n');
  assert.equal(md.length, 4);
  // The two runs really differ: the flow of [prior, self] sees twice the channels.
  const spec0 = JSON.parse(readFileSync(join(rows[0].run, 'spec.json'), 'utf8'));
  const spec1 = JSON.parse(readFileSync(join(rows[1].run, 'spec.json'), 'utf8'));
  assert.deepEqual([spec0.flow.over, spec1.flow.over], [['prior'], ['prior', 'self']]);
});
