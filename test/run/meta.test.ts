// run.json is read through its schema: a run written by training reads back; a hand-edited or
// truncated one is refused with the first field that is wrong, not a crash later.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isUserError } from '../../common/errors.ts';
import { RunDir, type RunMeta } from '../../runtime/run/rundir.ts';

const dir = mkdtempSync(join(tmpdir(), 'dadf-meta-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const meta: RunMeta = {
  format: 'dadf-run',
  version: 1,
  name: 'tiny',
  created: '2026-01-01T00:00:00.000Z',
  updated: '2026-01-01T00:00:00.000Z',
  backbone: { id: 'mobilenet_v1-0.25-random-seed0', label: 'MobileNetV1 α0.25 (random)', pretrained: false, arch: 'mobilenet_v1', alpha: 0.25 },
  data: { root: '/data', layout: 'mvtec', fingerprint: 'abc', train: 8, validation: 2, validationIds: ['good/000', 'good/001'] },
  backend: 'cpu',
  seed: 0,
  status: 'trained',
  progress: { stage: 'done', epochsDone: 0 },
  history: [{ stage: 'reconstruct', epoch: 1, loss: 0.5, valLoss: null, seconds: 1.5, imagesPerSec: 5 }],
  timings: { reconstruct: 1.5 },
  calibrations: { 'flow|mean': [{ scale: 1, mean: -0.5, std: 0.1 }] },
};

test('run.json written by a run reads back as it was', () => {
  const run = new RunDir(join(dir, 'ok'));
  run.create();
  run.writeMeta(meta);
  const back = run.readMeta();
  assert.deepEqual({ ...back, updated: meta.updated }, meta);
});

test('a run.json with a wrong or missing field is refused, naming the field', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['no-progress', { ...meta, progress: undefined }, /\/progress/],
    ['bad-stage', { ...meta, progress: { stage: 'polish', epochsDone: 0 } }, /\/progress\/stage/],
    ['history-loss', { ...meta, history: [{ ...meta.history[0], loss: 'low' }] }, /\/history\/0\/loss/],
  ];
  for (const [name, value, field] of cases) {
    const run = new RunDir(join(dir, name));
    run.create();
    writeFileSync(run.file('meta'), JSON.stringify(value));
    assert.throws(
      () => run.readMeta(),
      (e: unknown) => isUserError(e) && /run\.json is corrupt/.test(e.message) && field.test(e.message) && e.where === run.file('meta'),
      name,
    );
  }
  const truncated = new RunDir(join(dir, 'truncated'));
  truncated.create();
  writeFileSync(truncated.file('meta'), JSON.stringify(meta).slice(0, 40));
  assert.throws(() => truncated.readMeta(), /not JSON/);
});
