// Shared helpers for op tests: seeded inputs and max-abs-difference checks.
import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';

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
