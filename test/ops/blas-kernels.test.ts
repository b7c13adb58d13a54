// The native OpenBLAS matmul (native/gemm.c, runtime/ops/blas-kernels.ts) against the wasm
// backend's own BatchMatMul in the same process: every layout the model and its gradients use.
// Where the addon is not built (no compiler or libopenblas-dev) the comparison is skipped and
// says so, unless DADF_REQUIRE_NATIVE_BLAS=1 (CI installs both and sets it): then it fails.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../runtime/backend.ts';
import { mulberry32, normalArray } from '../../runtime/model/prng.ts';
import { loadNativeBlas } from '../../runtime/native/blas.ts';
import { nativeMatmulCalls, useNativeKernels } from '../../runtime/ops/blas-kernels.ts';
import { broadcastLayout, nativeBroadcastCalls } from '../../runtime/ops/broadcast-kernels.ts';
import { repoRoot } from '../compiler/helpers.ts';

const native = loadNativeBlas();
const required = process.env.DADF_REQUIRE_NATIVE_BLAS === '1';
const skip = native.blas || required ? false : `native OpenBLAS matmul ${native.why}`;

before(async () => {
  await initBackend('wasm');
});

test('the native addon is present where CI requires it', { skip: !required && 'DADF_REQUIRE_NATIVE_BLAS is not set' }, () => {
  assert.ok(native.blas, native.blas ? '' : native.why);
});

// [a shape, b shape, transposeA, transposeB]: plain, transposed, batched, broadcast on either side, rank 4, odd sizes.
const CASES: [number[], number[], boolean, boolean][] = [
  [[7, 5], [5, 3], false, false],
  [[5, 7], [5, 3], true, false],
  [[7, 5], [3, 5], false, true],
  [[5, 7], [3, 5], true, true],
  [[4, 9, 6], [4, 6, 2], false, false],
  [[4, 6, 9], [4, 2, 6], true, true],
  [[1, 9, 6], [4, 6, 2], false, false],
  [[4, 9, 6], [6, 2], false, false],
  [[2, 3, 8, 5], [2, 3, 5, 4], false, false],
  [[2, 3, 5, 8], [1, 1, 5, 4], true, false],
  [[512, 192], [192, 576], false, false],
  [[300, 129], [257, 129], false, true],
];

/** Tensors of standard normal values, the same sequence for the same seed. */
function seededTensors(seed: number): (shape: number[]) => tf.Tensor {
  const rng = mulberry32(seed);
  return (shape) => tf.tensor(normalArray(tf.util.sizeFromShape(shape), 0, 1, rng), shape);
}

/** The product of every case on the same seeded inputs. */
function products(): Float32Array[] {
  const random = seededTensors(5);
  return CASES.map(([sa, sb, ta, tb]) => {
    const [a, b] = [random(sa), random(sb)];
    const c = tf.matMul(a, b, ta, tb);
    const values = c.dataSync() as Float32Array;
    tf.dispose([a, b, c]);
    return values;
  });
}

function assertClose(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, what);
  for (let i = 0; i < expected.length; i++) {
    const tolerance = 1e-4 * Math.max(1, Math.abs(expected[i]));
    if (Math.abs(actual[i] - expected[i]) > tolerance) assert.fail(`${what}: element ${i} is ${actual[i]}, the wasm kernel gives ${expected[i]}`);
  }
}

test('native matmul equals the wasm kernel for every layout', { skip }, () => {
  useNativeKernels(false);
  const before = nativeMatmulCalls();
  const expected = products();
  assert.equal(nativeMatmulCalls(), before, 'turned off, the native path is not called');
  useNativeKernels(true);
  const actual = products();
  assert.equal(nativeMatmulCalls() - before, CASES.length, 'every case went through the native path');
  CASES.forEach((c, i) => assertClose(actual[i], expected[i], JSON.stringify(c)));
});

