// The model's public face on the cpu backend: shapes, determinism, weights round trip, every
// scoring option, the loss/variable split between stages, and no tensor leaks.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { modelDims } from '../../compiler/dims.ts';
import { buildPlan } from '../../compiler/plan.ts';
import { initBackend } from '../../runtime/backend.ts';
import { createModel } from '../../runtime/model/index.ts';
import { stockOps } from '../../runtime/ops/index.ts';
import { randomPrior, tinySpec } from './tiny-spec.ts';

before(async () => {
  await initBackend('cpu');
});

test('reconstruct gives φS and φM shaped like the prior; maps are at input size', () => {
  const spec = tinySpec();
  const dims = modelDims(spec);
  const model = createModel(spec, dims, 0);
  const prior = randomPrior(dims, 2, 1);
  const rec = model.reconstruct(prior);
  rec.self.forEach((t, i) => assert.deepEqual(t.shape, prior[i].shape));
  rec.memory.forEach((t, i) => assert.deepEqual(t.shape, prior[i].shape));
  const { maps, scores } = model.anomalyMaps(prior);
  assert.deepEqual(maps.shape, [2, 32, 32]);
  assert.deepEqual(scores.shape, [2]);
  tf.dispose([...prior, ...rec.self, ...rec.memory, maps, scores]);
  model.dispose();
});

test('init is deterministic per seed and weights round-trip through get/setWeights', () => {
  const spec = tinySpec();
  const dims = modelDims(spec);
  const a = createModel(spec, dims, 5);
  const b = createModel(spec, dims, 5);
  const c = createModel(spec, dims, 6);
  const wa = a.getWeights();
  const wb = b.getWeights();
  const wc = c.getWeights();
  assert.deepEqual(Object.keys(wa), Object.keys(wb));
  for (const name of Object.keys(wa)) assert.deepEqual(wa[name].data, wb[name].data, name);
  assert.notDeepEqual(wa.memory.data, wc.memory.data);
  assert.notDeepEqual(wa['flow.0.step0.perm'].data, wc['flow.0.step0.perm'].data);
  // Memory tokens ~ normal(0, 0.02).
  const mem = wa.memory.data;
  const std = Math.sqrt(mem.reduce((s, v) => s + v * v, 0) / mem.length);
  assert.ok(std > 0.015 && std < 0.025, `memory std ${std}`);

  c.setWeights(wa);
  const prior = randomPrior(dims, 2, 3);
  const sa = a.anomalyMaps(prior);
  const sc = c.anomalyMaps(prior);
  assert.deepEqual(sa.maps.dataSync(), sc.maps.dataSync());
  assert.throws(() => c.setWeights({ ...wa, extra: { shape: [1], data: new Float32Array(1) } }), /do not match/);
  tf.dispose([...prior, sa.maps, sa.scores, sc.maps, sc.scores]);
  [a, b, c].forEach((m) => m.dispose());
});

test('fast and stock ops build the same model numbers', () => {
  const spec = tinySpec();
  const dims = modelDims(spec);
  const fast = createModel(spec, dims, 2);
  const stock = createModel(spec, dims, 2, { ops: stockOps });
  const prior = randomPrior(dims, 2, 4);
  tf.tidy(() => {
    const rf = fast.reconstruct(prior);
    const rs = stock.reconstruct(prior);
    const d = (x: tf.Tensor, y: tf.Tensor) => tf.max(tf.abs(tf.sub(x, y))).dataSync()[0];
    rf.self.forEach((t, i) => assert.ok(d(t, rs.self[i]) < 1e-5));
    assert.ok(Math.abs(fast.flowLoss(prior, rf).dataSync()[0] - stock.flowLoss(prior, rs).dataSync()[0]) < 1e-5);
    assert.ok(d(fast.anomalyMaps(prior).maps, stock.anomalyMaps(prior).maps) < 1e-5);
  });
  tf.dispose(prior);
  fast.dispose();
  stock.dispose();
});

