// Training end to end on a small synthetic defect set with the tiny pipeline: losses fall,
// stages touch only their own weights, memory stays flat, a killed run resumes exactly.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { compilePipeline } from '../../compiler/index.ts';
import { toDadf } from '../../compiler/print.ts';
import { initBackend } from '../../runtime/backend.ts';
import { FeatureCache } from '../../runtime/features/index.ts';
import { openRun } from '../../runtime/inference/open-run.ts';
import { testRun } from '../../runtime/inference/test-run.ts';
import type { ProgressEvent } from '../../runtime/progress.ts';
import { generateSyntheticDataset } from '../../runtime/synth/index.ts';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { readCheckpoint } from '../../runtime/train/checkpoint.ts';
import { train } from '../../runtime/train/trainer.ts';
import { pipelinesDir, tempDir } from '../compiler/helpers.ts';

let dataDir = '';
let colourDir = '';
// The bundled default backbone (weights/ in the repository), so this runs on every machine.
const smallWeights = resolve(pipelinesDir, '../weights/mobilenet_v1_0.25_224/model.json');
const cache = FeatureCache.open({ dir: null });

function tinySpec(sets: string[] = []) {
  const compiled = compilePipeline(join(pipelinesDir, 'tiny.dadf'), { sets });
  assert.ok(compiled.spec, JSON.stringify(compiled.diagnostics));
  return compiled.spec;
}

function trainTiny(
  runDir: string,
  options: { sets?: string[]; resume?: boolean; stopAfterEpochs?: number; events?: ProgressEvent[]; data?: string; weights?: string } = {},
) {
  const spec = tinySpec(options.sets);
  return train({
    spec,
    pipelineText: toDadf(spec),
    weightsPath: options.weights,
    dataDir: options.data ?? dataDir,
    runDir,
    resume: options.resume,
    stopAfterEpochs: options.stopAfterEpochs,
    backendName: 'test',
    cache,
    progress: (e) => options.events?.push(e),
  });
}

before(async () => {
  await initBackend('wasm');
  dataDir = join(tempDir(), 'synth');
  await generateSyntheticDataset({ dir: dataDir, seed: 7, category: 'bottle', size: 64, trainCount: 16, testGoodCount: 6, testPerDefect: 3 });
  colourDir = join(tempDir(), 'colour');
  await generateSyntheticDataset({
    dir: colourDir,
    seed: 7,
    category: 'noise',
    size: 64,
    trainCount: 16,
    testGoodCount: 6,
    testPerDefect: 6,
    defects: ['color'],
  });
});

test('tiny trains end to end: losses fall, test metrics are good, numTensors stays flat', async () => {
  const events: ProgressEvent[] = [];
  const tensorsAtEpoch: number[] = [];
  const runDir = join(tempDir(), 'run');
  const result = await trainTiny(runDir, {
    sets: ['train.stages.reconstruct.epochs=6', 'train.stages.flow.epochs=6'],
    events: new Proxy(events, {
      get(target, prop) {
        if (prop === 'push') return (e: ProgressEvent) => (e.kind === 'epoch' && tensorsAtEpoch.push(tf.memory().numTensors), target.push(e));
        return Reflect.get(target, prop);
      },
    }),
  });
  const epochs = events.filter((e): e is Extract<ProgressEvent, { kind: 'epoch' }> => e.kind === 'epoch');
  const rec = epochs.filter((e) => e.stage === 'reconstruct');
  const flow = epochs.filter((e) => e.stage === 'flow');
  assert.equal(rec.length, 6);
  assert.equal(flow.length, 6);
  assert.ok(rec[5].loss < rec[0].loss * 0.8, `reconstruction loss falls: ${rec.map((e) => e.loss.toFixed(3))}`);
  assert.ok(flow[5].loss < flow[0].loss, `flow loss falls: ${flow.map((e) => e.loss.toFixed(3))}`);
  assert.equal(tensorsAtEpoch[0], tensorsAtEpoch[2], 'numTensors after reconstruct epoch 1 and 3');
  assert.equal(tensorsAtEpoch[6], tensorsAtEpoch[8], 'numTensors after flow epoch 1 and 3');
  result.model!.dispose();
  result.backbone.dispose();

  const opened = await openRun(runDir);
  const metrics = (await testRun(opened, { dataDir, outDir: join(runDir, 'test'), cache, progress: () => {}, backendName: 'test' })).metrics;
  assert.ok(metrics.image_auroc !== null && metrics.pixel_auroc !== null, 'test metrics computed');

  // Scoring many times leaves no tensor behind.
  const prior = opened.dims.scales.map((s) => tf.randomNormal([2, s.size, s.size, s.channels], 0, 1, 'float32', 1) as tf.Tensor4D);
  const once = opened.model!.anomalyMaps(prior);
  tf.dispose([once.maps, once.scores]);
  const after1 = tf.memory().numTensors;
  for (let i = 0; i < 49; i++) {
    const out = opened.model!.anomalyMaps(prior);
    tf.dispose([out.maps, out.scores]);
  }
  assert.equal(tf.memory().numTensors, after1, 'numTensors after 1 and 50 predictions');
  tf.dispose(prior);
  opened.dispose();
});

