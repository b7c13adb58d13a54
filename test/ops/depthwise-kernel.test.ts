// The native depthwise convolution and its filter gradient (native/depthwise.c) against the
// wasm backend's depthwise kernel and the portable gradient of runtime/ops/conv.ts, in one
// process. Skipped where the addon is not built, unless CI requires it.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../runtime/backend.ts';
import { mulberry32, normalArray } from '../../runtime/model/prng.ts';
import { useNativeKernels } from '../../runtime/ops/blas-kernels.ts';
import { depthwiseConv } from '../../runtime/ops/conv.ts';
import { nativeKernelCalls } from '../../runtime/ops/native-kernels.ts';
import { nativeSkip, worstRelative as worst } from './helpers.ts';

const skip = nativeSkip();

before(async () => {
  await initBackend('wasm');
});

/** y, dx and dw of Σ y·r for a fixed r, native kernels on or off. */
function run(x: tf.Tensor4D, w: tf.Tensor3D, r: tf.Tensor4D, on: boolean) {
  useNativeKernels(on);
  try {
    const y = depthwiseConv(x, w);
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(depthwiseConv(a as tf.Tensor4D, b as tf.Tensor3D), r)))([x, w]);
    const out = { y: y.dataSync() as Float32Array, grads: grads.map((g) => g.dataSync() as Float32Array) };
    tf.dispose([y, ...grads]);
    return out;
  } finally {
    useNativeKernels(true);
  }
}

const CASES: [shape: [number, number, number, number], k: number][] = [
  [[2, 5, 7, 3], 3],
  [[1, 6, 4, 5], 5],
  [[2, 32, 32, 96], 3], // above the one-thread limit
];

for (const [shape, k] of CASES) {
  test(`native depthwise ${k}×${k} on [${shape}]: the forward and both gradients of the portable formulation`, { skip }, () => {
    const rng = mulberry32(shape.reduce((a, b) => a + b, k));
    const t = <R extends tf.Rank>(s: number[]) => tf.tensor(normalArray(tf.util.sizeFromShape(s), 0, 1, rng), s) as unknown as tf.Tensor<R>;
    const x = t<tf.Rank.R4>(shape);
    const w = t<tf.Rank.R3>([k, k, shape[3]]);
    const r = t<tf.Rank.R4>(shape);
    const calls = nativeKernelCalls('DadfDepthwiseFilterGrad');
    const fast = run(x, w, r, true);
    assert.ok(nativeKernelCalls('DadfDepthwiseFilterGrad') > calls, 'the native filter gradient ran');
    const plain = run(x, w, r, false);
    assert.ok(worst(fast.y, plain.y) <= 1e-6, `y differs by ${worst(fast.y, plain.y)}`);
    fast.grads.forEach((g, i) => assert.ok(worst(g, plain.grads[i]) <= 1e-5, `${i ? 'dw' : 'dx'} differs by ${worst(g, plain.grads[i])}`));
    tf.dispose([x, w, r]);
  });
}
