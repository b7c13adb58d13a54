// The native element-wise, reduction and data-movement kernels (native/elementwise.c, reduce.c,
// movement.c; runtime/ops/native-kernels.ts, native-movement.ts) against the wasm backend's own
// kernels in the same process. Arithmetic, select and data movement must give the same bytes;
// tanh, exp, log, erf and sigmoid (libm) and sums over trailing axes (16 partial sums) are
// allowed the bounds stated below. Skipped where the addon is not built, unless CI requires it.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../runtime/backend.ts';
import { mulberry32, normalArray } from '../../runtime/model/prng.ts';
import { loadNativeBlas } from '../../runtime/native/blas.ts';
import { useNativeKernels } from '../../runtime/ops/blas-kernels.ts';
import { nativeKernelCalls, reductionLayout } from '../../runtime/ops/native-kernels.ts';
import { transposeLayout } from '../../runtime/ops/native-movement.ts';
import { permuteChannels } from '../../runtime/ops/nn.ts';

const native = loadNativeBlas();
const required = process.env.DADF_REQUIRE_NATIVE_BLAS === '1';
const skip = native.blas || required ? false : `native kernels ${native.why}`;

before(async () => {
  await initBackend('wasm');
});

/** Standard normal tensors, the same sequence for the same seed. */
function seeded(seed: number): (shape: number[], scale?: number) => tf.Tensor {
  const rng = mulberry32(seed);
  return (shape, scale = 1) => tf.tensor(normalArray(tf.util.sizeFromShape(shape), 0, scale, rng), shape);
}

// Two sizes: below the addon's one-thread limit (32768 elements) and above it, odd shapes both.
const SHAPES = [
  [3, 7, 11],
  [2, 64, 301],
];

type Case = [name: string, kernel: string, run: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor, tolerance: number];
// tolerance: the largest |native − wasm| allowed, relative to max(1, |wasm|); 0 means the same bytes.
const CASES: Case[] = [
  ['tanh', 'Tanh', (x) => tf.tanh(x), 1e-6],
  ['exp', 'Exp', (x) => tf.exp(x), 1e-6],
  ['log', 'Log', (x) => tf.log(tf.add(tf.abs(x), 0.01)), 1e-6],
  ['erf', 'Erf', (x) => tf.erf(x), 1e-6],
  ['sigmoid', 'Sigmoid', (x) => tf.sigmoid(x), 1e-6],
  ['square', 'Square', (x) => tf.square(x), 0],
  ['neg', 'Neg', (x) => tf.neg(x), 0],
  ['leakyRelu', 'LeakyRelu', (x) => tf.leakyRelu(x, 0.2), 0],
  ['add', 'Add', (x, y) => tf.add(x, y), 0],
  ['sub', 'Sub', (x, y) => tf.sub(x, y), 0],
  ['mul', 'Multiply', (x, y) => tf.mul(x, y), 0],
  ['div', 'RealDiv', (x, y) => tf.div(x, y), 0],
  ['squaredDifference', 'SquaredDifference', (x, y) => tf.squaredDifference(x, y), 0],
  ['x · scalar', 'Multiply', (x) => tf.mul(x, 0.1), 0],
  ['scalar − x', 'Sub', (x) => tf.sub(tf.scalar(1.5), x), 0],
  ['x ÷ [1,1,1]', 'RealDiv', (x) => tf.div(x, tf.tensor3d([3], [1, 1, 1])), 0],
  ['x > 0', 'Greater', (x) => tf.cast(tf.greater(x, 0), 'float32'), 0],
  ['x > y', 'Greater', (x, y) => tf.cast(tf.greater(x, y), 'float32'), 0],
  ['select', 'Select', (x, y) => tf.where(tf.greater(x, y), x, y), 0],
  ['sum over leading axes', 'Sum', (x) => tf.sum(x, [0, 1]), 0],
  ['mean over the middle axis', 'Mean', (x) => tf.mean(x, 1, true), 0],
  ['sum over trailing axes', 'Sum', (x) => tf.sum(x, [1, 2]), 1e-5],
  ['sum of everything', 'Sum', (x) => tf.sum(x), 1e-5],
  ['mean over the last axis', 'Mean', (x) => tf.mean(x, -1), 1e-5],
  ['concat on the last axis', 'Concat', (x, y) => tf.concat([x, y, x], 2), 0],
  ['concat on axis 1', 'Concat', (x, y) => tf.concat([x, y], 1), 0],
  ['concat of int32', 'Concat', (x, y) => tf.cast(tf.concat([tf.cast(x, 'int32'), tf.cast(y, 'int32')], 2), 'float32'), 0],
  ['split on the last axis', 'SplitV', (x) => tf.concat(tf.split(x, [2, x.shape[2]! - 2], 2).reverse(), 2), 0],
  ['split on axis 1', 'SplitV', (x) => tf.concat(tf.split(x, [1, x.shape[1]! - 1], 1).reverse(), 1), 0],
  ['gather on the last axis', 'GatherV2', (x) => tf.gather(x, [5, 3, 0, 10, 10], 2), 0],
  ['gather with 2-D indices', 'GatherV2', (x) => tf.gather(x, tf.tensor2d([1, 0, 2, 2], [2, 2], 'int32'), -1), 0],
  ['transpose of the leading axes', 'Transpose', (x) => tf.transpose(x, [1, 0, 2]), 0],
  ['transpose of rank 4 (attention heads)', 'Transpose', (x, y) => tf.transpose(tf.stack([x, y]), [2, 1, 0, 3]), 0],
  ['transpose of a matrix', 'Transpose', (x) => tf.transpose(tf.reshape(x, [-1, x.shape[2]!])), 0],
  ['transpose of a batch of matrices', 'Transpose', (x) => tf.transpose(x, [0, 2, 1]), 0],
  ['tile along the first axis', 'Tile', (x) => tf.tile(tf.slice(x, 0, 1), [3, 1, 1]), 0],
];

