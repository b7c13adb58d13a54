// The small decisions of batch runs: how cores are divided, which folders are categories,
// how a bench table averages, which queue URLs are accepted and how they are printed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { parseCpuList, shareCores } from '../../cli/batch/cores.ts';
import { findCategories, parseSeeds } from '../../cli/batch/bench-plan.ts';
import { benchTables, benchMarkdown } from '../../cli/batch/bench-tables.ts';
import { checkQueueUrl, redact } from '../../cli/batch/queue.ts';
import type { JobOutcome } from '../../cli/batch/job.ts';
import { LOCK_FILE, lockRunDir, RunDirInUse, takeOverFromHost } from '../../runtime/run/lock.ts';
import { tempDir } from '../compiler/helpers.ts';

test('cores are divided into contiguous slices, or shared one each when there are more processes than cores', () => {
  assert.deepEqual(parseCpuList('0-3,6,8-9'), [0, 1, 2, 3, 6, 8, 9]);
  assert.deepEqual(shareCores([0, 1, 2, 3, 4, 5, 6, 7], 3), [
    { cpus: [0, 1], threads: 2 },
    { cpus: [2, 3, 4], threads: 3 },
    { cpus: [5, 6, 7], threads: 3 },
  ]);
  assert.deepEqual(shareCores([4, 5], 3), [
    { cpus: [4], threads: 1 },
    { cpus: [5], threads: 1 },
    { cpus: [4], threads: 1 },
  ]);
  assert.deepEqual(shareCores([0, 1], 1), [{ cpus: [0, 1], threads: 2 }]);
});

test('categories are the folders holding train/ or test/; a data set folder is its own single category', () => {
  const root = tempDir();
  for (const dir of ['bottle/train/good', 'cable/test/good', 'notes', 'zipper/train']) mkdirSync(join(root, dir), { recursive: true });
  assert.deepEqual(
    findCategories(root).map((c) => c.name),
    ['bottle', 'cable', 'zipper'],
  );
  assert.deepEqual(
    findCategories(root, 'zipper,bottle').map((c) => c.name),
    ['bottle', 'zipper'],
  );
  assert.deepEqual(
    findCategories(join(root, 'bottle')).map((c) => c.name),
    ['bottle'],
  );
  assert.throws(() => findCategories(root, 'carpet'), /no category 'carpet'.*/);
  assert.throws(() => findCategories(join(root, 'notes')), /no category folders found/);
  assert.deepEqual(parseSeeds('0,1,1,2'), [0, 1, 2]);
  assert.throws(() => parseSeeds('0,x'), /--seeds expects whole numbers/);
});

function outcome(category: string, seed: number, image: number | null, trainSeconds = 10, error?: string): JobOutcome {
  const job = {
    id: `${category}${seed}`,
    pipelineFile: '/p.dadf',
    sets: [],
    dataDir: `/d/${category}`,
    runDir: `/r/${category}/${seed}`,
    labels: { pipeline: 'tiny', category, seed, combination: {} },
  };
  if (error) return { job, status: 'failed', error };
  return { job, status: 'ok', result: { metrics: { image_auroc: image, pixel_auroc: 0.5, aupro: null }, trainSeconds, msPerImage: 2, finished: '' } };
}

test('a bench table averages seeds per category, then categories; failures are counted and quoted', () => {
  const [table] = benchTables([outcome('a', 0, 0.8, 10), outcome('a', 1, 0.6, 20), outcome('b', 0, 1.0), outcome('b', 1, null, 0, 'folder has no images')]);
  assert.equal(table.rows.length, 2);
  const [a, b] = table.rows;
  assert.ok(Math.abs(a.mean.image_auroc! - 0.7) < 1e-12, `mean ${a.mean.image_auroc}`);
  assert.ok(Math.abs(a.sd.image_auroc! - Math.sqrt(0.02)) < 1e-12, `sd ${a.sd.image_auroc}`);
  assert.equal(a.mean.train_seconds, 15);
  assert.equal(a.mean.aupro, undefined, 'a metric no run has stays empty');
  assert.deepEqual([b.ok, b.runs, b.mean.image_auroc], [1, 2, 1.0]);
  assert.deepEqual(b.errors, ['seed 1: folder has no images']);
  assert.ok(Math.abs(table.mean.mean.image_auroc! - 0.85) < 1e-12, `mean over categories ${table.mean.mean.image_auroc}`);
  const md = benchMarkdown([table]);
  assert.match(md, /\| a \| 70\.00 ± 14\.14 \| 50\.00 ± 0\.00 \| – \| 15\.0 ± 7\.1 \|/);
  assert.match(md, /\| b \| 100\.00 .*1\/2 ok; failed: seed 1: folder has no images \|/);
  assert.match(md, /\| \*\*mean\*\* \| 85\.00 \|/);
});

test('only redis URLs are queues, and passwords never reach a message', () => {
  assert.equal(redact('redis://user:s3cret@host:6379/2'), 'redis://user:***@host:6379/2');
  assert.equal(redact('redis://host:6379'), 'redis://host:6379');
  assert.throws(
    () => checkQueueUrl('http://host'),
    (e: Error) => /not a Redis URL/.test(e.message),
  );
  assert.throws(
    () => checkQueueUrl('redis://:hunter2@'),
    (e: Error) => !e.message.includes('hunter2'),
  );
  assert.equal(checkQueueUrl('redis://127.0.0.1:6379'), 'redis://127.0.0.1:6379');
});

test("a run locked on another machine is refused as in use (retried later), and freed once the queue gave up on that machine's worker", () => {
  const dir = tempDir();
  const lockFile = join(dir, LOCK_FILE);
  writeFileSync(lockFile, JSON.stringify({ pid: 1, host: 'gone-machine', start: null, what: 'dadfc batch job', since: '2026-01-01T00:00:00Z' }));
  assert.throws(
    () => lockRunDir(dir, 'test'),
    (e: Error) => e instanceof RunDirInUse && /on gone-machine/.test(e.message),
  );
  assert.equal(takeOverFromHost(dir, hostname()), false, 'this machine is never taken over from by name');
  assert.equal(takeOverFromHost(dir, 'another-machine'), false, 'only the named machine');
  assert.ok(existsSync(lockFile));
  assert.equal(takeOverFromHost(dir, 'gone-machine'), true);
  lockRunDir(dir, 'test').release();
});