test('every score option gives finite maps of the right shape', () => {
  const sources = ['flow', 'self', 'memory', 'reconstruction'] as const;
  const fuses = ['mean', 'sum', 'max', 'product'] as const;
  const images = ['max', 'mean', 'top1pct'] as const;
  for (let i = 0; i < 4; i++) {
    const spec = tinySpec({
      score: {
        source: sources[i],
        fuse: fuses[i],
        image: images[i % 3],
        smooth: i === 1 ? 1.5 : 0,
        upsample: i === 2 ? 'nearest' : 'bilinear',
        scales: i === 3 ? [2] : undefined,
      },
      flow: { over: i === 0 ? ['prior'] : ['prior', 'memory'] },
    });
    const dims = modelDims(spec);
    const model = createModel(spec, dims, 0);
    const prior = randomPrior(dims, 2, 9);
    const { maps, scores } = model.anomalyMaps(prior);
    assert.deepEqual(maps.shape, [2, 32, 32]);
    assert.ok(maps.dataSync().every(Number.isFinite) && scores.dataSync().every(Number.isFinite));
    if (sources[i] === 'flow')
      assert.ok(
        maps.dataSync().every((v) => v < 0 && v >= -1),
        'flow maps are −likelihood in [−1, 0)',
      );
    else
      assert.ok(
        maps.dataSync().every((v) => v >= 0),
        'error maps are ≥ 0',
      );
    tf.dispose([...prior, maps, scores]);
    model.dispose();
  }
});

test('stage 1 loss reaches only transformer variables; stage 2 loss only flow variables', () => {
  const spec = tinySpec();
  const dims = modelDims(spec);
  const model = createModel(spec, dims, 0);
  const prior = randomPrior(dims, 2, 5);
  const transformerIds = new Set(model.transformerVariables().map((v) => v.name));
  const flowIds = new Set(model.flowVariables().map((v) => v.name));
  assert.ok(transformerIds.size > 0 && flowIds.size > 0);
  tf.tidy(() => {
    const all = [...model.transformerVariables(), ...model.flowVariables()];
    const g1 = tf.variableGrads(() => model.reconstructionLoss(prior, model.reconstruct(prior)), all).grads;
    const nonzero = (g: tf.Tensor) => tf.max(tf.abs(g)).dataSync()[0] > 0;
    for (const [name, g] of Object.entries(g1)) if (flowIds.has(name)) assert.ok(!nonzero(g), `stage 1 touches ${name}`);
    const rec = model.reconstruct(prior);
    const g2 = tf.variableGrads(() => model.flowLoss(prior, rec), model.flowVariables()).grads;
    assert.equal(Object.keys(g2).length, flowIds.size);
    assert.ok(Object.values(g2).some(nonzero));
  });
  tf.dispose(prior);
  model.dispose();
});

test('tf.memory().numTensors is unchanged after repeated forward and loss calls', () => {
  const spec = tinySpec();
  const dims = modelDims(spec);
  const model = createModel(spec, dims, 0);
  const prior = randomPrior(dims, 2, 6);
  const optimizer = tf.train.sgd(0.01);
  const once = () => {
    optimizer.minimize(() => model.reconstructionLoss(prior, model.reconstruct(prior)), false, model.transformerVariables());
    const rec = model.reconstruct(prior);
    optimizer.minimize(() => model.flowLoss(prior, rec), false, model.flowVariables());
    const out = model.anomalyMaps(prior);
    tf.dispose([...rec.self, ...rec.memory, out.maps, out.scores]);
  };
  once();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) once();
  assert.equal(tf.memory().numTensors, before);
  tf.dispose(prior);
  optimizer.dispose();
  model.dispose();
});

test('createModel refuses sizes a checked spec cannot have', () => {
  const spec = tinySpec({ embed: { patch: [4, 4, 1] } });
  assert.throws(() => createModel(spec, modelDims(spec), 0), /grid/);
  const heads = tinySpec({ transformer: { heads: 5 } });
  assert.throws(() => createModel(heads, modelDims(heads), 0), /heads/);
});

test('the plan counts the flow parameters the model has, with and without a position code', () => {
  for (const position of [0, 8]) {
    const spec = tinySpec({ input: { size: 64 }, transformer: { memory: { tokens: 16 } }, flow: { position } });
    const planned = buildPlan(spec)
      .nodes.filter((n) => n.trainedIn === 'flow')
      .reduce((a, n) => a + n.params, 0);
    const model = createModel(spec, modelDims(spec), 0);
    const actual = model.flowVariables().reduce((a, v) => a + v.size, 0);
    model.dispose();
    assert.equal(planned, actual, `position ${position}`);
  }
});
