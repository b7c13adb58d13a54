// Shared helpers for op tests: seeded inputs and max-abs-difference checks.
import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { loadNativeBlas } from '../../runtime/native/blas.ts';

export function randn(shape: number[], seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', seed);
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  assert.deepEqual(a.shape, b.shape, 'shapes differ');
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

export function assertClose(a: tf.Tensor, b: tf.Tensor, tol: number, what: string): void {
  const d = maxAbsDiff(a, b);
  assert.ok(d <= tol, `${what}: max |diff| ${d} > ${tol}`);
}

/**
 * Compares f and g (same inputs) in value and in the gradients of Σ r·f(inputs) with respect to
 * every input, r a fixed random cotangent.
 */
export function assertSameOp(f: (...xs: tf.Tensor[]) => tf.Tensor, g: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], tol: number, what: string): void {
  tf.tidy(() => {
    const yf = f(...inputs);
    const yg = g(...inputs);
    assertClose(yf, yg, tol, `${what} forward`);
    const r = randn(yf.shape, 99);
    const gf = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), r)))(inputs);
    const gg = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(g(...xs), r)))(inputs);
    gf.forEach((t, i) => assertClose(t, gg[i], tol, `${what} gradient ${i}`));
  });
}

/**
 * The skip option of a test that compares the native addon's kernels with the plain ones: false
 * where the addon loads or CI requires it (DADF_REQUIRE_NATIVE_BLAS=1, so a missing build fails),
 * else the reason.
 */
export function nativeSkip(): false | string {
  const native = loadNativeBlas();
  if (native.blas || process.env.DADF_REQUIRE_NATIVE_BLAS === '1') return false;
  return `native kernels ${'why' in native ? native.why : ''}`;
}

/** The largest |a − b| relative to the largest |b| (at least 1e-6). */
export function worstRelative(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 1e-6;
  let diff = 0;
  for (let i = 0; i < b.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]));
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
  }
  return diff / scale;
}
