// dadfc bench over a root of two categories with --jobs 2: two pinned processes, a table with a
// row per category and their mean, computed from the runs' own metrics; a second call keeps
// the finished runs and writes the same tables.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../compiler/helpers.ts';
import { csvLines, dadfc, SHORT, twoCategories } from './helpers.ts';

let root = '';
before(async () => {
  root = join(tempDir(), 'root');
  await twoCategories(root);
});

test('bench --jobs 2 runs each category in its own process and writes the tables; a second call keeps the runs', { timeout: 300_000 }, async () => {
  const out = join(tempDir(), 'bench');
  const args = ['bench', 'pipelines/tiny.dadf', '--data', root, '--jobs', '2', '-o', out, '--backend', 'wasm', '--no-cache', ...SHORT(1, 1)];
  const first = dadfc(args);
  assert.equal(await first.exited, 0, first.err());
  assert.match(first.err(), /2 processes, (pinned with taskset|not pinned)/);
  assert.match(first.err(), /started tiny · bottle · seed 0 on process #\d/);
  assert.match(first.out(), /\| bottle \|.*\n\| noise \|.*\n\| \*\*mean\*\* \|/);

  const rows = csvLines(readFileSync(join(out, 'results.csv'), 'utf8'));
  assert.deepEqual(
    rows.map((r) => r.split(',')[1]),
    ['category', 'bottle', 'noise', 'mean'],
  );
  const head = rows[0].split(',');
  const col = (row: string, name: string) => Number(row.split(',')[head.indexOf(name)]);
  const measured = ['bottle', 'noise'].map((c) => JSON.parse(readFileSync(join(out, 'tiny', c, 'seed-0', 'test', 'metrics.json'), 'utf8')));
  // The table holds what each run's own test measured, and their mean.
  const runImage: number[] = measured.map((m) => m.overall.image_auroc);
  assert.ok(
    runImage.every((v) => typeof v === 'number'),
    JSON.stringify(measured[0]).slice(0, 200),
  );
  assert.ok(Math.abs(col(rows[1], 'image_auroc') - runImage[0]) < 1e-9);
  assert.ok(Math.abs(col(rows[2], 'image_auroc') - runImage[1]) < 1e-9);
  assert.ok(Math.abs(col(rows[3], 'image_auroc') - (runImage[0] + runImage[1]) / 2) < 1e-9);
  assert.ok(col(rows[1], 'train_seconds') > 0 && col(rows[1], 'ms_per_image') > 0);
  assert.equal(csvLines(readFileSync(join(out, 'runs.csv'), 'utf8')).length, 3);
  const html = readFileSync(join(out, 'results.html'), 'utf8');
  assert.match(html, /<td>bottle<\/td>/);
  assert.match(html, /href="tiny\/noise\/seed-0\/test\/report.html"/);

  const before = readFileSync(join(out, 'results.csv'), 'utf8');
  const second = dadfc(args);
  assert.equal(await second.exited, 0, second.err());
  assert.equal(second.err().match(/already finished, kept/g)?.length, 2);
  assert.doesNotMatch(second.err(), /started /);
  assert.equal(readFileSync(join(out, 'results.csv'), 'utf8'), before);
});
