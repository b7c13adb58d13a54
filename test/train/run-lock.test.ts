// One process owns a run directory at a time; a killed owner never leaves it stuck; the run
// directory is checked before data and backbone are loaded; Ctrl-C says how to resume.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { isUserError } from '../../common/errors.ts';
import { lockRunDir, LOCK_FILE } from '../../runtime/run/lock.ts';
import { generateSyntheticDataset } from '../../runtime/synth/index.ts';
import { repoRoot, tempDir } from '../compiler/helpers.ts';

let dataDir = '';
const env = { ...process.env, NO_COLOR: '1', DADF_BACKEND: 'wasm' };

before(async () => {
  dataDir = join(tempDir(), 'synth');
  await generateSyntheticDataset({ dir: dataDir, seed: 3, category: 'noise', size: 64, trainCount: 8, testGoodCount: 2, testPerDefect: 2, defects: ['color'] });
});

function startTrain(runDir: string, extra: string[] = []) {
  const child = spawn(
    process.execPath,
    [join(repoRoot, 'bin/dadfc.js'), 'train', 'pipelines/tiny.dadf', '--data', dataDir, '-o', runDir, '--no-cache', '-q', ...extra],
    { cwd: repoRoot, env },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const done = new Promise<{ code: number | null; out: string; err: string }>((resolve) => child.on('close', (code) => resolve({ code, out, err })));
  return { child, done };
}

async function waitFor(condition: () => boolean, what: string, seconds = 240): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const epochsLogged = (runDir: string) =>
  existsSync(join(runDir, 'log.jsonl'))
    ? readFileSync(join(runDir, 'log.jsonl'), 'utf8')
        .split('\n')
        .filter((l) => l.includes('"event":"epoch"')).length
    : 0;

test('a lock held by a live process is refused, naming it; a dead owner is taken over; nested locks and release', () => {
  const dir = join(tempDir(), 'run');
  mkdirSync(dir);
  // The test runner that started this file is alive and is not us.
  writeFileSync(
    join(dir, LOCK_FILE),
    JSON.stringify({ pid: process.ppid, host: hostname(), start: null, what: 'dadfc train', since: '2026-01-01T00:00:00.000Z' }),
  );
  assert.throws(
    () => lockRunDir(dir, 'dadfc test'),
    (e: unknown) => isUserError(e) && new RegExp(`in use by another dadfc process \\(dadfc train, pid ${process.ppid}`).test((e as Error).message),
  );
  // A process that has ended: its pid is free.
  const ended = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  writeFileSync(
    join(dir, LOCK_FILE),
    JSON.stringify({ pid: Number(ended.stdout), host: hostname(), start: null, what: 'dadfc train', since: '2026-01-01T00:00:00.000Z' }),
  );
  const lock = lockRunDir(dir, 'dadfc train');
  assert.equal(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid, process.pid);
  const nested = lockRunDir(dir, 'dadfc test');
  nested.release();
  assert.ok(existsSync(join(dir, LOCK_FILE)), 'the outer lock still holds');
  lock.release();
  assert.ok(!existsSync(join(dir, LOCK_FILE)), 'released');
  // A folder the lock created for a run that never started is not left behind.
  const fresh = join(tempDir(), 'never-started');
  lockRunDir(fresh, 'dadfc train').release();
  assert.ok(!existsSync(fresh));
});

test('two trainings into one run directory at once: one trains, the other is refused; the run is whole', async () => {
  const runDir = join(tempDir(), 'run');
  const [a, b] = await Promise.all([startTrain(runDir).done, startTrain(runDir).done]);
  const codes = [a.code, b.code].sort();
  assert.deepEqual(codes, [0, 1], `exit codes ${a.code}, ${b.code}: ${a.err}${b.err}`);
  const refused = a.code === 1 ? a : b;
  assert.match(refused.err, /in use by another dadfc process \(dadfc train, pid \d+|already holds a run/);
  assert.doesNotMatch(refused.err, /\n\s+at .*:\d+:\d+/);
  const meta = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'));
  assert.equal(meta.status, 'trained');
  assert.ok(!existsSync(join(runDir, LOCK_FILE)), 'the lock is gone');
  assert.deepEqual(
    readdirSync(runDir).filter((f) => f.includes('.tmp')),
    [],
    'no temp files left',
  );
  // The winner's spec and checkpoint belong together: the run tests.
  const tested = spawnSync(process.execPath, [join(repoRoot, 'bin/dadfc.js'), 'test', runDir, '-q'], { cwd: repoRoot, env, encoding: 'utf8' });
  assert.equal(tested.status, 0, tested.stderr);
});

test('the run directory is checked before the data: a run without --resume is refused even with no data', () => {
  const runDir = join(tempDir(), 'run');
  mkdirSync(runDir);
  writeFileSync(join(runDir, 'run.json'), JSON.stringify({ format: 'dadf-run' }));
  const r = spawnSync(
    process.execPath,
    [join(repoRoot, 'bin/dadfc.js'), 'train', 'pipelines/tiny.dadf', '--data', join(tempDir(), 'no-such-data'), '-o', runDir, '--no-cache'],
    { cwd: repoRoot, env, encoding: 'utf8' },
  );
  assert.equal(r.status, 1);
  assert.match(r.stderr, /this run directory already holds a run/);
  assert.doesNotMatch(r.stderr, /no-such-data/);
});

test('SIGKILL leaves no stuck lock: --resume takes the run over; Ctrl-C says how to resume', async () => {
  const runDir = join(tempDir(), 'run');
  const sets = ['--set', 'train.stages.reconstruct.epochs=40'];
  const killed = startTrain(runDir, sets);
  await waitFor(() => epochsLogged(runDir) >= 1, 'a first epoch');
  killed.child.kill('SIGKILL');
  await killed.done;
  assert.ok(existsSync(join(runDir, LOCK_FILE)), 'the killed process left its lock');

  const interrupted = startTrain(runDir, [...sets, '--resume']);
  const before = epochsLogged(runDir);
  await waitFor(() => epochsLogged(runDir) > before, 'an epoch after resuming');
  interrupted.child.kill('SIGINT');
  const r = await interrupted.done;
  assert.equal(r.code, 130, r.err);
  assert.match(r.err, /stopped by Ctrl-C; the run keeps its last finished epoch \(stage reconstruct, \d+ epochs? done\)/);
  assert.match(r.err, /continue it with: dadfc train pipelines\/tiny\.dadf --data .* -o .*run --resume/);
  assert.doesNotMatch(r.err, /\n\s+at .*:\d+:\d+/);
  assert.ok(!existsSync(join(runDir, LOCK_FILE)), 'Ctrl-C releases the lock');
  const meta = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'));
  assert.equal(meta.status, 'training', 'an interrupted run is not marked failed');
  assert.match(readFileSync(join(runDir, 'log.jsonl'), 'utf8'), /"event":"interrupted"/);
});
