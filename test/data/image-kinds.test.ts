// Data the project was not built on: every image kind decodes to the pixels of the same RGB PNG
// (also when resized), and a layout with grey, 16-bit, RGBA, BMP and TIFF files, upper-case
// extensions, spaces, mixed and non-square sizes and masks stored at another scale loads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import sharp from 'sharp';
import { encode as encodeBmp } from 'bmp-ts';
import { UserError } from '../../common/errors.ts';
import { loadDataset, readImageRgb, readMask } from '../../runtime/data/index.ts';
import { rgb, tempDir, writePng } from './make-fixtures.ts';

const W = 24;
const H = 16;
const value = (x: number, y: number, c: number) => (x * 9 + y * 5 + c * 70) % 256;

/** The same W×H picture in every kind; returns the path of each. */
async function writeKinds(dir: string): Promise<Record<string, string>> {
  mkdirSync(dir, { recursive: true });
  const raw = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < 3; c++) raw[(y * W + x) * 3 + c] = value(x, y, c);
  const image = () => sharp(raw, { raw: { width: W, height: H, channels: 3 } });
  const paths: Record<string, string> = {};
  const put = async (kind: string, name: string, write: (path: string) => Promise<unknown>) => {
    paths[kind] = join(dir, name);
    await write(paths[kind]);
  };
  await put('png', 'plain.png', (p) => image().png().toFile(p));
  await put('upper-case', 'UPPER CASE.PNG', (p) => image().png().toFile(p));
  await put('16-bit', 'sixteen.png', (p) => image().toColourspace('rgb16').png().toFile(p));
  await put('tiff', 'tagged.tif', (p) => image().tiff({ compression: 'lzw' }).toFile(p));
  // Alpha 0 on the left half: the colour under it is kept, as PIL's convert('RGB') keeps it.
  const rgba = Buffer.alloc(W * H * 4);
  for (let i = 0; i < W * H; i++) rgba.set([...raw.subarray(i * 3, i * 3 + 3), i % W < W / 2 ? 0 : 255], i * 4);
  await put('rgba', 'alpha.png', (p) =>
    sharp(rgba, { raw: { width: W, height: H, channels: 4 } })
      .png()
      .toFile(p),
  );
  const abgr = Buffer.alloc(W * H * 4);
  for (let i = 0; i < W * H; i++) abgr.set([255, raw[i * 3 + 2], raw[i * 3 + 1], raw[i * 3]], i * 4);
  await put('bmp', 'windows.bmp', async (p) => writeFileSync(p, encodeBmp({ width: W, height: H, data: abgr, bitPP: 24 }).data));
  return paths;
}