function outputs(): Float32Array[] {
  const random = seeded(21);
  return SHAPES.flatMap((shape) => {
    const x = random(shape, 2);
    const y = tf.add(random(shape), tf.mul(tf.sign(random(shape)), 0.5)); // away from 0: a divisor
    return CASES.map(([, , run]) => {
      const out = tf.tidy(() => run(x, y));
      const values = out.dataSync() as Float32Array;
      tf.dispose([out]);
      return values;
    });
  });
}

test('native kernels equal the wasm kernels: the same bytes for arithmetic and data movement, float rounding for the rest', { skip }, () => {
  useNativeKernels(false);
  const counted = CASES.map(([, kernel]) => nativeKernelCalls(kernel));
  const expected = outputs();
  assert.deepEqual(
    CASES.map(([, kernel]) => nativeKernelCalls(kernel)),
    counted,
    'turned off, no native kernel runs',
  );
  useNativeKernels(true);
  const actual = outputs();
  CASES.forEach(([name, kernel], i) => assert.ok(nativeKernelCalls(kernel) > counted[i], `${name}: ${kernel} ran natively`));
  actual.forEach((values, k) => {
    const [name, , , tolerance] = CASES[k % CASES.length];
    const what = `${name} on [${SHAPES[Math.floor(k / CASES.length)]}]`;
    const wasm = expected[k];
    assert.equal(values.length, wasm.length, what);
    if (tolerance === 0) {
      assert.deepEqual(
        new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
        new Uint8Array(wasm.buffer, wasm.byteOffset, wasm.byteLength),
        `${what}: the same bytes`,
      );
      return;
    }
    for (let i = 0; i < wasm.length; i++) {
      if (!(Math.abs(values[i] - wasm[i]) <= tolerance * Math.max(1, Math.abs(wasm[i])))) {
        assert.fail(`${what}: element ${i} is ${values[i]}, the wasm kernel gives ${wasm[i]} (allowed ${tolerance} relative)`);
      }
    }
  });
});

