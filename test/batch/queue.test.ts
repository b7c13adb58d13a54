// The queue end to end, with a real redis-server on a loopback port: `bench --queue` enqueues
// three tiny runs (two categories and one with no images), two `dadfc worker` processes take
// them, and the one training a run is SIGKILLed after its first checkpoint. Every run must
// appear exactly once in the tables; the killed run is taken over by the other worker and
// resumed from its checkpoint (one start, one finish, each epoch once); the user error is
// not retried and its message reaches the table.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { jobId } from '../../cli/batch/job.ts';
import { connectionOf, QUEUE_NAME } from '../../cli/batch/queue.ts';
import { tempDir } from '../compiler/helpers.ts';
import { csvLines, dadfc, SHORT, twoCategories, type Started } from './helpers.ts';
import { redisInstalled, startRedis } from './redis.ts';

const RECONSTRUCT = 4;
const FLOW = 3;
let root = '';
let redis: Awaited<ReturnType<typeof startRedis>> | undefined;
const workers: Started[] = [];

before(async () => {
  if (!redisInstalled()) return;
  root = join(tempDir(), 'root');
  await twoCategories(root);
  mkdirSync(join(root, 'broken', 'train', 'good'), { recursive: true });
  mkdirSync(join(root, 'broken', 'test', 'good'), { recursive: true });
  redis = await startRedis();
});

after(async () => {
  for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
  await Promise.all(workers.map((w) => w.exited));
  await redis?.stop();
});

const runJson = (dir: string) => {
  try {
    return JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
  } catch {
    return undefined;
  }
};

test('two workers, one killed mid-training: every run finishes exactly once, resumed from its checkpoint', { timeout: 300_000 }, async (t) => {
  if (!redis) return t.skip('redis-server is not installed (apt-get install redis-server; .ci/run installs it)');
  const out = join(tempDir(), 'bench');
  const runtime = ['--backend', 'wasm', '--no-cache'];
  for (let i = 0; i < 2; i++) workers.push(dadfc(['worker', '--queue', redis.url, '--lock-seconds', '2', ...runtime]));
  const bench = dadfc(['bench', 'pipelines/tiny.dadf', '--data', root, '--queue', redis.url, '-o', out, ...runtime, ...SHORT(RECONSTRUCT, FLOW)]);

  // Kill the worker that is training a run once that run has checkpointed an epoch.
  let killed: { worker: number; run: string } | undefined;
  while (!killed && bench.child.exitCode === null) {
    for (let w = 0; w < workers.length && !killed; w++) {
      for (const [, run] of workers[w].err().matchAll(/started .* → (\S+) \(attempt/g)) {
        const meta = runJson(run);
        if (meta?.status === 'training' && meta.history.length >= 1) {
          workers[w].child.kill('SIGKILL');
          killed = { worker: w, run };
          break;
        }
      }
    }
    await sleep(50);
  }
  assert.ok(killed, `no worker was caught mid-training:\n${workers.map((w) => w.err()).join('\n---\n')}`);
  const code = await bench.exited;
  const logs = workers.map((w) => w.err());
  const survivor = logs[1 - killed.worker];
  assert.equal(code, 1, `the broken category fails the bench:\n${bench.err()}`);

  // Every run exactly once in the tables: two finished, one failed with its message.
  const runs = csvLines(readFileSync(join(out, 'runs.csv'), 'utf8')).slice(1);
  assert.equal(runs.length, 3, runs.join('\n'));
  const byCategory = Object.fromEntries(runs.map((r) => [r.split(',')[1], r]));
  assert.match(byCategory.bottle, /,ok,/);
  assert.match(byCategory.noise, /,ok,/);
  assert.match(byCategory.broken, /,failed,.*folder has no images/);
  assert.match(readFileSync(join(out, 'results.md'), 'utf8'), /\| broken \|.*0\/1 ok; failed: seed 0: .*folder has no images/);

  // The user error ran once, on one worker.
  assert.equal(logs.join('\n').match(/started tiny · broken/g)?.length, 1, logs.join('\n---\n'));

  // The killed run went to the other worker, which resumed it: one start, one finish, each epoch once.
  assert.match(survivor, new RegExp(`started .* → ${killed.run.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} `));
  const events = readFileSync(join(killed.run, 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l).event);
  assert.equal(events.filter((e) => e === 'start').length, 1, events.join(','));
  assert.equal(events.filter((e) => e === 'trained').length, 1, events.join(','));
  const meta = runJson(killed.run);
  assert.equal(meta.status, 'trained');
  assert.deepEqual(
    meta.history.map((h: { stage: string; epoch: number }) => `${h.stage}${h.epoch}`),
    [...Array.from({ length: RECONSTRUCT }, (_, i) => `reconstruct${i + 1}`), ...Array.from({ length: FLOW }, (_, i) => `flow${i + 1}`)],
  );

  // Nothing half-written: every finished run has its result and its test, every table parses.
  for (const category of ['bottle', 'noise']) {
    const run = join(out, 'tiny', category, 'seed-0');
    assert.equal(typeof JSON.parse(readFileSync(join(run, 'result.json'), 'utf8')).metrics.image_auroc, 'number');
    assert.ok(existsSync(join(run, 'test', 'metrics.json')));
  }
  assert.equal(csvLines(readFileSync(join(out, 'results.csv'), 'utf8')).length, 5, 'header, three categories, mean');
  assert.deepEqual(
    readdirSync(out).filter((f) => f.includes('.tmp')),
    [],
  );

  // What the queue holds for a job: paths, overrides and labels; no environment, no URL.
  const queue = new Queue(QUEUE_NAME, { connection: connectionOf(redis.url) });
  try {
    const stored = await queue.getJob(jobId(killed.run));
    assert.deepEqual(Object.keys(stored!.data), ['job']);
    assert.deepEqual(Object.keys(stored!.data.job).sort(), ['dataDir', 'id', 'labels', 'pipelineFile', 'runDir', 'sets']);
    assert.doesNotMatch(JSON.stringify(stored!.data), /redis:|127\.0\.0\.1|PATH|HOME/);
  } finally {
    await queue.close();
  }

  // The surviving worker stops cleanly on SIGTERM.
  const alive = workers[1 - killed.worker];
  alive.child.kill('SIGTERM');
  assert.equal(await alive.exited, 0, alive.err());
  assert.match(alive.err(), /worker \S+ stopped/);
});
