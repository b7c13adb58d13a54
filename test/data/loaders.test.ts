// Loaders on the shared real data (skipped with a message where absent) and on tiny temp sets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDataset, readImageRgb, readMask, readMaskChannels, splitValidation, summarize, type Sample } from '../../runtime/data/index.ts';
import { makeLoco, makeMvtec, tempDir, writePng } from './make-fixtures.ts';

const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const shared = process.env.DADF_SHARED ?? resolve(repoRoot, '../shared');
const hazelnut = join(shared, 'data/hazelnut_toy');
const bottle = join(shared, 'data/mvtec_ad/bottle');
const skipHazelnut = existsSync(hazelnut) ? false : `shared data absent: ${hazelnut} (set DADF_SHARED)`;
const skipBottle = existsSync(bottle) ? false : `shared data absent: ${bottle} (set DADF_SHARED)`;

const count = (samples: Sample[], defect: string) => samples.filter((s) => s.defect === defect).length;
const ones = (m: Uint8Array) => m.reduce((n, v) => n + v, 0);

test('hazelnut_toy loads as a plain layout with NN.png masks', { skip: skipHazelnut }, async () => {
  const ds = await loadDataset(hazelnut);
  assert.equal(ds.layout, 'plain');
  assert.equal(ds.train.length, 28);
  assert.equal(count(ds.test, 'good'), 6);
  assert.equal(count(ds.test, 'colour'), 17);
  assert.deepEqual(ds.defectTypes, ['colour']);
  const colour = ds.test.find((s) => s.id === 'colour/00')!;
  assert.equal(colour.label, 1);
  assert.match(colour.maskPaths[0], /ground_truth[\\/]colour[\\/]00\.png$/);
  assert.equal(colour.width, 512);
  const mask = await readMask(colour);
  assert.equal(mask.length, 512 * 512);
  assert.ok(mask.every((v) => v === 0 || v === 1));
  assert.ok(ones(mask) > 0);
  const small = await readMask(colour, 64);
  assert.equal(small.length, 64 * 64);
  // Nearest resize keeps roughly the defect's area fraction.
  assert.ok(Math.abs(ones(small) / 4096 - ones(mask) / 262144) < 0.01);
  const image = await readImageRgb(colour.path, 32);
  assert.equal(image.length, 32 * 32 * 3);
  assert.ok(image.every((v) => v >= 0 && v <= 255));
  const table = summarize(ds);
  assert.match(table, /test\s+colour\s+17\s+17/);
  assert.match(table, /train\s+good\s+28\s+0/);
});

test('MVTec AD bottle: layout, counts and a few real files', { skip: skipBottle }, async () => {
  const ds = await loadDataset(bottle);
  assert.equal(ds.layout, 'mvtec');
  assert.equal(ds.train.length, 209);
  assert.deepEqual(ds.defectTypes, ['broken_large', 'broken_small', 'contamination']);
  assert.deepEqual(
    ['good', 'broken_large', 'broken_small', 'contamination'].map((d) => count(ds.test, d)),
    [20, 20, 22, 21],
  );
  assert.equal(ds.validation.length, 0);
  const sample = ds.test.find((s) => s.id === 'broken_large/000')!;
  assert.match(sample.maskPaths[0], /broken_large[\\/]000_mask\.png$/);
  const mask = await readMask(sample, 256);
  assert.ok(ones(mask) > 100);
  const good = ds.test.find((s) => s.id === 'good/000')!;
  assert.equal(ones(await readMask(good)), 0);
  const image = await readImageRgb(sample.path, 64);
  assert.equal(image.length, 64 * 64 * 3);
});

test('grey images become 3 equal channels; resizing gives size x size', async () => {
  const dir = tempDir();
  await writePng(join(dir, 'grey.png'), 8, 6, 1, (x, y) => x * 30 + y);
  const full = await readImageRgb(join(dir, 'grey.png'));
  assert.equal(full.length, 8 * 6 * 3);
  for (let i = 0; i < 8 * 6; i++) {
    assert.equal(full[3 * i], full[3 * i + 1]);
    assert.equal(full[3 * i], full[3 * i + 2]);
  }
  assert.equal(full[3 * (2 * 8 + 5)], 5 * 30 + 2);
  const small = await readImageRgb(join(dir, 'grey.png'), 4, 'nearest');
  assert.equal(small.length, 4 * 4 * 3);
});

test('a temp MVTec set: ids, labels, masks binarised at > 0', async () => {
  const dir = tempDir();
  await makeMvtec(dir);
  const ds = await loadDataset(dir);
  assert.equal(ds.layout, 'mvtec');
  assert.deepEqual(
    ds.test.map((s) => s.id),
    ['crack/000', 'crack/001', 'good/000', 'good/001'],
  );
  assert.deepEqual(
    ds.test.map((s) => s.label),
    [1, 1, 0, 0],
  );
  assert.equal(ones(await readMask(ds.test[0])), 16);
});

test('a temp MVTec LOCO set: validation split, several channels per image, configs by pixel value', async () => {
  const dir = tempDir();
  await makeLoco(dir);
  const ds = await loadDataset(dir);
  assert.equal(ds.layout, 'loco');
  assert.equal(ds.validation.length, 1);
  assert.equal(ds.validation[0].split, 'validation');
  assert.deepEqual(ds.defectTypes, ['logical_anomalies', 'structural_anomalies']);
  assert.equal(ds.defectsConfig?.length, 2);
  const logical = ds.test.find((s) => s.id === 'logical_anomalies/000')!;
  assert.equal(logical.maskPaths.length, 2);
  const channels = await readMaskChannels(logical, ds.defectsConfig!);
  assert.deepEqual(
    channels.map((c) => c.config.defect_name),
    ['missing_part', 'scratch'],
  );
  assert.deepEqual(
    channels.map((c) => ones(c.mask)),
    [16, 16],
  );
  assert.equal(ones(await readMask(logical)), 32); // union of both channels
});

test('splitValidation: seeded, deterministic, disjoint, from train only', async () => {
  const train: Sample[] = Array.from({ length: 20 }, (_, i) => ({
    path: `/d/train/good/${String(i).padStart(3, '0')}.png`,
    split: 'train',
    defect: 'good',
    label: 0,
    maskPaths: [],
    id: `good/${i}`,
    width: 1,
    height: 1,
  }));
  const a = splitValidation(train, 0.2, 42);
  const b = splitValidation([...train].reverse(), 0.2, 42);
  assert.deepEqual(a, b);
  assert.equal(a.validation.length, 4);
  assert.equal(a.train.length, 16);
  assert.ok(a.validation.every((s) => s.split === 'validation'));
  const paths = new Set([...a.train, ...a.validation].map((s) => s.path));
  assert.equal(paths.size, 20);
  const c = splitValidation(train, 0.2, 43);
  assert.notDeepEqual(
    a.validation.map((s) => s.path),
    c.validation.map((s) => s.path),
  );
  assert.equal(splitValidation(train.slice(0, 3), 0.1, 1).validation.length, 1);
  assert.equal(splitValidation(train, 0, 1).validation.length, 0);
  assert.throws(() => splitValidation(train, 1, 1), RangeError);
});
