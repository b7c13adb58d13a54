// `dadfc run` of the fitted-head pipelines on a data set of kinds the project was not built on:
// greyscale (as MVTec grid or screw) in 16-bit PNG, grey + alpha TIFF and JPEG files, upper-case extensions, spaces in names,
// non-square images, masks at half scale and named like their image, a defect type without
// masks, all under a folder with a space given as a relative path with a trailing slash; the
// exported ONNX graph scores the same files the same. And a set too small for a Gaussian:
// refused before anything is written.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { generateSyntheticDataset } from '../../runtime/synth/index.ts';
import { cliRunner } from '../cli/helpers.ts';
import { repoRoot } from '../compiler/helpers.ts';
import { makeMvtec, tempDir, writePng } from './make-fixtures.ts';

const dadfc = cliRunner({ DADF_BACKEND: 'cpu' });
let data = '';

async function convert(from: string, to: string, change: (image: Sharp) => Sharp): Promise<void> {
  mkdirSync(dirname(to), { recursive: true });
  await change(sharp(from)).toFile(to);
}

/** Image id → raw score, from RUN/test/scores.csv. */
function scoresOf(run: string): Map<string, number> {
  const [head, ...rows] = readFileSync(join(run, 'test', 'scores.csv'), 'utf8')
    .trim()
    .split('\n');
  const columns = head.split(',');
  return new Map(rows.map((row) => row.split(',')).map((cells) => [cells[columns.indexOf('id')], Number(cells[columns.indexOf('score')])]));
}

before(async () => {
  const synth = join(tempDir(), 'synth');
  await generateSyntheticDataset({
    dir: synth,
    seed: 5,
    category: 'carpet',
    size: 64,
    trainCount: 12,
    testGoodCount: 3,
    testPerDefect: 3,
    defects: ['hole', 'spot'],
  });
  data = join(tempDir(), 'odd data');
  // Every image 80×64, as the test images: a detector compares like with like.
  const wide = (s: Sharp) => s.greyscale().toColourspace('b-w').resize(80, 64, { fit: 'fill' });
  const kinds: Array<[string, (image: Sharp) => Sharp]> = [
    ['.PNG', (s) => wide(s).toColourspace('grey16')],
    ['.tif', (s) => wide(s).ensureAlpha(0.5)],
    ['.jpg', (s) => wide(s).jpeg({ quality: 95 })],
  ];
  const train = readdirSync(join(synth, 'train/good')).sort();
  for (const [i, name] of train.entries()) {
    const [ext, change] = kinds[i % kinds.length];
    await convert(join(synth, 'train/good', name), join(data, 'train/good', `good ${name.replace('.png', ext)}`), change);
  }
  for (const name of readdirSync(join(synth, 'test/good')))
    await convert(join(synth, 'test/good', name), join(data, 'test/good', name.replace('.png', '.JPG')), wide);
  for (const name of readdirSync(join(synth, 'test/hole'))) {
    await convert(join(synth, 'test/hole', name), join(data, 'test/hole', name.replace('.png', '.tiff')), wide);
    const mask = join(synth, 'ground_truth/hole', name.replace('.png', '_mask.png'));
    await convert(mask, join(data, 'ground_truth/hole', name), (s) => s.resize(40, 32, { fit: 'fill', kernel: 'nearest' }));
  }
  // spot: labelled per image only, no ground_truth/spot/.
  for (const name of readdirSync(join(synth, 'test/spot'))) await convert(join(synth, 'test/spot', name), join(data, 'test/spot', name), wide);
});