function maxDifference(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

test('PNG, upper-case .PNG, 16-bit PNG, TIFF, RGBA with transparent pixels and BMP give the same pixels, stored and resized', async () => {
  const paths = await writeKinds(tempDir());
  for (const size of [undefined, 8, 32]) {
    const reference = await readImageRgb(paths.png, size);
    for (const [kind, path] of Object.entries(paths)) {
      // 16 → 8 bits may round by one; every other kind is exact.
      assert.ok(maxDifference(await readImageRgb(path, size), reference) <= (kind === '16-bit' ? 1 : 0), `${kind} at size ${size ?? 'stored'}`);
    }
  }
  // Before alpha was dropped first, a resized BMP (alpha 0) was black and transparent pixels too.
  const bmp = await readImageRgb(paths.bmp, 8);
  assert.ok(
    bmp.some((v) => v > 0),
    'a resized BMP is not black',
  );
});

test('grey 8-bit and 16-bit PNGs become three equal channels, the same at both depths', async () => {
  const dir = tempDir();
  await writePng(join(dir, 'grey8.png'), W, H, 1, (x, y) => value(x, y, 0));
  await sharp(join(dir, 'grey8.png')).toColourspace('grey16').png().toFile(join(dir, 'grey16.png'));
  assert.equal((await sharp(join(dir, 'grey16.png')).metadata()).depth, 'ushort');
  for (const size of [undefined, 8]) {
    const eight = await readImageRgb(join(dir, 'grey8.png'), size);
    assert.ok(maxDifference(await readImageRgb(join(dir, 'grey16.png'), size), eight) <= 1);
    for (let i = 0; i < eight.length; i += 3) assert.ok(eight[i] === eight[i + 1] && eight[i] === eight[i + 2]);
  }
});

test('a plain layout of many kinds, given as a relative path with a trailing slash, loads with its masks', async () => {
  const root = join(tempDir(), 'parts');
  await writeKinds(join(root, 'train/good'));
  await rgb(join(root, 'test/good/ok 1.png'), 20);
  const sizes: Array<[string, number, number]> = [
    ['scratch one', 40, 30],
    ['scratch two', 24, 24],
  ];
  for (const [name, w, h] of sizes) {
    await writePng(join(root, 'test/scratch', `${name}.PNG`), w, h, 3, (x, y, c) => value(x, y, c));
    // Masks at half the image's scale, named like the image (no _mask suffix).
    await writePng(join(root, 'ground_truth/scratch', `${name}.png`), w / 2, h / 2, 1, (x, y) => (x < 3 && y < 3 ? 255 : 0));
  }
  const ds = await loadDataset(`${relative(process.cwd(), root)}/`);
  assert.equal(ds.root, root);
  assert.equal(ds.layout, 'plain');
  assert.equal(ds.train.length, 6);
  assert.deepEqual(
    ds.test.map((s) => [s.id, s.width, s.height, s.maskPaths.length]),
    [
      ['good/ok 1', 20, 20, 0],
      ['scratch/scratch one', 40, 30, 1],
      ['scratch/scratch two', 24, 24, 1],
    ],
  );
  // The half-scale mask is scaled to the image: its 3×3 corner becomes 6×6.
  const full = await readMask(ds.test[1]);
  assert.equal(full.length, 40 * 30);
  assert.equal(
    full.reduce((n, v) => n + v, 0),
    36,
  );
  assert.equal(full[5 * 40 + 5], 1);
  assert.equal(full[6 * 40 + 6], 0);
  const atInput = await readMask(ds.test[1], 10);
  assert.equal(atInput.length, 100);
  assert.equal(atInput[0], 1);
});

test('a mask of another shape than its image is refused by name, with what to check', async () => {
  const root = tempDir();
  await rgb(join(root, 'train/good/000.png'));
  await rgb(join(root, 'test/good/000.png'));
  await rgb(join(root, 'test/crack/000.png'), 16);
  await writePng(join(root, 'ground_truth/crack/000_mask.png'), 16, 10, 1, () => 255);
  await assert.rejects(
    loadDataset(root),
    (e) =>
      e instanceof UserError &&
      /mask is 16x10 but its image is 16x16, another shape/.test(e.message) &&
      /000_mask\.png$/.test(e.where ?? '') &&
      /same aspect ratio/.test(e.hint ?? ''),
  );
});

test('a JPEG mask is cut half-way, so that compression ringing around the defect is not marked', async () => {
  const root = tempDir();
  await rgb(join(root, 'train/good/000.png'), 32);
  await rgb(join(root, 'test/good/000.png'), 32);
  for (const n of ['000', '001']) await rgb(join(root, 'test/crack', `${n}.png`), 32);
  const square = (x: number, y: number) => (x >= 8 && x < 20 && y >= 10 && y < 22 ? 255 : 0);
  await writePng(join(root, 'ground_truth/crack/000_mask.png'), 32, 32, 1, square);
  await sharp(join(root, 'ground_truth/crack/000_mask.png')).jpeg({ quality: 85 }).toFile(join(root, 'ground_truth/crack/001_mask.jpg'));
  const { data } = await sharp(join(root, 'ground_truth/crack/001_mask.jpg')).raw().toBuffer({ resolveWithObject: true });
  assert.ok(
    data.some((v) => v > 0 && v <= 127),
    'the JPEG rings: values between 0 and half-way',
  );
  const [png, jpeg] = (await loadDataset(root)).test.filter((s) => s.defect === 'crack');
  assert.deepEqual(await readMask(jpeg), await readMask(png));
  assert.equal(
    (await readMask(png)).reduce((n, v) => n + v, 0),
    12 * 12,
  );
});
