// A few training steps of both stages on the cpu backend and on wasm give the same weights:
// the fast ops need no kernel wasm lacks, and nothing depends on the backend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { modelDims } from '../../compiler/dims.ts';
import { initBackend } from '../../runtime/backend.ts';
import { createModel, type NamedWeight } from '../../runtime/model/index.ts';
import { randomPrior, tinySpec } from './tiny-spec.ts';

async function train(
  backend: string,
): Promise<{ initial: Record<string, NamedWeight>; weights: Record<string, NamedWeight>; trainable: number; losses: number[] }> {
  await initBackend(backend);
  const spec = tinySpec();
  const dims = modelDims(spec);
  const model = createModel(spec, dims, 11);
  const initial = model.getWeights();
  const trainable = model.transformerVariables().length + model.flowVariables().length;
  const prior = randomPrior(dims, 2, 12);
  const losses: number[] = [];
  const stage1 = tf.train.sgd(0.5);
  for (let i = 0; i < 3; i++) {
    const loss = stage1.minimize(() => model.reconstructionLoss(prior, model.reconstruct(prior)), true, model.transformerVariables())!;
    losses.push(loss.dataSync()[0]);
    loss.dispose();
  }
  const rec = model.reconstruct(prior);
  const stage2 = tf.train.sgd(0.5);
  for (let i = 0; i < 3; i++) {
    const loss = stage2.minimize(() => model.flowLoss(prior, rec), true, model.flowVariables())!;
    losses.push(loss.dataSync()[0]);
    loss.dispose();
  }
  const weights = model.getWeights();
  tf.dispose([...prior, ...rec.self, ...rec.memory]);
  stage1.dispose();
  stage2.dispose();
  model.dispose();
  return { initial, weights, trainable, losses };
}

test('three stage-1 and three stage-2 steps give the same weights on cpu and wasm', async () => {
  const cpu = await train('cpu');
  const wasm = await train('wasm');
  assert.ok(cpu.losses[2] < cpu.losses[0], `stage 1 loss should fall: ${cpu.losses.slice(0, 3)}`);
  assert.ok(cpu.losses[5] < cpu.losses[3], `stage 2 loss should fall: ${cpu.losses.slice(3)}`);
  cpu.losses.forEach((l, i) => assert.ok(Math.abs(l - wasm.losses[i]) <= 1e-4 * Math.max(1, Math.abs(l)), `loss ${i}: ${l} vs ${wasm.losses[i]}`));
  const unchanged: string[] = [];
  for (const [name, w] of Object.entries(cpu.weights)) {
    const other = wasm.weights[name].data;
    const scale = Math.max(1e-3, ...w.data.map(Math.abs));
    const diff = Math.max(...w.data.map((v, i) => Math.abs(v - other[i])));
    assert.ok(diff <= 1e-4 * scale, `${name}: max diff ${diff} (scale ${scale})`);
    if (w.data.every((v, i) => v === cpu.initial[name].data[i])) unchanged.push(name);
  }
  // Equal weights prove little unless training moved them: every trainable tensor must have
  // changed; only the fixed buffers (the flows' channel permutations) stay as they were.
  const buffers = Object.keys(cpu.weights).length - cpu.trainable;
  assert.ok(cpu.trainable > 10, `${cpu.trainable} trainable tensors`);
  assert.deepEqual(
    unchanged,
    Object.keys(cpu.weights).filter((n) => n.endsWith('.perm')),
    `unchanged: ${unchanged.join(', ')}`,
  );
  assert.equal(unchanged.length, buffers);
});
