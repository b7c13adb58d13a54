// The optimizer (runtime/train/optimizer.ts) updates weights in one pass over plain arrays (the
// native addon's, or a JavaScript loop); both must give the same bytes as the tensor formulation
// they replaced, written out below with tfjs ops, for AdamW, Adam and SGD, with and without
// weight decay, over several steps.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import type { Optimizer as OptimizerSpec } from '../../compiler/spec.ts';
import { initBackend } from '../../runtime/backend.ts';
import { mulberry32, normalArray } from '../../runtime/model/prng.ts';
import { loadNativeBlas } from '../../runtime/native/blas.ts';
import { useNativeKernels } from '../../runtime/ops/blas-kernels.ts';
import { Optimizer } from '../../runtime/train/optimizer.ts';

before(async () => {
  await initBackend('wasm');
});

// The last one is above the addon's threading limit (32768 elements: two threads share it).
const SHAPES = [[7], [5, 3], [2, 3, 3, 4], [1, 1, 1, 300], [96, 401]];
const PATHS = loadNativeBlas().blas?.adam ? ['native', 'JavaScript'] : ['JavaScript'];
const STEPS = 6;

/** The update as tfjs kernels, one variable at a time (the formulation before issue 19). */
function tensorStep(config: OptimizerSpec, lr: number, t: number, p: tf.Variable, g: tf.Tensor, m: tf.Variable, v: tf.Variable): void {
  const [b1, b2] = config.betas;
  const wd = config.weight_decay;
  const decays = wd > 0 && p.rank >= 2;
  tf.tidy(() => {
    let grad = g;
    if (config.type === 'sgd') {
      if (decays) grad = tf.add(grad, tf.mul(p, wd));
      p.assign(tf.sub(p, tf.mul(grad, lr)));
      return;
    }
    if (config.type === 'adam' && decays) grad = tf.add(grad, tf.mul(p, wd));
    m.assign(tf.add(tf.mul(m, b1), tf.mul(grad, 1 - b1)));
    v.assign(tf.add(tf.mul(v, b2), tf.mul(tf.square(grad), 1 - b2)));
    let update = tf.div(tf.div(m, 1 - b1 ** t), tf.add(tf.sqrt(tf.div(v, 1 - b2 ** t)), 1e-8));
    if (config.type === 'adamw' && decays) update = tf.add(update, tf.mul(p, wd));
    p.assign(tf.sub(p, tf.mul(update, lr)));
  });
}

let models = 0;
/** Variables of several ranks, named as a model's are (`dadfN/…`, the prefix unique per call). */
function variables(seed: number): tf.Variable[] {
  const rng = mulberry32(seed);
  const prefix = `dadf${++models}`;
  return SHAPES.map((shape, i) => tf.variable(tf.tensor(normalArray(tf.util.sizeFromShape(shape), 0, 0.5, rng), shape), true, `${prefix}/w${i}`));
}

function gradients(vars: tf.Variable[], step: number): Record<string, tf.Tensor> {
  const rng = mulberry32(100 + step);
  // Some gradients far from 1 in size, and one variable without a gradient in odd steps.
  return Object.fromEntries(
    vars.filter((_, i) => i !== 1 || step % 2 === 0).map((p, i) => [p.name, tf.tensor(normalArray(p.size, 0, 10 ** (i - 2), rng), p.shape)]),
  );
}

const CONFIGS: OptimizerSpec[] = [
  { type: 'adamw', lr: 1e-3, betas: [0.9, 0.95], weight_decay: 0.05 },
  { type: 'adam', lr: 3e-3, betas: [0.8, 0.999], weight_decay: 0.01 },
  { type: 'adamw', lr: 5e-4, betas: [0.9, 0.95], weight_decay: 0 },
  { type: 'sgd', lr: 0.1, betas: [0.9, 0.95], weight_decay: 0.05 },
];

