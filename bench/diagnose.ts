// Where does a trained run's quality come from? Scores the test split of a run's data set
// with the run's weights under other score settings (no retraining): each scale alone, the
// flow vs. the reconstruction errors of the self and memory branches, other fusions. The
// choice of settings is never made here: this only explains a result after the fact.
//
//   node --import tsx bench/diagnose.ts RUN [--data DIR]
import * as tf from '@tensorflow/tfjs-core';
import { parseArgs } from 'node:util';
import { modelDims, type Spec } from '../compiler/index.ts';
import { initBackend, describeBackend } from '../runtime/backend.ts';
import { loadDataset, readMask } from '../runtime/data/index.ts';
import { FeatureCache } from '../runtime/features/index.ts';
import { openRun } from '../runtime/inference/open-run.ts';
import { evaluate, type EvalImage } from '../runtime/metrics/index.ts';
import { createModel } from '../runtime/model/index.ts';
import { ensureCalibration } from '../runtime/train/calibration.ts';
import { batchTensors, extractFeatures } from '../runtime/train/features.ts';
import { percent } from '../common/format.ts';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { data: { type: 'string' }, backend: { type: 'string' } } });
const runPath = positionals[0];
if (!runPath) throw new Error('usage: node --import tsx bench/diagnose.ts RUN [--data DIR]');
console.log(describeBackend(await initBackend(values.backend)));
const opened = await openRun(runPath);
const dataset = await loadDataset(values.data ?? opened.meta.data.root);
const size = opened.dims.inputSize;
const cache = FeatureCache.open();
const { features } = await extractFeatures(
  dataset.test.map((s) => s.path),
  opened.spec,
  opened.dims,
  opened.backbone,
  cache,
  () => {},
  'test',
);
const masks = await Promise.all(dataset.test.map((s) => (s.maskPaths.length ? readMask(s, size) : Promise.resolve(null))));
const weights = opened.model!.getWeights();
console.log(`run ${runPath}: ${opened.meta.name}, backbone ${opened.backbone.label}`);

async function score(name: string, patch: Partial<Spec['score']>): Promise<void> {
  const spec: Spec = { ...opened.spec, score: { ...opened.spec.score, ...patch } };
  const dims = modelDims(spec);
  const model = createModel(spec, dims, opened.meta.seed);
  model.setWeights(weights);
  // Calibration statistics come from the run's validation split (good training images), never from the test split.
  const { scales: calibration } = await ensureCalibration({ ...opened, spec, dims, model, cache });
  const images: EvalImage[] = [];
  for (let start = 0; start < dataset.test.length; start += 8) {
    const idx = Array.from({ length: Math.min(8, dataset.test.length - start) }, (_, k) => start + k);
    const prior = batchTensors(features, idx, opened.dims);
    const { maps, scores } = model.anomalyMaps(prior, calibration);
    const m = maps.dataSync() as Float32Array;
    const s = scores.dataSync() as Float32Array;
    idx.forEach((i, b) => {
      const sample = dataset.test[i];
      images.push({
        id: sample.id,
        defect: sample.defect,
        label: sample.label,
        map: m.slice(b * size * size, (b + 1) * size * size),
        mask: masks[i],
        width: size,
        height: size,
        score: s[b],
      });
    });
    tf.dispose([maps, scores, ...prior]);
  }
  model.dispose();
  const r = evaluate({ images, defectTypes: dataset.defectTypes });
  const pct = (v: number | null) => percent(v).padStart(6);
  console.log(`${name.padEnd(34)} image ${pct(r.image_auroc)}  pixel ${pct(r.pixel_auroc)}  AUPRO ${pct(r.aupro)}`);
}

const scales = opened.dims.scales.map((s) => s.index + 1);
const raw = { calibrate: 'none' } as const;
const calibrated = { calibrate: 'validation' } as const;
await score('as trained', {});
for (const s of scales) await score(`flow, scale ${s} only`, { ...raw, source: 'flow', scales: [s] });
await score('flow, mean of scales, uncalibrated', { ...raw, source: 'flow', fuse: 'mean' });
await score('flow, mean of calibrated scales', { ...calibrated, source: 'flow', fuse: 'mean' });
await score('flow, fuse max', { ...raw, source: 'flow', fuse: 'max' });
await score('flow, max of calibrated scales', { ...calibrated, source: 'flow', fuse: 'max' });
await score('flow, image mean of top 1%', { source: 'flow', image: 'top1pct' });
await score('flow, smoothed σ=4', { source: 'flow', smooth: 4 });
await score('reconstruction error: self', { ...raw, source: 'self' });
await score('reconstruction error: memory', { ...raw, source: 'memory' });
await score('reconstruction error: self+memory', { ...raw, source: 'reconstruction' });
await score('reconstruction, calibrated scales', { ...calibrated, source: 'reconstruction' });
opened.dispose();
