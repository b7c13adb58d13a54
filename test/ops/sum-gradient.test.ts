// Sum's gradient (runtime/gradients.ts) fills its ones on the backend instead of in JavaScript;
// it must still be dy spread over the summed axes, exactly, for every layout of axes.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../runtime/backend.ts';
import { mulberry32, normalArray } from '../../runtime/model/prng.ts';

before(async () => {
  await initBackend('wasm');
});

const CASES: { shape: number[]; axes: number[]; keepDims: boolean }[] = [
  { shape: [2, 4, 4, 40], axes: [3], keepDims: false },
  { shape: [2, 4, 4, 40], axes: [1, 2, 3], keepDims: false },
  { shape: [2, 4, 4, 40], axes: [0], keepDims: true },
  { shape: [2, 4, 4, 40], axes: [1, 2], keepDims: true },
  { shape: [3, 5], axes: [0, 1], keepDims: false },
  // Above the native kernels' threading limit.
  { shape: [4, 32, 32, 24], axes: [3], keepDims: false },
];

for (const { shape, axes, keepDims } of CASES) {
  test(`the gradient of a sum over axes ${axes} of [${shape}] (keepDims ${keepDims}) is the upstream gradient spread over them`, () => {
    const rng = mulberry32(shape.length + axes.length);
    const x = tf.tensor(normalArray(tf.util.sizeFromShape(shape), 0, 1, rng), shape);
    const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const dyValues = normalArray(tf.util.sizeFromShape(outShape), 0, 1, rng);
    const dy = tf.tensor(dyValues, keepDims ? outShape : outShape.filter((_, i) => !axes.includes(i)));
    const before = tf.memory().numTensors;
    const grad = tf.grad((t: tf.Tensor) => tf.sum(t, axes, keepDims))(x, dy);
    assert.equal(tf.memory().numTensors, before + 1, 'only the gradient is left');
    assert.deepEqual(grad.shape, shape);
    const got = grad.dataSync();
    const strides = tf.util.computeStrides(shape);
    const outStrides = tf.util.computeStrides(outShape);
    for (let flat = 0; flat < got.length; flat++) {
      const index = shape.map((_, i) => Math.floor((i < strides.length ? flat / strides[i] : flat) % shape[i]));
      const source = index.reduce((sum, k, i) => sum + (axes.includes(i) ? 0 : k * (i < outStrides.length ? outStrides[i] : 1)), 0);
      assert.ok(Object.is(got[flat], dyValues[source]), `element ${flat}: ${got[flat]} vs ${dyValues[source]}`);
    }
    tf.dispose([x, dy, grad]);
  });
}
