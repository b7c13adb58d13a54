// The flow: exact inverse, and log|det J| against the Jacobian computed with autodiff.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../runtime/backend.ts';
import { fastOps } from '../../runtime/ops/index.ts';
import { splitSizes } from '../../compiler/blocks/flow.ts';
import { ScaleFlow } from '../../runtime/model/flow.ts';
import { declareFlow } from '../../runtime/model/declare.ts';
import { TfjsOps } from '../../runtime/tensor-ops/tfjs.ts';
import { ParamStore } from '../../runtime/model/params.ts';
import { normalArray, mulberry32 } from '../../runtime/model/prng.ts';
import { tinySpec } from './tiny-spec.ts';

before(async () => {
  await initBackend('cpu');
});

/** A flow whose parameters are moved far from their init, so the map is clearly non-trivial. */
function scrambledFlow(channels: number, size: number, steps: number, subnet?: ReturnType<typeof tinySpec>['flow']['subnet'], position = 0) {
  const spec = tinySpec({ flow: { steps, ...(subnet ? { subnet } : {}), subnet_scale: 1, position } });
  const store = new ParamStore(3);
  declareFlow(store, spec, 0, size, channels, 3);
  const ops = new TfjsOps(fastOps, store);
  const flow = new ScaleFlow(ops, spec, 0, size, channels);
  const rng = mulberry32(17);
  const weights = store.getWeights();
  for (const [name, w] of Object.entries(weights)) {
    if (name.endsWith('.perm')) continue;
    const noise = normalArray(w.data.length, 0, 0.5, rng);
    w.data = w.data.map((v, i) => v + noise[i]);
  }
  store.setWeights(weights);
  return { flow, store, ops };
}

test('coupling split: x1 gets ⌈C/2⌉ channels, x2 the rest', () => {
  assert.deepEqual(splitSizes(4), [2, 2]);
  assert.deepEqual(splitSizes(5), [3, 2]);
});

for (const position of [0, 8])
  test(`inverse(forward(x)) recovers x${position ? ' (position code of 8 channels)' : ''}`, () => {
    const { flow, store, ops } = scrambledFlow(6, 4, 4, undefined, position);
    tf.tidy(() => {
      const x = tf.randomNormal([2, 4, 4, 6], 0, 1, 'float32', 5) as tf.Tensor4D;
      const { z } = flow.forwardSteps(x);
      const back = flow.inverseSteps(z);
      const diff = tf.max(tf.abs(tf.sub(back, x))).dataSync()[0];
      // Float32 round-off grows with exp(s) across steps; a wrong inverse is off by O(1).
      assert.ok(diff < 2e-3, `max |x - inverse(forward(x))| = ${diff}`);
      const moved = tf.max(tf.abs(tf.sub(z, x))).dataSync()[0];
      assert.ok(moved > 0.1, 'the flow should not be near the identity in this test');
    });
    store.dispose();
    ops.dispose();
  });

/** log|det A| of a dense n×n matrix by LU with partial pivoting, in float64. */
function logAbsDet(a: number[][]): number {
  const m = a.map((r) => [...r]);
  const n = m.length;
  let sum = 0;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    [m[c], m[p]] = [m[p], m[c]];
    const pivot = m[c][c];
    sum += Math.log(Math.abs(pivot));
    for (let r = c + 1; r < n; r++) {
      const f = m[r][c] / pivot;
      for (let k = c; k < n; k++) m[r][k] -= f * m[c][k];
    }
  }
  return sum;
}

for (const [label, subnet, position] of [
  ['dwconv3x3 subnet', undefined, 0],
  ['conv3x3 subnet with gelu', ['conv3x3', 'gelu', 'conv1x1'] as ReturnType<typeof tinySpec>['flow']['subnet'], 0],
  ['dwconv3x3 subnet conditioned on a 4-channel position code', undefined, 4],
] as const) {
  test(`log|det J| equals the Jacobian's (C=4, H=W=2, ${label})`, () => {
    const { flow, store, ops } = scrambledFlow(4, 2, 3, subnet, position);
    const shape: [number, number, number, number] = [1, 2, 2, 4];
    const d = 16;
    const x = tf.randomNormal(shape, 0, 1, 'float32', 8) as tf.Tensor4D;
    const rows: number[][] = [];
    for (let j = 0; j < d; j++) {
      const g = tf.tidy(() =>
        tf
          .grad((input: tf.Tensor) => tf.sum(tf.slice(tf.reshape(flow.forwardSteps(input as tf.Tensor4D).z, [d]), [j], [1])))(x)
          .dataSync(),
      );
      rows.push(Array.from(g));
    }
    const numeric = logAbsDet(rows);
    const reported = tf.tidy(() => flow.forwardSteps(x).logdet!.dataSync()[0]);
    assert.ok(Math.abs(numeric - reported) < 1e-3 * Math.max(1, Math.abs(numeric)), `logdet ${reported} vs Jacobian ${numeric}`);
    assert.ok(Math.abs(numeric) > 0.5, `the test map should change volume (log|det| = ${numeric})`);
    x.dispose();
    store.dispose();
    ops.dispose();
  });
}

test('the position code conditions the flow: one feature vector maps to different z at different positions', () => {
  // 1×1 subnets only, so without the code every position would be treated alike.
  const subnet = ['dwconv1x1', { type: 'leaky_relu', slope: 0.1 }, 'conv1x1'] as ReturnType<typeof tinySpec>['flow']['subnet'];
  for (const position of [0, 4]) {
    const { flow, store, ops } = scrambledFlow(4, 3, 2, subnet, position);
    const spread = tf.tidy(() => {
      const x = tf.tile(tf.tensor4d([0.3, -1, 0.5, 2], [1, 1, 1, 4]), [1, 3, 3, 1]) as tf.Tensor4D;
      const z = flow.forwardSteps(x).z;
      return tf.max(tf.abs(tf.sub(z, tf.slice(z, [0, 0, 0, 0], [1, 1, 1, 4])))).dataSync()[0];
    });
    if (position) assert.ok(spread > 1e-3, `z varies with position (spread ${spread})`);
    else assert.ok(spread < 1e-6, `without the code z is the same everywhere (spread ${spread})`);
    store.dispose();
    ops.dispose();
  }
});
