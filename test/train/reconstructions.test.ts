// Stage 2 on cached reconstructions: a flow step's loss and gradients equal those of the plain
// formulation (transformer forward in the step), and the cache is skipped when memory is short.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { modelDims } from '../../compiler/dims.ts';
import { initBackend } from '../../runtime/backend.ts';
import { createModel, type DadfModel, type Reconstruction } from '../../runtime/model/index.ts';
import { mulberry32, normalArray } from '../../runtime/model/prng.ts';
import type { ProgressEvent } from '../../runtime/progress.ts';
import { batchTensors, type ScaleFeatures } from '../../runtime/train/features.ts';
import { batchReconstruction, cacheForFlowStage, reconstructAll, reconstructionBytes } from '../../runtime/train/reconstructions.ts';
import { tinySpec } from '../model/tiny-spec.ts';

before(async () => {
  await initBackend('wasm');
});

const spec = tinySpec();
const dims = modelDims(spec);

function randomFeatures(n: number, seed: number): ScaleFeatures {
  const rng = mulberry32(seed);
  return dims.scales.map((s) => Array.from({ length: n }, () => normalArray(s.size * s.size * s.channels, 0, 1, rng)));
}

/** The stage-2 loss and flow gradients for one batch, with the given reconstructions. */
function flowStep(model: DadfModel, prior: tf.Tensor4D[], rec: Reconstruction) {
  const { value, grads } = tf.variableGrads(() => model.flowLoss(prior, rec), model.flowVariables());
  const out = { loss: value.dataSync()[0], grads: Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, g.dataSync() as Float32Array])) };
  tf.dispose([value, ...Object.values(grads)]);
  return out;
}

function assertClose(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, what);
  const scale = Math.max(1e-6, ...expected.map(Math.abs));
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  assert.ok(worst <= 1e-5 * scale, `${what}: differs by ${worst} (largest value ${scale})`);
}

test('a flow step on cached reconstructions has the loss and gradients of the plain step', () => {
  const model = createModel(spec, dims, 3);
  const features = randomFeatures(7, 11);
  const before = tf.memory().numTensors;
  // Cached in batches of 3 (the last one short), used in a batch that mixes them out of order.
  const cached = reconstructAll(model, features, dims, 3);
  assert.equal(tf.memory().numTensors, before, 'reconstructAll leaves no tensor behind');
  const indices = [6, 0, 4, 1];
  const prior = batchTensors(features, indices, dims);
  const plain = model.reconstruct(prior);
  const fromCache = batchReconstruction(cached, indices, dims);
  dims.scales.forEach((_, i) => {
    assert.deepEqual(fromCache.self[i].shape, plain.self[i].shape);
    assertClose(fromCache.self[i].dataSync() as Float32Array, plain.self[i].dataSync() as Float32Array, `self, scale ${i + 1}`);
    assertClose(fromCache.memory[i].dataSync() as Float32Array, plain.memory[i].dataSync() as Float32Array, `memory, scale ${i + 1}`);
  });
  const expected = flowStep(model, prior, plain);
  const actual = flowStep(model, prior, fromCache);
  assert.ok(Number.isFinite(expected.loss));
  assert.ok(Math.abs(actual.loss - expected.loss) <= 1e-5 * Math.abs(expected.loss), `loss ${actual.loss} vs ${expected.loss}`);
  assert.deepEqual(Object.keys(actual.grads).sort(), Object.keys(expected.grads).sort());
  assert.ok(Object.keys(expected.grads).length > 0);
  for (const name of Object.keys(expected.grads)) assertClose(actual.grads[name], expected.grads[name], `gradient of ${name}`);
  tf.dispose([...prior, ...plain.self, ...plain.memory, ...fromCache.self, ...fromCache.memory]);
  model.dispose();
});

test('the cache counts its bytes and is skipped, with a log line, when they exceed half the free memory', () => {
  const model = createModel(spec, dims, 3);
  const sets = { train: randomFeatures(5, 1), validation: randomFeatures(2, 2) };
  const bytes = reconstructionBytes(dims, 7);
  const perImage = dims.scales.reduce((sum, s) => sum + s.size * s.size * s.channels, 0);
  assert.equal(bytes, 7 * 2 * 4 * perImage);

  const events: ProgressEvent[] = [];
  assert.equal(
    cacheForFlowStage(model, sets, dims, 2, (e) => events.push(e), 2 * bytes - 1),
    undefined,
  );
  assert.match(events.map((e) => (e.kind === 'log' ? e.message : '')).join('\n'), /recomputed at every step/);

  const cached = cacheForFlowStage(model, sets, dims, 2, () => {}, 2 * bytes);
  assert.ok(cached);
  const held = [cached.train, cached.validation].flatMap((c) => [...c.self, ...c.memory].flat()).reduce((sum, a) => sum + a.byteLength, 0);
  assert.equal(held, bytes);
  assert.equal(cached.train.self[0].length, 5);
  assert.equal(cached.validation.memory[2].length, 2);
  model.dispose();
});
