// Every kind of bad input gives one clear UserError that says what was expected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import sharp from 'sharp';
import { encode as encodeBmp } from 'bmp-ts';
import { join } from 'node:path';
import { UserError } from '../../common/errors.ts';
import { imageSize, loadDataset, readImageRgb, readMask } from '../../runtime/data/index.ts';
import { makeLoco, makeMvtec, mask, rgb, tempDir, writeFile, writePng } from './make-fixtures.ts';

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

test('skipBad also skips images that fail only at decode: a truncated PNG, a corrupt JPEG', async () => {
  const dir = tempDir();
  await makeMvtec(dir, 64);
  const png = readFileSync(join(dir, 'train/good/001.png'));
  writeFileSync(join(dir, 'train/good/001.png'), png.subarray(0, Math.floor(png.length * 0.6)));
  const jpeg = await sharp(readFileSync(join(dir, 'train/good/002.png')))
    .jpeg()
    .toBuffer();
  // The header and the start of the entropy-coded data stay; the rest is garbage.
  const corrupt = Buffer.concat([jpeg.subarray(0, Math.floor(jpeg.length / 2)), Buffer.alloc(jpeg.length, 0x5a)]);
  writeFileSync(join(dir, 'train/good/002.jpg'), corrupt);
  rmSync(join(dir, 'train/good/002.png'));
  // Their headers read fine: without skipBad the dataset loads, and the decode fails later.
  assert.equal((await loadDataset(dir)).train.length, 3);
  const ds = await loadDataset(dir, { skipBad: true });
  assert.deepEqual(
    ds.train.map((s) => s.id),
    ['good/000'],
  );
  assert.deepEqual(ds.skipped.map((s) => s.path.split('/').pop()).sort(), ['001.png', '002.jpg']);
  for (const s of ds.skipped) assert.match(s.reason, /cannot read image/);
});

test('a folder of symbolic links to image files is a folder of images', async () => {
  const source = tempDir();
  await makeMvtec(source);
  const subset = tempDir();
  for (const split of ['train/good', 'test/good', 'test/crack', 'ground_truth/crack']) {
    mkdirSync(join(subset, split), { recursive: true });
    for (const name of readdirSync(join(source, split))) symlinkSync(join(source, split, name), join(subset, split, name));
  }
  const ds = await loadDataset(subset);
  assert.equal(ds.train.length, 3);
  assert.equal(ds.test.length, 4);
  assert.equal(ds.test.filter((s) => s.maskPaths.length === 1).length, 2);
});

test('a BMP is read like a PNG of the same pixels; a BMP header claiming a huge size is refused', async () => {
  const dir = tempDir();
  const [width, height] = [5, 3];
  const rgba = Buffer.alloc(width * height * 4);
  // bmp-ts takes ABGR by default.
  for (let i = 0; i < width * height; i++) rgba.set([255, (i * 40) % 256, (i * 17) % 256, (i * 5) % 256], i * 4);
  const bmp = encodeBmp({ width, height, data: rgba, bitPP: 24 }).data;
  writeFileSync(join(dir, 'a.bmp'), bmp);
  const pixels = await readImageRgb(join(dir, 'a.bmp'));
  assert.equal(pixels.length, width * height * 3);
  for (let i = 0; i < width * height; i++) assert.deepEqual([...pixels.subarray(i * 3, i * 3 + 3)], [(i * 5) % 256, (i * 17) % 256, (i * 40) % 256]);
  assert.deepEqual(await imageSize(join(dir, 'a.bmp')), { width, height });
  const huge = Buffer.from(bmp);
  huge.writeInt32LE(100_000, 18);
  huge.writeInt32LE(100_000, 22);
  writeFileSync(join(dir, 'huge.bmp'), huge);
  await userError(() => readImageRgb(join(dir, 'huge.bmp')), /cannot read image: BMP of 100000×100000 pixels is over the limit/, /huge\.bmp$/);
});

test('a mask whose shape differs from its image; one at another scale is read at the image size', async () => {
  const dir = tempDir();
  await makeMvtec(dir);
  await mask(join(dir, 'ground_truth/crack/001_mask.png'), 8, 1, 1, 2);
  const crack = (await loadDataset(dir)).test.find((s) => s.id === 'crack/001')!;
  const scaled = await readMask(crack);
  assert.equal(scaled.length, 16 * 16);
  assert.equal(
    scaled.reduce((n, v) => n + v, 0),
    16,
  );
  await writePng(join(dir, 'ground_truth/crack/001_mask.png'), 8, 16, 1, () => 0);
  await userError(() => loadDataset(dir), /mask is 8x16 but its image is 16x16, another shape/, /001_mask\.png$/);
});

test('two test images with one name and two extensions are refused: their maps would overwrite each other', async () => {
  const dir = tempDir();
  await makeMvtec(dir);
  await rgb(join(dir, 'test/good/001.jpg'));
  const error = await userError(() => loadDataset(dir), /two test\/good images share the name 001 \(001\.jpg, 001\.png\)/, /test\/good$/);
  assert.match(error.hint ?? '', /rename or remove one/);
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