for (const pipeline of ['padim-025', 'patchcore-025']) {
  test(`dadfc run ${pipeline} on odd data trains, tests, and says which metrics leave out what`, () => {
    const run = join(tempDir(), 'run');
    const r = dadfc('run', `pipelines/${pipeline}.dadf`, '--data', `${relative(repoRoot, data)}/`, '-o', run, '--no-cache');
    assert.equal(r.code, 0, r.err);
    const overall = /^overall\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)/m.exec(r.out);
    assert.ok(overall, r.out);
    assert.equal(Number(overall[1]), 9, 'good, hole and spot test images');
    assert.match(r.out, /^spot\s+6\s+[\d.]+\s+–\s+–/m);
    assert.match(r.out, /note: pixel metrics leave out spot: no masks/);
    const meta = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8'));
    assert.equal(meta.status, 'trained');
    assert.equal(meta.data.train + meta.data.validation, 12);
    const metrics = JSON.parse(readFileSync(join(run, 'test', 'metrics.json'), 'utf8'));
    assert.equal(metrics.perType.spot.pixel_auroc, undefined);
    assert.ok(metrics.perType.spot.image_auroc >= 0);
    assert.ok(metrics.overall.pixel_auroc > 0.5, `pixel AUROC ${metrics.overall.pixel_auroc} over good + hole is better than chance`);
    assert.equal(metrics.overall.pixel_auroc, metrics.perType.hole.pixel_auroc, 'overall pixel metrics are over good + hole only');

    // The exported graph, run by ONNX Runtime on the same odd files, gives the same scores and
    // metrics (float32 sums in another order: measured up to 6.4e-6 of the score range; a file
    // decoded differently would be far off).
    const tfjsScores = scoresOf(run);
    const exported = dadfc('export', run, '--format', 'onnx');
    assert.equal(exported.code, 0, exported.err);
    const onnx = dadfc('test', run, '--engine', 'onnx', '--no-cache');
    assert.equal(onnx.code, 0, onnx.err);
    const onnxScores = scoresOf(run);
    assert.deepEqual([...onnxScores.keys()], [...tfjsScores.keys()]);
    const range = Math.max(...tfjsScores.values()) - Math.min(...tfjsScores.values());
    for (const [id, score] of tfjsScores) assert.ok(Math.abs(onnxScores.get(id)! - score) <= 1e-3 * range, `${id}: tfjs ${score}, onnx ${onnxScores.get(id)}`);
    const onnxMetrics = JSON.parse(readFileSync(join(run, 'test', 'metrics.json'), 'utf8'));
    for (const [key, value] of Object.entries(metrics.overall as Record<string, number>)) {
      assert.ok(Math.abs(onnxMetrics.overall[key] - value) < 1e-3, `${key}: tfjs ${value}, onnx ${onnxMetrics.overall[key]}`);
    }
  });
}

test('a single good image is too few for the Gaussian: one message with the counts, no run written', async () => {
  const one = join(tempDir(), 'one');
  const first = readdirSync(join(data, 'train/good')).sort()[0];
  await convert(join(data, 'train/good', first), join(one, 'only.png'), (s) => s);
  const run = join(tempDir(), 'run');
  const r = dadfc('run', 'pipelines/padim-025.dadf', '--data', one, '-o', run, '--no-cache');
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, /too few training images for the gaussian head.*1 good image: 1 for training, 0 for validation/);
  assert.doesNotMatch(r.err, /\n\s+at .*:\d+:\d+/, 'no stack trace');
  assert.ok(!existsSync(run), 'no run directory');
});

test('a mask that cannot be read: a broken header stops before training; broken data stops the test before it writes anything, and the next run tests the kept training', async () => {
  const root = tempDir();
  await makeMvtec(root, 32);
  // Good images that differ (makeMvtec's are copies of one, on which a Gaussian's maps are flat).
  for (const [k, n] of ['000', '001', '002'].entries()) {
    await writePng(join(root, 'train/good', `${n}.png`), 32, 32, 3, (x, y, c) => (x * 7 + y * 3 + c * 50 + ((x * y * (k + 3)) % 17)) % 256);
  }
  const maskPath = join(root, 'ground_truth/crack/001_mask.png');
  const cut = (bytes: Buffer, length: number) => writeFileSync(maskPath, bytes.subarray(0, length));

  // Half of a 32×32 mask's few bytes: its header is gone, and that is found while loading.
  cut(readFileSync(maskPath), readFileSync(maskPath).length >> 1);
  const early = join(tempDir(), 'early');
  const refused = dadfc('run', 'pipelines/padim-025.dadf', '--data', root, '-o', early, '--no-cache');
  assert.equal(refused.code, 1, refused.err);
  assert.match(refused.err, /001_mask\.png - error: cannot read image/);
  assert.ok(!existsSync(early), 'nothing trained, nothing written');

  // A 256×256 mask (a scaled copy of the 32×32 image's) cut in its pixel data: its header reads.
  await writePng(maskPath, 256, 256, 1, (x, y) => ((x * 13 + y * 7) % 11 < 3 ? 255 : 0));
  const whole = readFileSync(maskPath);
  cut(whole, whole.length >> 1);
  const run = join(tempDir(), 'run');
  const first = dadfc('run', 'pipelines/padim-025.dadf', '--data', root, '-o', run, '--no-cache');
  assert.equal(first.code, 1, first.err);
  assert.match(first.err, /001_mask\.png - error: cannot read image/);
  assert.match(first.err, /The run is trained and kept in .*run: once this is fixed, the same dadfc run/);
  assert.doesNotMatch(first.err, /\n\s+at .*:\d+:\d+/, 'no stack trace');
  assert.equal(JSON.parse(readFileSync(join(run, 'run.json'), 'utf8')).status, 'trained');
  assert.ok(!existsSync(join(run, 'test')), 'no half-written test folder');

  writeFileSync(maskPath, whole);
  const second = dadfc('run', 'pipelines/padim-025.dadf', '--data', root, '-o', run, '--no-cache');
  assert.equal(second.code, 0, second.err);
  assert.match(second.err + second.out, /already trained; testing it/);
  assert.match(second.out, /^overall\s+4\s/m);
});
