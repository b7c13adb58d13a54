// A bias and a (leaky) relu as one native kernel each way (runtime/ops/bias-activation.ts,
// native/pointwise.c) against tf.add + tf.leakyRelu / tf.relu on the wasm kernels, in one process:
// values and both gradients. Skipped where the addon is not built, unless CI requires it.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../runtime/backend.ts';
import { mulberry32, normalArray } from '../../runtime/model/prng.ts';
import { biasLeakyRelu } from '../../runtime/ops/bias-activation.ts';
import { useNativeKernels } from '../../runtime/ops/blas-kernels.ts';
import { nativeKernelCalls } from '../../runtime/ops/native-kernels.ts';
import { nativeSkip } from './helpers.ts';

const skip = nativeSkip();

before(async () => {
  await initBackend('wasm');
});

for (const [shape, slope] of [
  [[2, 5, 7, 3], 0.1],
  [[2, 5, 7, 3], 0],
  [[2, 32, 32, 96], 0.1], // above the one-thread limit
] as const) {
  test(`bias + leaky relu (slope ${slope}) on [${shape}]: the plain kernels' values, the same bytes, and their gradients`, { skip }, () => {
    const rng = mulberry32(shape[3] + 10 * slope);
    const random = (s: number[]) => tf.tensor(normalArray(tf.util.sizeFromShape(s), 0, 1, rng), s);
    const [x, b, r] = [random([...shape]), random([shape[3]]), random([...shape])];
    const plainOp = (a: tf.Tensor, c: tf.Tensor) => (slope === 0 ? tf.relu(tf.add(a, c)) : tf.leakyRelu(tf.add(a, c), slope));
    const calls = nativeKernelCalls('DadfBiasLeakyReluGrad');
    const fastY = biasLeakyRelu(x, b, slope);
    assert.ok(fastY, 'the fused op runs where the addon is loaded');
    const fastGrads = tf.grads((a: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(biasLeakyRelu(a, c, slope)!, r)))([x, b]);
    assert.ok(nativeKernelCalls('DadfBiasLeakyReluGrad') > calls, 'its native gradient ran');
    useNativeKernels(false);
    const plainY = plainOp(x, b);
    const plainGrads = tf.grads((a: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(plainOp(a, c), r)))([x, b]);
    useNativeKernels(true);
    const same = (a: tf.Tensor, e: tf.Tensor) => Array.from(a.dataSync()).every((v, i) => v === e.dataSync()[i]);
    assert.ok(same(fastY, plainY), 'y: the same values');
    assert.ok(same(fastGrads[0], plainGrads[0]), 'dx: the same values');
    const db = fastGrads[1].dataSync();
    const expected = plainGrads[1].dataSync();
    const scale = Math.max(...expected.map(Math.abs));
    const worst = Math.max(...db.map((v, i) => Math.abs(v - expected[i])));
    assert.ok(worst <= 1e-5 * scale, `dbias differs by ${worst} (largest ${scale})`);
    tf.dispose([x, b, r, fastY, plainY, ...fastGrads, ...plainGrads]);
  });
}

test('the fused bias + leaky relu declines a negative slope (the sign of y no longer tells the mask)', { skip }, () => {
  const x = tf.ones([2, 3]);
  const b = tf.zeros([3]);
  assert.equal(biasLeakyRelu(x, b, -0.1), undefined);
  tf.dispose([x, b]);
});
