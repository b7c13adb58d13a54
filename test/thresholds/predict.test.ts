// dadfc predict over folders, files and globs: one result per image with raw score, normalised
// score and label by the validation threshold; a raw float32 map, a binary mask and an overlay
// on a fixed scale; a corrupt image is reported and skipped while the others are scored; the
// ONNX engine gives the same labels; the CLI prints one JSON line per image and a summary.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import sharp from 'sharp';
import { isUserError } from '../../common/errors.ts';
import { initBackend } from '../../runtime/backend.ts';
import { readMap } from '../../runtime/data/index.ts';
import { exportRun } from '../../runtime/export/index.ts';
import { decodeModel } from '../../runtime/export/onnx-proto.ts';
import { FeatureCache } from '../../runtime/features/index.ts';
import { expandInputs } from '../../runtime/inference/inputs.ts';
import { openRun, type OpenedRun } from '../../runtime/inference/open-run.ts';
import { predictStream, tfjsScorer, type BatchScorer, type Prediction, type PredictSummary, type Skipped } from '../../runtime/inference/predict.ts';
import { OnnxEngine } from '../../runtime/onnx-engine/index.ts';
import { silentProgress } from '../../runtime/progress.ts';
import { generateSyntheticDataset } from '../../runtime/synth/index.ts';
import { isDefective, normalise } from '../../runtime/thresholds/rules.ts';
import { repoRoot, tempDir } from '../compiler/helpers.ts';
import { trainTiny } from './helpers.ts';

const cache = FeatureCache.open({ dir: null });
let dataDir = '';
let runDir = '';
let folder = '';
let opened: OpenedRun;

before(async () => {
  await initBackend('wasm');
  dataDir = join(tempDir(), 'synth');
  await generateSyntheticDataset({ dir: dataDir, seed: 3, category: 'bottle', size: 64, trainCount: 12, testGoodCount: 3, testPerDefect: 2 });
  runDir = join(tempDir(), 'run');
  await trainTiny(dataDir, runDir, cache, ['train.validation=0.25']);
  opened = await openRun(runDir, { cache });
  // The test images in sub-folders, plus a corrupt one in the middle of the sorted list.
  folder = join(tempDir(), 'inputs');
  cpSync(join(dataDir, 'test'), folder, { recursive: true });
  writeFileSync(join(folder, 'good', '001b.png'), 'not a png at all');
});

after(() => opened?.dispose());

async function collect(scorer: BatchScorer, outDir: string, args = [folder]) {
  const results: Array<Prediction | Skipped | PredictSummary> = [];
  for await (const r of predictStream(opened, await expandInputs(args), outDir, { score: scorer, progress: silentProgress })) results.push(r);
  return {
    predictions: results.filter((r): r is Prediction => r.kind === 'prediction'),
    skipped: results.filter((r): r is Skipped => r.kind === 'skipped'),
    summary: results.at(-1) as PredictSummary,
  };
}

async function decodedPixels(path: string): Promise<Uint8Array> {
  const { data } = await sharp(path).raw().toBuffer({ resolveWithObject: true });
  return new Uint8Array(data);
}

test('inputs: folders recursively, files and globs, ids mirroring the tree; wrong arguments stop before any work', async () => {
  const all = await expandInputs([folder]);
  assert.ok(
    all.some((i) => i.id === 'good/001b'),
    'sub-folders are searched',
  );
  assert.ok(all.every((i) => !i.id.includes('..')));
  const globbed = await expandInputs([join(folder, 'good', '*.png')]);
  assert.ok(globbed.length >= 3 && globbed.every((i) => i.path.includes(`${join('inputs', 'good')}`)));
  const twice = await expandInputs([folder, join(folder, 'good')]);
  assert.equal(twice.length, all.length, 'an image named twice is scored once');
  const reject = (args: string[], pattern: RegExp) => assert.rejects(expandInputs(args), (e: unknown) => isUserError(e) && pattern.test((e as Error).message));
  await reject([join(folder, 'missing.png')], /no such image, folder or pattern/);
  await reject([join(folder, '*.jpg')], /matches no image files/);
  const notImage = join(tempDir(), 'notes.txt');
  writeFileSync(notImage, 'x');
  await reject([notImage], /not an image file/);
  const empty = join(tempDir(), 'empty');
  mkdirSync(empty);
  await reject([empty], /folder has no images/);
  // A folder of symbolic links to images (a common way to build a subset) is a folder of images.
  const links = join(tempDir(), 'links');
  mkdirSync(links);
  for (const i of globbed) symlinkSync(i.path, join(links, basename(i.path)));
  assert.equal((await expandInputs([links])).length, globbed.length);
});

