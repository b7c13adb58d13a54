// The fast ops against the stock tfjs formulation on the cpu backend: values and gradients.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../runtime/backend.ts';
import {
  bmm,
  convSame,
  dense,
  depthwiseConv,
  fastOps,
  gelu,
  layerNorm,
  matmul2d,
  multiHeadAttention,
  patchEmbed,
  patchify,
  permuteChannels,
  SMALL_ATTENTION_MACS,
  stockOps,
  unpatchify,
} from '../../runtime/ops/index.ts';
import { assertClose, assertSameOp, randn } from './helpers.ts';

const TOL = 1e-5;

before(async () => {
  await initBackend('cpu');
});

test('matmul2d equals tf.matMul, gradients included', () => {
  assertSameOp(
    (a, b) => matmul2d(a as tf.Tensor2D, b as tf.Tensor2D),
    (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
    [randn([5, 7], 1), randn([7, 3], 2)],
    TOL,
    'matmul2d',
  );
});

test('dense over a 3-D input equals a batched matMul with bias', () => {
  assertSameOp(
    (x, w, b) => dense(x, w as tf.Tensor2D, b as tf.Tensor1D),
    (x, w, b) => tf.add(tf.matMul(x as tf.Tensor3D, tf.tile(tf.expandDims(w, 0), [2, 1, 1]) as tf.Tensor3D), b),
    [randn([2, 6, 5], 3), randn([5, 4], 4), randn([4], 5)],
    TOL,
    'dense',
  );
  assertSameOp(
    (x, w, b) => fastOps.dense(x, w as tf.Tensor2D, b as tf.Tensor1D),
    (x, w, b) => stockOps.dense(x, w as tf.Tensor2D, b as tf.Tensor1D),
    [randn([2, 3, 3, 5], 6), randn([5, 4], 7), randn([4], 8)],
    TOL,
    'conv1x1 vs tf.conv2d',
  );
});

test('bmm equals batched tf.matMul with transposed operand', () => {
  assertSameOp(
    (a, b) => bmm(a as tf.Tensor3D, tf.transpose(b, [0, 2, 1]) as tf.Tensor3D),
    (a, b) => tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D, false, true),
    [randn([3, 4, 5], 9), randn([3, 6, 5], 10)],
    TOL,
    'bmm',
  );
});

test('patchify/unpatchify are inverse and patchEmbed equals tf.conv2d with kernel = stride', () => {
  const x = randn([2, 8, 8, 3], 11) as tf.Tensor4D;
  for (const p of [1, 2, 4]) {
    const back = unpatchify(patchify(x, p), p, 3);
    assertClose(back, x, 0, `unpatchify(patchify) p=${p}`);
    assertSameOp(
      (xx, w, b) => patchEmbed(xx as tf.Tensor4D, w as tf.Tensor4D, b as tf.Tensor1D),
      (xx, w, b) => tf.add(tf.conv2d(xx as tf.Tensor4D, w as tf.Tensor4D, p, 'valid'), b),
      [x, randn([p, p, 3, 5], 12 + p), randn([5], 20)],
      TOL,
      `patchEmbed p=${p}`,
    );
  }
});

test('depthwiseConv (3x3 and 1x1) equals tf.depthwiseConv2d, gradients included', () => {
  for (const k of [1, 3, 5]) {
    assertSameOp(
      (x, w) => depthwiseConv(x as tf.Tensor4D, w as tf.Tensor3D),
      (x, w) => tf.depthwiseConv2d(x as tf.Tensor4D, tf.expandDims(w, 3) as tf.Tensor4D, 1, 'same'),
      [randn([2, 5, 6, 4], 30 + k), randn([k, k, 4], 40 + k)],
      TOL,
      `depthwise k=${k}`,
    );
  }
});

