// Backend selection and every fast op's gradient on wasm (where several stock gradient kernels
// are missing), compared with the stock formulation on cpu.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { isUserError } from '../../common/errors.ts';
import { initBackend } from '../../runtime/backend.ts';
import { fastOps, stockOps, type Ops } from '../../runtime/ops/index.ts';
import { mulberry32, normalArray } from '../../runtime/model/prng.ts';

test('an unknown or unavailable forced backend is a UserError', async () => {
  await assert.rejects(initBackend('tpu'), (e: unknown) => isUserError(e) && /unknown backend/.test((e as Error).message));
  let nativeInstalled = true;
  try {
    await import('@tensorflow/tfjs-node' as string);
  } catch {
    nativeInstalled = false;
  }
  if (!nativeInstalled) {
    await assert.rejects(initBackend('tensorflow'), (e: unknown) => isUserError(e) && (e as { hint?: string }).hint !== undefined);
  }
  const saved = process.env.DADF_BACKEND;
  process.env.DADF_BACKEND = 'cpu';
  try {
    assert.equal((await initBackend()).name, 'cpu');
  } finally {
    if (saved === undefined) delete process.env.DADF_BACKEND;
    else process.env.DADF_BACKEND = saved;
  }
});

type Case = { name: string; shapes: number[][]; run: (ops: Ops, xs: tf.Tensor[]) => tf.Tensor };
const CASES: Case[] = [
  { name: 'dense', shapes: [[2, 3, 3, 5], [5, 4], [4]], run: (o, [x, w, b]) => o.dense(x, w as tf.Tensor2D, b as tf.Tensor1D) },
  {
    name: 'patchEmbed p=2',
    shapes: [[2, 4, 4, 3], [2, 2, 3, 5], [5]],
    run: (o, [x, w, b]) => o.patchEmbed(x as tf.Tensor4D, w as tf.Tensor4D, b as tf.Tensor1D),
  },
  {
    name: 'depthwise 3x3',
    shapes: [
      [2, 5, 5, 4],
      [3, 3, 4],
    ],
    run: (o, [x, w]) => o.depthwiseConv(x as tf.Tensor4D, w as tf.Tensor3D),
  },
  { name: 'conv 3x3', shapes: [[2, 4, 4, 3], [3, 3, 3, 4], [4]], run: (o, [x, w, b]) => o.conv(x as tf.Tensor4D, w as tf.Tensor4D, b as tf.Tensor1D) },
  {
    name: 'attention',
    shapes: [
      [2, 4, 6],
      [2, 4, 6],
      [2, 4, 6],
    ],
    run: (o, [q, k, v]) => o.attention(q as tf.Tensor3D, k as tf.Tensor3D, v as tf.Tensor3D, 2),
  },
];

/** Values and input gradients of Σ r·op(xs) as plain arrays. */
function evaluate(c: Case, ops: Ops): number[][] {
  const rng = mulberry32(4);
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  return tf.tidy(() => {
    const xs = c.shapes.map((s) => tf.tensor(normalArray(size(s), 0, 1, rng), s));
    const y = c.run(ops, xs);
    const r = tf.tensor(normalArray(size(y.shape), 0, 1, rng), y.shape);
    const grads = tf.grads((...inputs: tf.Tensor[]) => tf.sum(tf.mul(c.run(ops, inputs), r)))(xs);
    return [Array.from(y.dataSync()), ...grads.map((g) => Array.from(g.dataSync()))];
  });
}

test('every fast op trains on wasm and matches the stock op on cpu', async () => {
  await initBackend('cpu');
  const reference = CASES.map((c) => evaluate(c, stockOps));
  const info = await initBackend('wasm');
  assert.equal(info.name, 'wasm');
  assert.ok(info.threads >= 1);
  CASES.forEach((c, i) => {
    const got = evaluate(c, fastOps);
    got.forEach((values, j) => {
      const diff = Math.max(...values.map((v, k) => Math.abs(v - reference[i][j][k])));
      assert.ok(diff < 1e-4, `${c.name} ${j === 0 ? 'value' : `gradient ${j - 1}`}: ${diff}`);
    });
  });
  await initBackend('cpu');
});