test('a corrupt image in the folder is reported and skipped; every other image is scored and labelled by the threshold', async () => {
  const outDir = join(tempDir(), 'out');
  const { predictions, skipped, summary } = await collect(tfjsScorer(opened), outDir);
  assert.equal(skipped.length, 1);
  assert.match(skipped[0].image, /001b\.png$/);
  assert.match(skipped[0].reason, /cannot read image/);
  const total = (await expandInputs([folder])).length;
  assert.equal(predictions.length, total - 1);
  assert.deepEqual(
    { images: summary.images, good: summary.good, defective: summary.defective, skipped: summary.skipped },
    {
      images: total,
      good: predictions.filter((p) => p.label === 'good').length,
      defective: predictions.filter((p) => p.label === 'defective').length,
      skipped: 1,
    },
  );
  const d = opened.decision!;
  for (const p of predictions) {
    assert.equal(p.label === 'defective', isDefective(p.score, d.image));
    assert.equal(p.normalised, normalise(p.score, d.image, d.imageSpread));
    assert.equal(p.normalised >= 0.5, p.label === 'defective');
    for (const f of [p.map, p.mask, p.overlay]) assert.ok(existsSync(f), f);
  }
  // The mask is exactly the raw map at or above the pixel threshold.
  const p = predictions.find((x) => x.id.startsWith('good/'))!;
  const map = await readMap(p.map);
  assert.equal(map.width, opened.dims.inputSize);
  assert.equal((await sharp(p.mask).metadata()).channels, 1, 'a grey PNG');
  const mask = new Uint8Array(await sharp(p.mask).extractChannel(0).raw().toBuffer());
  assert.equal(mask.length, map.data.length);
  for (let i = 0; i < map.data.length; i++) assert.equal(mask[i], isDefective(map.data[i], d.pixel) ? 255 : 0);
  assert.equal(Math.max(...map.data) >= Math.fround(d.pixel), mask.includes(255));
});

test('overlays use a fixed scale: an image predicted alone looks the same as in a folder', async () => {
  const inFolder = join(tempDir(), 'a');
  const alone = join(tempDir(), 'b');
  const image = join(folder, 'good', '000.png');
  const first = await collect(tfjsScorer(opened), inFolder, [join(folder, 'good'), join(folder, 'color')]);
  const single = await collect(tfjsScorer(opened), alone, [image]);
  const same = first.predictions.find((p) => p.image === image)!;
  assert.equal(single.predictions[0].label, same.label);
  assert.deepEqual(await decodedPixels(single.predictions[0].overlay), await decodedPixels(same.overlay));
});