test('gradients through the native matmul equal those of the wasm kernel', { skip }, () => {
  const grads = () => {
    const rng = mulberry32(9);
    const a = tf.tensor3d(normalArray(3 * 17 * 11, 0, 1, rng), [3, 17, 11]);
    const b = tf.tensor3d(normalArray(3 * 11 * 13, 0, 1, rng), [3, 11, 13]);
    const [da, db] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, y))))([a, b]);
    const values = [da.dataSync() as Float32Array, db.dataSync() as Float32Array];
    tf.dispose([a, b, da, db]);
    return values;
  };
  useNativeKernels(false);
  const expected = grads();
  useNativeKernels(true);
  const before = nativeMatmulCalls();
  const actual = grads();
  assert.ok(nativeMatmulCalls() - before >= 3, 'forward and both gradient products went native');
  assertClose(actual[0], expected[0], 'da');
  assertClose(actual[1], expected[1], 'db');
});

test('the backend line says which matmul runs; DADF_BLAS=off runs the wasm one', () => {
  const run = (env: NodeJS.ProcessEnv) =>
    spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/ops/fixtures/start-wasm.ts')], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      encoding: 'utf8',
    });
  const off = run({ DADF_BLAS: 'off' });
  assert.equal(off.status, 0, off.stderr);
  assert.match(off.stdout, /matmul: wasm \(native OpenBLAS turned off by DADF_BLAS\); element-wise: wasm 32768\n$/);
  const missing = run({ DADF_BLAS: join(repoRoot, 'native/build/no-such.node') });
  assert.equal(missing.status, 0, missing.stderr);
  assert.match(missing.stdout, /matmul: wasm \(native OpenBLAS not found: DADF_BLAS names .*no-such\.node\)/);
  if (native.blas) {
    const on = run({});
    assert.equal(on.status, 0, on.stderr);
    assert.match(on.stdout, /matmul: native OpenBLAS \S+ \(\w+ kernels\), 2 threads; element-wise: native, 2 OpenMP threads 32768\n$/);
  }
});

// [big shape, small shape]: a bias [C], a map [H,W,C], [1,1,1,C], a per-sample [N,1,1,1], [N,H,1,1], and one the kernel leaves to stock ([N,1,W,C]).
const BROADCASTS: [number[], number[]][] = [
  [[3, 5, 4, 6], [6]],
  [
    [3, 5, 4, 6],
    [5, 4, 6],
  ],
  [
    [3, 5, 4, 6],
    [1, 1, 1, 6],
  ],
  [
    [3, 5, 4, 6],
    [3, 1, 1, 1],
  ],
  [
    [3, 5, 4, 6],
    [3, 5, 1, 1],
  ],
  [
    [3, 5, 4, 6],
    [3, 1, 4, 6],
  ],
];

function broadcasts(): Float32Array[] {
  const random = seededTensors(13);
  return BROADCASTS.flatMap(([bigShape, smallShape]) => {
    const [big, small] = [random(bigShape), tf.add(random(smallShape), 3)];
    const outs = [tf.add, tf.sub, tf.mul, tf.div].flatMap((op) => [op(big, small), op(small, big)]);
    const values = outs.map((t) => t.dataSync() as Float32Array);
    tf.dispose([big, small, ...outs]);
    return values;
  });
}

test('broadcast add, sub, mul and div through the addon give the bytes of the wasm kernels', { skip }, () => {
  useNativeKernels(false);
  const expected = broadcasts();
  useNativeKernels(true);
  const before = nativeBroadcastCalls();
  const actual = broadcasts();
  assert.equal(nativeBroadcastCalls() - before, (BROADCASTS.length - 1) * 8, 'all but the last case went native');
  assert.equal(actual.length, BROADCASTS.length * 8);
  actual.forEach((values, i) => assert.deepEqual(values, expected[i], `case ${JSON.stringify(BROADCASTS[Math.floor(i / 8)])}, op ${i % 8}`));
});

test('broadcastLayout: repeated, stretched, or not handled', () => {
  assert.deepEqual(broadcastLayout([6], [3, 5, 4, 6]), { stretch: false, block: 6 });
  assert.deepEqual(broadcastLayout([1, 4, 6], [3, 5, 4, 6]), { stretch: false, block: 24 });
  assert.deepEqual(broadcastLayout([3, 1, 1, 1], [3, 5, 4, 6]), { stretch: true, block: 120 });
  assert.deepEqual(broadcastLayout([3, 5, 1, 1], [3, 5, 4, 6]), { stretch: true, block: 24 });
  assert.equal(broadcastLayout([3, 1, 4, 6], [3, 5, 4, 6]), undefined);
  assert.equal(broadcastLayout([5, 1], [3, 5, 4, 6]), undefined);
});