test('convSame (im2col) equals tf.conv2d same padding', () => {
  for (const k of [1, 3]) {
    assertSameOp(
      (x, w, b) => convSame(x as tf.Tensor4D, w as tf.Tensor4D, b as tf.Tensor1D),
      (x, w, b) => tf.add(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'), b),
      [randn([2, 5, 5, 3], 50 + k), randn([k, k, 3, 4], 60 + k), randn([4], 70)],
      TOL,
      `conv k=${k}`,
    );
  }
});

test('attention from per-head 2-D matmuls equals the batched formulation, gradients included', () => {
  assertSameOp(
    (q, k, v) => multiHeadAttention(q as tf.Tensor3D, k as tf.Tensor3D, v as tf.Tensor3D, 2, bmm),
    (q, k, v) => stockOps.attention(q as tf.Tensor3D, k as tf.Tensor3D, v as tf.Tensor3D, 2),
    [randn([2, 5, 8], 80), randn([2, 5, 8], 81), randn([2, 5, 8], 82)],
    TOL,
    'attention',
  );
});

test('fast attention picks per-head 2-D products only above the size threshold, with the same numbers', async () => {
  const batchMatMuls = async (fn: () => void) => (await tf.profile(() => tf.tidy(fn))).kernels.filter((k) => k.name === 'BatchMatMul').length;
  // 64 tokens × 16 dims per head: below the threshold → 2 batched matMuls for the whole batch.
  const small = [randn([2, 64, 32], 90), randn([2, 64, 32], 91), randn([2, 64, 32], 92)] as tf.Tensor3D[];
  assert.ok(64 * 64 * 16 < SMALL_ATTENTION_MACS);
  assert.equal(await batchMatMuls(() => void fastOps.attention(small[0], small[1], small[2], 2)), 2, 'small: batched');
  // 256 tokens × 16 dims: above → one 2-D product per (sample, head) and per factor.
  const large = [randn([1, 256, 32], 93), randn([1, 256, 32], 94), randn([1, 256, 32], 95)] as tf.Tensor3D[];
  assert.ok(256 * 256 * 16 >= SMALL_ATTENTION_MACS);
  assert.equal(await batchMatMuls(() => void fastOps.attention(large[0], large[1], large[2], 2)), 4, 'large: per (sample, head)');
  for (const [q, k, v] of [small, large]) assertClose(fastOps.attention(q, k, v, 2), stockOps.attention(q, k, v, 2), TOL, 'adaptive vs batched');
  tf.dispose([...small, ...large]);
});

test('attention from 2-D matmuls equals the batched formulation (fastOps)', () => {
  assertSameOp(
    (q, k, v) => fastOps.attention(q as tf.Tensor3D, k as tf.Tensor3D, v as tf.Tensor3D, 2),
    (q, k, v) => stockOps.attention(q as tf.Tensor3D, k as tf.Tensor3D, v as tf.Tensor3D, 2),
    [randn([2, 5, 8], 80), randn([2, 5, 8], 81), randn([2, 5, 8], 82)],
    TOL,
    'attention',
  );
});

test('layerNorm, gelu and permuteChannels match reference formulas', () => {
  tf.tidy(() => {
    const x = randn([3, 6], 90);
    const y = layerNorm(x, tf.ones([6]), tf.zeros([6]), 1e-6);
    const mean = tf.mean(y, -1);
    assertClose(mean, tf.zeros([3]), 1e-6, 'layerNorm mean');
    assertClose(tf.mean(tf.square(y), -1), tf.ones([3]), 1e-4, 'layerNorm variance');
    const g = gelu(tf.tensor1d([-1, 0, 1, 2])).arraySync() as number[];
    // Φ(x)·x with Φ the normal CDF: reference values.
    [-0.15865525, 0, 0.84134475, 1.9544997].forEach((v, i) => assert.ok(Math.abs(g[i] - v) < 1e-6, `gelu ${i}`));
  });
  const perm = [2, 0, 3, 1];
  assertSameOp(
    (x) => permuteChannels(x, perm),
    (x) => tf.gather(x, perm, 3),
    [randn([2, 2, 2, 4], 91)],
    0,
    'permute',
  );
});
