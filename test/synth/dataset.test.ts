import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, readFile, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { generateSyntheticDataset, renderSample, sampleSeed } from '../../runtime/synth/index.ts';
import { UserError } from '../../common/errors.ts';

test('writes the MVTec AD layout with the right counts, sizes and masks', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'dadf-synth-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const result = await generateSyntheticDataset({
    dir,
    seed: 42,
    category: 'nut',
    size: 64,
    trainCount: 4,
    testGoodCount: 2,
    testPerDefect: 3,
    defects: ['scratch', 'missing'],
  });
  assert.deepEqual(result.counts, {
    'train/good': 4,
    'test/good': 2,
    'test/scratch': 3,
    'ground_truth/scratch': 3,
    'test/missing': 3,
    'ground_truth/missing': 3,
  });
  assert.deepEqual((await readdir(dir)).sort(), ['ground_truth', 'synthetic.json', 'test', 'train']);
  assert.deepEqual(await readdir(path.join(dir, 'train', 'good')), ['000.png', '001.png', '002.png', '003.png']);
  assert.deepEqual((await readdir(path.join(dir, 'test'))).sort(), ['good', 'missing', 'scratch']);
  assert.deepEqual(await readdir(path.join(dir, 'ground_truth', 'missing')), ['000_mask.png', '001_mask.png', '002_mask.png']);

  const image = await sharp(path.join(dir, 'test', 'scratch', '001.png'))
    .raw()
    .toBuffer({ resolveWithObject: true });
  assert.equal(image.info.width, 64);
  assert.equal(image.info.height, 64);
  assert.equal(image.info.channels, 3);
  const maskFile = path.join(dir, 'ground_truth', 'scratch', '001_mask.png');
  const maskMeta = await sharp(maskFile).metadata();
  assert.equal(maskMeta.channels, 1);
  assert.equal(maskMeta.depth, 'uchar');
  const mask = await sharp(maskFile).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  assert.equal(mask.info.width, 64);
  assert.ok(mask.data.every((v) => v === 0 || v === 255));

  // The files hold exactly what renderSample gives for the sample's derived seed.
  const expected = renderSample(sampleSeed(42, 'test', 'scratch', 1), 'nut', 'scratch', 64);
  assert.deepEqual(new Uint8Array(image.data), expected.image);
  assert.deepEqual(
    new Uint8Array(mask.data),
    expected.mask.map((v) => v * 255),
  );
  assert.ok(mask.data.some((v) => v === 255));

  const description = JSON.parse(await readFile(path.join(dir, 'synthetic.json'), 'utf8'));
  assert.equal(description.seed, 42);
  assert.equal(description.category, 'nut');
});

test('regenerating the same seed gives identical files; its own folder is replaced', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'dadf-synth-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const options = { dir, seed: 3, category: 'grid', size: 48, trainCount: 2, testGoodCount: 1, testPerDefect: 1, defects: ['hole'] };
  await generateSyntheticDataset(options);
  const first = await readFile(path.join(dir, 'test', 'hole', '000.png'));
  await generateSyntheticDataset({ ...options, defects: ['spot'] });
  assert.deepEqual((await readdir(path.join(dir, 'test'))).sort(), ['good', 'spot']);
  await generateSyntheticDataset(options);
  assert.deepEqual(await readFile(path.join(dir, 'test', 'hole', '000.png')), first);
});

test('refuses to overwrite a data set it did not write, and rejects bad options', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'dadf-synth-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(path.join(dir, 'train', 'good'), { recursive: true });
  await writeFile(path.join(dir, 'train', 'good', 'mine.png'), 'x');
  await assert.rejects(generateSyntheticDataset({ dir, seed: 1, size: 32, trainCount: 1 }), UserError);
  assert.deepEqual(await readdir(path.join(dir, 'train', 'good')), ['mine.png']);
  await assert.rejects(generateSyntheticDataset({ dir: path.join(dir, 'x'), seed: 1, category: 'wood', defects: ['missing'] }), UserError);
  await assert.rejects(generateSyntheticDataset({ dir: path.join(dir, 'y'), seed: 1, trainCount: 0 }), UserError);
});

test('the default demo set (carpet, 256 px) is generated in seconds', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'dadf-synth-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const result = await generateSyntheticDataset({ dir, seed: 0 });
  assert.equal(result.counts['train/good'], 60);
  assert.equal(result.counts['test/good'], 10);
  assert.deepEqual(
    Object.keys(result.counts).filter((k) => k.startsWith('test/') && k !== 'test/good'),
    ['test/scratch', 'test/spot', 'test/crack', 'test/hole', 'test/color'],
  );
});
