// Runs with fitted heads scored by both engines: the exported graph (backbone, head inputs,
// Gaussian / patch-memory distances, per-head calibration and combination, decision outputs)
// gives the maps, scores and labels tfjs gives on the same images. Two tiny runs on synthetic
// images: the Gaussian and patch-memory heads combined (no DADF model), and the DADF flows fused
// with a Gaussian.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { compilePipeline } from '../../compiler/index.ts';
import { toDadf } from '../../compiler/print.ts';
import { initBackend } from '../../runtime/backend.ts';
import { decodeModel } from '../../runtime/export/onnx-proto.ts';
import { FeatureCache } from '../../runtime/features/index.ts';
import { openRun, type OpenedRun } from '../../runtime/inference/open-run.ts';
import { scoreImages, type ScoredImage } from '../../runtime/inference/score.ts';
import { OnnxEngine } from '../../runtime/onnx-engine/index.ts';
import { silentProgress } from '../../runtime/progress.ts';
import { generateSyntheticDataset } from '../../runtime/synth/index.ts';
import { train } from '../../runtime/train/trainer.ts';
import { pipelinesDir, tempDir } from '../compiler/helpers.ts';
import { imagesUnder, scoredParity } from './helpers.ts';

const TOLERANCE = 1e-4;
const shared = process.env.DADF_SHARED ?? resolve(pipelinesDir, '../../shared');
const hazelnut = join(shared, 'data/hazelnut_toy');
const cache = FeatureCache.open({ dir: null });
let dataDir = '';
const runs: Record<string, OpenedRun> = {};

const PIPELINES = {
  // Both fitted heads, each calibrated on the validation split, combined by max.
  heads: `pipeline tiny_heads extends "${join(pipelinesDir, 'tiny.dadf')}" {
  head gaussian { scales: [2], channels: 24 }
  head knn { scales: [2, 3], coreset: 0.3, aggregate: 3, k: 2 }
  score { heads: [gaussian, knn], combine: max, smooth: 1 }
}`,
  // The DADF flows and a shared Gaussian, mean of the standardised maps.
  fused: `pipeline tiny_fused extends "${join(pipelinesDir, 'tiny.dadf')}" {
  head gaussian { scales: [1], per_position: false }
  score.heads: [flow, gaussian]
  train { stage reconstruct { epochs: 1 } stage flow { epochs: 1 } }
}`,
};

async function trainRun(name: keyof typeof PIPELINES): Promise<OpenedRun> {
  const file = join(tempDir(), `${name}.dadf`);
  writeFileSync(file, PIPELINES[name]);
  const compiled = compilePipeline(file);
  assert.ok(compiled.spec, JSON.stringify(compiled.diagnostics));
  const runDir = join(tempDir(), name);
  await train({ spec: compiled.spec, pipelineText: toDadf(compiled.spec), dataDir, runDir, backendName: 'test', cache, progress: silentProgress });
  return openRun(runDir);
}

before(async () => {
  await initBackend('wasm');
  dataDir = join(tempDir(), 'synth');
  await generateSyntheticDataset({ dir: dataDir, seed: 5, category: 'bottle', size: 64, trainCount: 12, testGoodCount: 4, testPerDefect: 3 });
  runs.heads = await trainRun('heads');
  runs.fused = await trainRun('fused');
});

after(() => {
  for (const r of Object.values(runs)) r.dispose();
});

/** Scores the images with tfjs and with the exported graph; checks maps, scores and labels agree. */
async function compare(opened: OpenedRun, paths: string[], label: string): Promise<{ maps: number; scores: number }> {
  const tfjs: ScoredImage[] = await scoreImages(paths, {
    spec: opened.spec,
    dims: opened.dims,
    backbone: opened.backbone,
    model: opened.model,
    heads: opened.heads,
    calibration: opened.calibration,
    headCalibration: opened.headCalibration,
    cache,
    progress: silentProgress,
    label,
  });
  const engine = await OnnxEngine.open(opened);
  try {
    const onnx = await engine.scoreImages(paths, { progress: silentProgress, label });
    assert.equal(onnx.length, paths.length);
    const d = scoredParity(tfjs, onnx);
    const maps = d.maps;
    const scores = d.scores / d.range;
    assert.ok(maps < TOLERANCE, `${label}: normalised maps differ by ${maps}`);
    assert.ok(scores < TOLERANCE, `${label}: normalised scores differ by ${scores}`);
    // The graph's labels are the run's image threshold applied to its scores, as tfjs applies it.
    const threshold = opened.decision?.image;
    assert.ok(threshold !== undefined, 'the run has an image threshold');
    tfjs.forEach((s, i) => {
      if (Math.abs(s.score - threshold) > TOLERANCE * d.range) assert.equal(onnx[i].label, s.score >= threshold ? 1 : 0, `${label}: image ${i} label`);
    });
    return { maps, scores };
  } finally {
    await engine.dispose();
  }
}

for (const name of ['heads', 'fused'] as const) {
  test(`${name}: the exported graph matches tfjs on the synthetic test images`, async (t) => {
    const d = await compare(runs[name], imagesUnder(join(dataDir, 'test')), `synthetic-${name}`);
    t.diagnostic(`synthetic ${name}: max normalised map difference ${d.maps.toExponential(2)}, score difference ${d.scores.toExponential(2)}`);
  });

  test(`${name}: the exported graph matches tfjs on the hazelnut_toy test images`, async (t) => {
    if (!existsSync(hazelnut)) return t.skip(`../shared/data/hazelnut_toy is absent (${hazelnut}); set DADF_SHARED`);
    const d = await compare(runs[name], imagesUnder(join(hazelnut, 'test')), `hazelnut-${name}`);
    t.diagnostic(`hazelnut_toy ${name}: max normalised map difference ${d.maps.toExponential(2)}, score difference ${d.scores.toExponential(2)}`);
  });
}

test('the exported graph holds the fitted heads: the Gaussian transforms and the patch memory as initializers', () => {
  const opened = runs.heads;
  const model = decodeModel(readOnnx(opened));
  const sizes = new Map(model.graph.initializer.map((t) => [t.name, (t.rawData?.length ?? 0) / 4]));
  assert.equal(sizes.get('heads/knn/bank'), opened.heads.knn!.bank.size);
  assert.equal(sizes.get('heads/gaussian/transform'), opened.heads.gaussian!.transform.size);
  assert.ok(
    model.graph.node.some((n) => n.opType === 'TopK'),
    'k = 2 nearest entries need a TopK',
  );
});

function readOnnx(opened: OpenedRun): Uint8Array {
  const file = join(opened.run.path, 'model.onnx');
  assert.ok(existsSync(file), 'the engine exported RUN/model.onnx');
  return readFileSync(file);
}