test('gradients of a coupling-like chain equal those of the wasm kernels', { skip }, () => {
  const grads = () => {
    const random = seeded(4);
    const [x, w] = [random([4, 16, 16, 24]), random([24])];
    const f = (a: tf.Tensor, b: tf.Tensor) => {
      const [x1, x2] = tf.split(permuteChannels(a, [...Array(24).keys()].reverse()), 2, 3);
      const s = tf.mul(tf.tanh(tf.leakyRelu(tf.mul(x1, tf.slice(b, 0, 12)), 0.1)), 1.9);
      const y = tf.concat([x1, tf.mul(x2, tf.exp(s))], 3);
      return tf.add(tf.mean(tf.sum(tf.square(y), [1, 2, 3])), tf.sum(s));
    };
    const [dx, dw] = tf.grads(f)([x, w]);
    const values = [dx.dataSync() as Float32Array, dw.dataSync() as Float32Array];
    tf.dispose([x, w, dx, dw]);
    return values;
  };
  useNativeKernels(false);
  const expected = grads();
  useNativeKernels(true);
  const actual = grads();
  expected.forEach((wasm, k) => {
    for (let i = 0; i < wasm.length; i++) {
      if (!(Math.abs(actual[k][i] - wasm[i]) <= 1e-4 * Math.max(1, Math.abs(wasm[i]))))
        assert.fail(`gradient ${k}, element ${i}: ${actual[k][i]} against ${wasm[i]}`);
    }
  });
});

test('reductionLayout views a run of contiguous axes as [outer, n, inner] and refuses gaps', () => {
  assert.deepEqual(reductionLayout([2, 3, 4, 5], [0, 1, 2]), { outer: 1, n: 24, inner: 5, kept: [5] });
  assert.deepEqual(reductionLayout([2, 3, 4, 5], [-1, 1, 2]), { outer: 2, n: 60, inner: 1, kept: [2] });
  assert.deepEqual(reductionLayout([2, 3, 4, 5], 2), { outer: 6, n: 4, inner: 5, kept: [2, 3, 5] });
  assert.equal(reductionLayout([2, 3, 4, 5], [0, 2]), undefined);
});

test('transposeLayout copies runs of the trailing axes that stay, and leaves a moving last axis to the stock kernel', () => {
  assert.deepEqual(transposeLayout([2, 3, 4, 5], [0, 2, 1, 3]), {
    axes: [
      [2, 60],
      [4, 5],
      [3, 20],
    ],
    run: 5,
  });
  assert.deepEqual(transposeLayout([2, 3, 4, 5], [1, 0, 2, 3]), {
    axes: [
      [3, 20],
      [2, 60],
    ],
    run: 20,
  });
  assert.equal(transposeLayout([2, 3, 4, 5], [0, 1, 3, 2]), undefined);
  assert.equal(transposeLayout([2, 3, 4, 5], [0, 1, 2, 3]), undefined);
});

test('the native kernels refuse sizes that do not fit, with a message and no crash', { skip }, () => {
  const blas = native.blas!;
  assert.throws(() => blas.unary!(99, new Float32Array(4), new Float32Array(4), 0), /unary op or sizes/);
  assert.throws(() => blas.binary!(0, new Float32Array(4), new Float32Array(3), new Float32Array(4)), /binary op or sizes/);
  assert.throws(() => blas.reduce!(new Float32Array(4), new Float32Array(1), 2, 3, 1, 1), /reduce sizes/);
  assert.throws(() => blas.copyRows!(new Float32Array(4), 0, 4, new Float32Array(4), 1, 4, 4, 1), /exceed the arrays/);
  assert.throws(() => blas.copyRows!(new Float32Array(4), 0, 4, new Uint8Array(16), 0, 4, 4, 1), /one element size/);
  assert.throws(() => blas.gatherLast!(new Float32Array(6), Int32Array.from([3]), new Float32Array(2), 2), /index out of range/);
  assert.throws(() => blas.transpose!(new Float32Array(6), new Float32Array(6), Int32Array.from([3, 2]), 1, 4), /exceed the arrays/);
  assert.throws(() => blas.transpose2d!(new Float32Array(6), new Float32Array(6), 1, 2, 4), /exceed the arrays/);
});
