// Every kind of bad input gives one clear UserError that says what was expected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../common/errors.ts';
import { loadDataset, readImageRgb } from '../../runtime/data/index.ts';
import { makeLoco, makeMvtec, mask, rgb, tempDir, writeFile } from './make-fixtures.ts';

async function userError(run: () => Promise<unknown>, message: RegExp, where?: RegExp): Promise<UserError> {
  try {
    await run();
  } catch (error) {
    assert.ok(error instanceof UserError, `expected a UserError, got ${String(error)}`);
    assert.match(error.message, message);
    if (where) assert.match(error.where ?? '', where);
    return error;
  }
  assert.fail(`expected a UserError matching ${message}`);
}

test('a corrupt image names the file and stops; with skipBad it is listed and skipped', async () => {
  const dir = tempDir();
  await makeMvtec(dir);
  writeFile(join(dir, 'train/good/003.png'), 'this is not a png');
  const error = await userError(() => loadDataset(dir), /cannot read image/, /003\.png$/);
  assert.match(error.hint ?? '', /--skip-bad/);
  const ds = await loadDataset(dir, { skipBad: true });
  assert.equal(ds.train.length, 3);
  assert.equal(ds.skipped.length, 1);
  assert.match(ds.skipped[0].path, /003\.png$/);
});

test('a truncated image fails at decode with the file named', async () => {
  const dir = tempDir();
  await rgb(join(dir, 'ok.png'), 64);
  const bytes = readFileSync(join(dir, 'ok.png'));
  writeFileSync(join(dir, 'cut.png'), bytes.subarray(0, Math.floor(bytes.length / 2)));
  await userError(() => readImageRgb(join(dir, 'cut.png'), 32), /cannot read image/, /cut\.png$/);
});

test('a mask whose size differs from its image', async () => {
  const dir = tempDir();
  await makeMvtec(dir);
  await mask(join(dir, 'ground_truth/crack/001_mask.png'), 8);
  await userError(() => loadDataset(dir), /mask is 8x8 but its image is 16x16/, /001_mask\.png$/);
});

test('a test image in a defect folder without a mask', async () => {
  const dir = tempDir();
  await makeMvtec(dir);
  await rgb(join(dir, 'test/crack/002.png'));
  const error = await userError(() => loadDataset(dir), /without a mask: crack\/002\.png/);
  assert.match(error.hint ?? '', /NNN_mask\.png/);
});

test('a LOCO anomaly without its ground-truth folder', async () => {
  const dir = tempDir();
  await makeLoco(dir);
  rmSync(join(dir, 'ground_truth/structural_anomalies/000'), { recursive: true });
  await userError(() => loadDataset(dir), /without a mask: structural_anomalies\/000\.png/);
});

test('a LOCO defects_config.json that is malformed', async () => {
  const dir = tempDir();
  await makeLoco(dir);
  writeFile(join(dir, 'defects_config.json'), JSON.stringify([{ defect_name: 'x', pixel_value: 300 }]));
  await userError(() => loadDataset(dir), /defects_config\.json does not list defects/);
  writeFile(join(dir, 'defects_config.json'), '{ not json');
  await userError(() => loadDataset(dir), /not valid JSON/);
});

test('an empty folder', async () => {
  const dir = tempDir();
  await makeMvtec(dir);
  rmSync(join(dir, 'test/good'), { recursive: true });
  mkdirSync(join(dir, 'test/good'));
  await userError(() => loadDataset(dir), /folder has no images \(test\/good\)/, /test[\\/]good$/);
});

test('a folder that matches no layout, and one that does not exist', async () => {
  const dir = tempDir();
  await rgb(join(dir, 'pictures/a.png'));
  const error = await userError(() => loadDataset(dir), /matches no known data set layout \(it holds: pictures\)/);
  assert.match(error.hint ?? '', /MVTec AD:.*\n.*MVTec LOCO/);
  await userError(() => loadDataset(join(dir, 'nope')), /data folder not found/);
});