for (const [path, config] of PATHS.flatMap((path) => CONFIGS.map((config) => [path, config] as const))) {
  test(`${config.type} (weight decay ${config.weight_decay}), ${path} path: the bytes of the tensor formulation over ${STEPS} steps`, () => {
    useNativeKernels(path === 'native');
    const fused = variables(1);
    const plain = variables(1);
    const m = plain.map((p) => tf.variable(tf.zerosLike(p), false));
    const v = plain.map((p) => tf.variable(tf.zerosLike(p), false));
    const optimizer = new Optimizer(fused, config, config.lr);
    for (let step = 1; step <= STEPS; step++) {
      const before = tf.memory().numTensors;
      const grads = gradients(fused, step);
      optimizer.apply(grads);
      plain.forEach((p, i) => {
        const g = grads[fused[i].name];
        if (g) tensorStep(config, config.lr, step, p, g, m[i], v[i]);
      });
      tf.dispose(Object.values(grads));
      assert.equal(tf.memory().numTensors, before, `step ${step}: no tensor left behind`);
      fused.forEach((p, i) => {
        const got = p.dataSync();
        const want = plain[i].dataSync();
        const differ = got.findIndex((x, k) => !Object.is(x, want[k]));
        assert.equal(differ, -1, `step ${step}, variable ${i}: ${got[differ]} vs ${want[differ]}`);
      });
    }
    const state = optimizer.getState();
    if (config.type !== 'sgd') {
      plain.forEach((p, i) => {
        const slot = state.slots[`w${i}`];
        assert.deepEqual(slot.shape, p.shape);
        assert.deepEqual(Array.from(slot.m), Array.from(m[i].dataSync()), `m of variable ${i}`);
        assert.deepEqual(Array.from(slot.v), Array.from(v[i].dataSync()), `v of variable ${i}`);
      });
    }
    tf.dispose([...fused, ...plain, ...m, ...v]);
    useNativeKernels(true);
  });
}

test('an optimizer given the saved state of another continues with the same bytes', () => {
  const config = CONFIGS[0];
  const straight = variables(2);
  const first = variables(3);
  const once = new Optimizer(straight, config, config.lr);
  const before = new Optimizer(first, config, config.lr);
  for (let step = 1; step <= 3; step++) {
    const grads = gradients(straight, step);
    once.apply(grads);
    before.apply(Object.fromEntries(first.map((p, i) => [p.name, grads[straight[i].name]]).filter(([, g]) => g)));
    tf.dispose(Object.values(grads));
  }
  const state = before.getState();
  const resumed = new Optimizer(first, config, config.lr);
  resumed.setState(state);
  // The saved state is a copy: further steps of the first optimizer do not change it.
  const snapshot = state.slots.w0.m.slice();
  before.apply({ [first[0].name]: tf.onesLike(first[0]) });
  assert.deepEqual(state.slots.w0.m, snapshot);
  // Undo that extra step's effect on the weights by restoring them from the straight run's copy.
  first.forEach((p, i) => p.assign(straight[i]));
  for (let step = 4; step <= STEPS; step++) {
    const grads = gradients(straight, step);
    once.apply(grads);
    resumed.apply(Object.fromEntries(first.map((p, i) => [p.name, grads[straight[i].name]]).filter(([, g]) => g)));
    tf.dispose(Object.values(grads));
  }
  straight.forEach((p, i) => assert.deepEqual(Array.from(first[i].dataSync()), Array.from(p.dataSync()), `variable ${i}`));
  tf.dispose([...straight, ...first]);
});

test('an update in place leaves a tensor that shares the variable storage as it was', () => {
  const [p] = variables(4);
  const optimizer = new Optimizer([p], CONFIGS[0], CONFIGS[0].lr);
  const grads = gradients([p], 2);
  optimizer.apply(grads); // after this step the variable owns its storage alone
  const before = Array.from(p.dataSync());
  // tf.clone shares the storage on wasm (runtime/ops/wasm-kernels.ts: Identity by reference).
  const shared = tf.clone(p);
  optimizer.apply(grads);
  assert.deepEqual(Array.from(shared.dataSync()), before, 'the clone kept the old values');
  assert.notDeepEqual(Array.from(p.dataSync()), before, 'the variable moved');
  shared.dispose();
  optimizer.apply(grads);
  tf.dispose([p, ...Object.values(grads)]);
});