test('the ONNX engine gives the same labels, and its graph carries the thresholds', async () => {
  const engine = await OnnxEngine.open(opened);
  try {
    const model = decodeModel(readFileSync(engine.modelPath));
    const names = model.graph.output.map((o) => o.name);
    assert.deepEqual(names, ['maps', 'scores', 'normalised_scores', 'labels', 'normalised_maps', 'masks']);
    const meta = Object.fromEntries((model.metadataProps ?? []).map((m) => [m.key, m.value]));
    assert.equal(Number(meta.image_threshold), opened.decision!.image);
    assert.equal(Number(meta.pixel_threshold), opened.decision!.pixel);
    assert.equal(meta.resize, opened.spec.input.resize, 'how to resize images for the graph');
    const onnx = await collect((paths) => engine.scoreImages(paths, { progress: silentProgress, label: 'p' }), join(tempDir(), 'onnx'));
    const tfjs = await collect(tfjsScorer(opened), join(tempDir(), 'tfjs'));
    assert.deepEqual(
      onnx.predictions.map((p) => [p.id, p.label]),
      tfjs.predictions.map((p) => [p.id, p.label]),
    );
    assert.equal(onnx.skipped.length, 1);
    onnx.predictions.forEach((p, i) =>
      assert.ok(Math.abs(p.normalised - tfjs.predictions[i].normalised) < 0.01, `${p.id}: ${p.normalised} vs ${tfjs.predictions[i].normalised}`),
    );
    // The graph's masks against tfjs' raw maps compared with the pixel threshold: pixels may flip only within float32 noise of it.
    let differing = 0;
    let pixels = 0;
    for (const [i, p] of onnx.predictions.entries()) {
      const fromGraph = new Uint8Array(await sharp(p.mask).extractChannel(0).raw().toBuffer());
      const fromTfjs = new Uint8Array(await sharp(tfjs.predictions[i].mask).extractChannel(0).raw().toBuffer());
      for (let k = 0; k < fromGraph.length; k++) differing += fromGraph[k] !== fromTfjs[k] ? 1 : 0;
      pixels += fromGraph.length;
    }
    assert.ok(differing <= 0.001 * pixels, `${differing} of ${pixels} mask pixels differ`);
  } finally {
    await engine.dispose();
  }
});

test('export --set score.threshold.image writes the fixed threshold into the graph metadata', async () => {
  const file = join(tempDir(), 'fixed.onnx');
  await exportRun(runDir, file, { scoreSets: ['score.threshold.image=1e9'] });
  const meta = Object.fromEntries((decodeModel(readFileSync(file)).metadataProps ?? []).map((m) => [m.key, m.value]));
  assert.equal(Number(meta.image_threshold), 1e9);
  assert.equal(meta.image_threshold_source, 'fixed by score.threshold.image');
  assert.equal(Number(meta.pixel_threshold), opened.decision!.pixel, 'the pixel threshold stays the learned one');
});

test('a run without thresholds refuses to predict, with what to do', async () => {
  const bare = { ...opened, decision: undefined };
  const stream = predictStream(bare, await expandInputs([folder]), tempDir(), { score: tfjsScorer(opened), progress: silentProgress });
  await assert.rejects(
    stream.next(),
    (e: unknown) => isUserError(e) && /no thresholds/.test((e as Error).message) && /train\.validation/.test((e as UserErrorLike).hint ?? ''),
  );
});

type UserErrorLike = Error & { hint?: string };

test('the CLI: predict RUN FOLDER --json gives one line per image and a summary line; text mode ends with the summary', () => {
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [join(repoRoot, 'bin/dadfc.js'), 'predict', runDir, folder, '-o', join(tempDir(), 'cli'), '--no-cache', ...args], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', DADF_BACKEND: 'cpu' },
    });
  const json = run('--json');
  assert.equal(json.status, 0, json.stderr);
  const lines = json.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const total = lines.filter((l) => l.kind === 'prediction' || l.kind === 'skipped').length;
  assert.equal(lines.filter((l) => l.kind === 'skipped').length, 1);
  const summary = lines.filter((l) => l.kind === 'summary');
  assert.equal(summary.length, 1);
  assert.equal(summary[0].images, total);
  const text = run('--threshold', '1e9');
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, new RegExp(`${total} images: ${total - 1} good, 0 defective, 1 skipped`), 'a threshold above every score labels everything good');
  assert.match(text.stderr, /skipped .*001b\.png: cannot read image/);
});
