// The flow: exact inverse, and log|det J| against the Jacobian computed with autodiff.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../runtime/backend.ts';
import { fastOps } from '../../runtime/ops/index.ts';
import { ScaleFlow, splitSizes } from '../../runtime/model/flow.ts';
import { ParamStore } from '../../runtime/model/params.ts';
import { normalArray, mulberry32 } from '../../runtime/model/prng.ts';
import { tinySpec } from './tiny-spec.ts';

before(async () => {
  await initBackend('cpu');
});

/** A flow whose parameters are moved far from their init, so the map is clearly non-trivial. */
function scrambledFlow(channels: number, size: number, steps: number, subnet?: ReturnType<typeof tinySpec>['flow']['subnet']) {
  const spec = tinySpec({ flow: { steps, ...(subnet ? { subnet } : {}), subnet_scale: 1 } });
  const store = new ParamStore(3);
  const flow = new ScaleFlow(spec, 0, size, channels, store, fastOps, 3);
  const rng = mulberry32(17);
  const weights = store.getWeights();
  for (const [name, w] of Object.entries(weights)) {
    if (name.endsWith('.perm')) continue;
    const noise = normalArray(w.data.length, 0, 0.5, rng);
    w.data = w.data.map((v, i) => v + noise[i]);
  }
  store.setWeights(weights);
  return { flow, store };
}

test('coupling split: x1 gets ⌈C/2⌉ channels, x2 the rest', () => {
  assert.deepEqual(splitSizes(4), [2, 2]);
  assert.deepEqual(splitSizes(5), [3, 2]);
});

test('inverse(forward(x)) recovers x', () => {
  const { flow, store } = scrambledFlow(6, 4, 4);
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

for (const [label, subnet] of [
  ['dwconv3x3 subnet', undefined],
  ['conv3x3 subnet with gelu', ['conv3x3', 'gelu', 'conv1x1'] as ReturnType<typeof tinySpec>['flow']['subnet']],
] as const) {
  test(`log|det J| equals the Jacobian's (C=4, H=W=2, ${label})`, () => {
    const { flow, store } = scrambledFlow(4, 2, 3, subnet);
    const shape: [number, number, number, number] = [1, 2, 2, 4];
    const d = 16;
    const x = tf.randomNormal(shape, 0, 1, 'float32', 8) as tf.Tensor4D;
    const rows: number[][] = [];
    for (let j = 0; j < d; j++) {
      const g = tf.tidy(() =>
        tf.grad((input: tf.Tensor) => tf.sum(tf.slice(tf.reshape(flow.forwardSteps(input as tf.Tensor4D).z, [d]), [j], [1])))(x).dataSync(),
      );
      rows.push(Array.from(g));
    }
    const numeric = logAbsDet(rows);
    const reported = tf.tidy(() => flow.forwardSteps(x).logdet.dataSync()[0]);
    assert.ok(Math.abs(numeric - reported) < 1e-3 * Math.max(1, Math.abs(numeric)), `logdet ${reported} vs Jacobian ${numeric}`);
    assert.ok(Math.abs(numeric) > 0.5, `the test map should change volume (log|det| = ${numeric})`);
    x.dispose();
    store.dispose();
  });
}