test('stage 1 changes no flow weight; stage 2 changes no transformer weight', async () => {
  const runDir = join(tempDir(), 'run');
  const first = await trainTiny(runDir, { sets: ['train.stages.reconstruct.epochs=1', 'train.stages.flow.epochs=1'], stopAfterEpochs: 0 });
  const initial = first.model!.getWeights();
  first.model!.dispose();
  first.backbone.dispose();
  const afterRec = await trainTiny(runDir, { sets: ['train.stages.reconstruct.epochs=1', 'train.stages.flow.epochs=1'], resume: true, stopAfterEpochs: 1 });
  const mid = afterRec.model!.getWeights();
  const flowNames = new Set(afterRec.model!.flowVariables().map((v) => v.name.replace(/^dadf\d+\//, '')));
  afterRec.model!.dispose();
  afterRec.backbone.dispose();
  const done = await trainTiny(runDir, { sets: ['train.stages.reconstruct.epochs=1', 'train.stages.flow.epochs=1'], resume: true });
  const final = done.model!.getWeights();
  done.model!.dispose();
  done.backbone.dispose();
  const same = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => v === b[i]);
  let flowChangedInStage2 = 0;
  let transformerChangedInStage1 = 0;
  for (const name of Object.keys(initial)) {
    if (flowNames.has(name)) {
      assert.ok(same(initial[name].data, mid[name].data), `stage 1 left flow weight ${name} alone`);
      if (!same(mid[name].data, final[name].data)) flowChangedInStage2++;
    } else {
      if (!same(initial[name].data, mid[name].data)) transformerChangedInStage1++;
      assert.ok(same(mid[name].data, final[name].data), `stage 2 left transformer weight ${name} alone`);
    }
  }
  assert.ok(flowChangedInStage2 > 0 && transformerChangedInStage1 > 0, 'each stage trained something');
});

test('a run stopped mid-training and resumed ends with the same weights as an uninterrupted run', async () => {
  const sets = ['train.stages.reconstruct.epochs=2', 'train.stages.flow.epochs=2'];
  const straight = join(tempDir(), 'straight');
  const a = await trainTiny(straight, { sets });
  a.model!.dispose();
  a.backbone.dispose();
  const interrupted = join(tempDir(), 'interrupted');
  for (const stop of [1, 2, 3]) {
    const partial = await trainTiny(interrupted, { sets, stopAfterEpochs: 1, resume: stop > 1 });
    partial.model!.dispose();
    partial.backbone.dispose();
  }
  const b = await trainTiny(interrupted, { sets, resume: true });
  b.model!.dispose();
  b.backbone.dispose();
  const wa = readCheckpoint(join(straight, 'checkpoint.bin')).tensors;
  const wb = readCheckpoint(join(interrupted, 'checkpoint.bin')).tensors;
  assert.deepEqual(Object.keys(wb).sort(), Object.keys(wa).sort());
  for (const k of Object.keys(wa)) assert.deepEqual(wb[k].data, wa[k].data, k);
});

test('tiny with pretrained features finds colour defects: image AUROC > 0.9', async () => {
  assert.ok(existsSync(smallWeights), `the bundled weights are missing: ${smallWeights}`);
  const runDir = join(tempDir(), 'run');
  const sets = [
    'backbone.random=false',
    `backbone.weights=${JSON.stringify(smallWeights)}`,
    'train.stages.reconstruct.epochs=5',
    'train.stages.flow.epochs=15',
  ];
  const trained = await trainTiny(runDir, { sets, data: colourDir, weights: smallWeights });
  trained.model!.dispose();
  trained.backbone.dispose();
  const opened = await openRun(runDir);
  const { metrics } = await testRun(opened, { dataDir: colourDir, outDir: join(runDir, 'test'), cache, progress: () => {}, backendName: 'test' });
  opened.dispose();
  assert.ok(metrics.image_auroc! > 0.9, `image AUROC ${metrics.image_auroc}`);
  assert.ok(metrics.pixel_auroc! > 0.85, `pixel AUROC ${metrics.pixel_auroc}`);
});
