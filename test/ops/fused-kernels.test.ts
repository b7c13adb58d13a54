// The fused native LayerNorm, GELU and attention (native/layernorm.c, gelu.c, attention.c; runtime/ops/fused-kernels.ts)
// and the transpose-free matmul2d gradients against the plain formulation on the wasm kernels,
// in one process: values and gradients, on shapes below and above the addon's one-thread limit
// (32768 elements), with many rows (each thread takes rows) and with one row (the threads share
// it). Skipped where the addon is not built, unless CI requires it.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../runtime/backend.ts';
import { mulberry32, normalArray } from '../../runtime/model/prng.ts';
import { loadNativeBlas } from '../../runtime/native/blas.ts';
import { useNativeKernels } from '../../runtime/ops/blas-kernels.ts';
import { fusedLayerNormFits } from '../../runtime/ops/fused-kernels.ts';
import { fastOps } from '../../runtime/ops/index.ts';
import { matmul2d } from '../../runtime/ops/matmul.ts';
import { nativeKernelCalls } from '../../runtime/ops/native-kernels.ts';
import { gelu, layerNorm, plainGelu } from '../../runtime/ops/nn.ts';
import { plainTfjsOps } from '../../runtime/tensor-ops/tfjs.ts';
import { nativeSkip } from './helpers.ts';

const skip = nativeSkip();

before(async () => {
  await initBackend('wasm');
});

/** Standard normal tensors (times scale, plus shift), the same sequence for the same seed. */
function seeded(seed: number): (shape: number[], scale?: number, shift?: number) => tf.Tensor {
  const rng = mulberry32(seed);
  return (shape, scale = 1, shift = 0) => tf.tensor(normalArray(tf.util.sizeFromShape(shape), shift, scale, rng), shape);
}

/** The value of f and its gradients for every input, under a random linear read-out (so no gradient is trivially uniform). */
function valueAndGrads(f: (...xs: tf.Tensor[]) => tf.Tensor, shapes: number[][], seed: number): Float32Array[] {
  const random = seeded(seed);
  // Inputs away from zero mean and unit scale, as activations are: the norm must remove both.
  const inputs = shapes.map((s, i) => random(s, i === 0 ? 3 : 1, i === 0 ? 0.5 : 1));
  const y = tf.tidy(() => f(...inputs));
  const readout = random(y.shape);
  const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), readout)))(inputs);
  const values = [y, ...grads].map((t) => t.dataSync() as Float32Array);
  tf.dispose([...inputs, y, readout, ...grads]);
  return values;
}

/** Runs `compute` with the native kernels off (the plain formulation) and on; checks that `kernels` ran natively only when on. */
function plainAndFused<T>(kernels: string[], compute: () => T): { plain: T; fused: T } {
  const calls = () => kernels.map((k) => nativeKernelCalls(k));
  useNativeKernels(false);
  const before = calls();
  const plain = compute();
  assert.deepEqual(calls(), before, 'turned off, no fused kernel runs');
  useNativeKernels(true);
  const fused = compute();
  calls().forEach((n, i) => assert.ok(n > before[i], `${kernels[i]} ran natively`));
  return { plain, fused };
}

/** |fused − plain| ≤ tolerance · max(1, |plain|) element by element. */
function assertClose(fused: Float32Array[], plain: Float32Array[], tolerance: number, what: string): number {
  let worst = 0;
  plain.forEach((p, k) => {
    assert.equal(fused[k].length, p.length, `${what}, output ${k}: length`);
    for (let i = 0; i < p.length; i++) {
      const error = Math.abs(fused[k][i] - p[i]) / Math.max(1, Math.abs(p[i]));
      if (!(error <= tolerance)) assert.fail(`${what}, output ${k} (0: value, then the gradients), element ${i}: ${fused[k][i]} against ${p[i]}`);
      worst = Math.max(worst, error);
    }
  });
  return worst;
}

// [x shape, first normalised axis, g and b shape]: token norms (last axis) and the flow's input norm (H, W, C per sample).
const NORMS: [number[], number, number[]][] = [
  [[3, 5, 7], 2, [7]],
  [[8, 64, 96], 2, [96]],
  [[2, 4, 4, 3], 1, [4, 4, 3]],
  [[3, 32, 32, 24], 1, [32, 32, 24]],
  [[1, 64, 64, 16], 1, [64, 64, 16]],
  [[2, 8, 8, 6], 1, [1, 8, 8, 6]],
];

test('the fused LayerNorm gives the plain formulation’s values and gradients to float rounding', { skip }, () => {
  for (const [shape, from, affine] of NORMS) {
    const axes = Array.from({ length: shape.length - from }, (_, i) => from + i);
    const f = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => layerNorm(x, g, b, 1e-5, axes);
    const { plain, fused } = plainAndFused(['DadfLayerNorm', 'DadfLayerNormGrad'], () => valueAndGrads(f, [shape, affine, affine], 7));
    // Measured: ≤ 2·10⁻⁷ on small rows, ≤ 1.6·10⁻⁵ where the wasm kernels add 1 000–65 000 floats
    // in float (their own rounding; the fused kernel adds its row sums in double).
    assertClose(fused, plain, 1e-4, `layerNorm of [${shape}] from axis ${from}`);
  }
});

test('GELU fused into one kernel each way gives the plain formulation’s values and gradients', { skip }, () => {
  for (const shape of [
    [3, 7, 11],
    [2, 64, 301],
  ]) {
    const { plain, fused } = plainAndFused(['DadfGelu', 'DadfGeluGrad'], () => valueAndGrads(gelu, [shape], 3));
    assertClose(fused, plain, 1e-6, `gelu of [${shape}]`); // measured ≤ 6.2·10⁻⁷
    // Against the plain formulation on the native element-wise kernels (the same erff): the same float operations in the same order.
    const [onNative] = valueAndGrads(plainGelu, [shape], 3);
    assert.deepEqual(fused[0], onNative, `gelu of [${shape}]: the same values as the plain formulation on the native kernels`);
  }
});

test('attention fused into one kernel each way gives the plain formulation’s values and gradients', { skip }, () => {
  // [q shape, k and v shape, heads]: self-attention at both sides of the threading limit, and keys of another length.
  const cases: [number[], number[], number][] = [
    [[2, 5, 12], [2, 5, 12], 3],
    [[2, 256, 48], [2, 256, 48], 2],
    [[3, 6, 8], [3, 9, 8], 2],
  ];
  for (const [qShape, kShape, heads] of cases) {
    const f = (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) => fastOps.attention(q as tf.Tensor3D, k as tf.Tensor3D, v as tf.Tensor3D, heads);
    const { plain, fused } = plainAndFused(['DadfAttention', 'DadfAttentionGrad'], () => valueAndGrads(f, [qShape, kShape, kShape], 11));
    // Measured ≤ 2.2·10⁻⁵ with these sharp scores (q ~ 3·N(0.5, 1)): the softmax gradient p·(dp − Σ dp·p) cancels, and
    // the plain formulation on the native kernels differs from itself on the wasm kernels by as much (≤ 9·10⁻⁶ in one run).
    assertClose(fused, plain, 1e-4, `attention of q [${qShape}], k and v [${kShape}], ${heads} heads`);
  }
});

test('the dual attention on stacked qkv, fused, gives the split formulation’s values and gradients for either memory query', { skip }, () => {
  for (const query of ['memory', 'features'] as const) {
    for (const [shape, heads] of [
      [[4, 5, 36], 3],
      [[4, 64, 144], 4],
    ] as [number[], number][]) {
      const f = (qkv: tf.Tensor) => plainTfjsOps.dualAttention(qkv, heads, query);
      const { plain, fused } = plainAndFused(['DadfDualAttention', 'DadfDualAttentionGrad'], () => valueAndGrads(f, [shape], 13));
      assertClose(fused, plain, 1e-4, `dual attention (${query} query) of qkv [${shape}], ${heads} heads`);
    }
  }
});

test('matmul2d’s gradients with transpose flags equal products with explicit transposes', { skip }, () => {
  for (const [m, k, n] of [
    [5, 7, 3],
    [300, 96, 200],
  ]) {
    const random = seeded(5);
    const [a, b, dy] = [random([m, k]), random([k, n]), random([m, n])];
    const transposes = nativeKernelCalls('Transpose');
    const flagged = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(matmul2d(x as tf.Tensor2D, y as tf.Tensor2D), dy)))([a, b]);
    assert.equal(nativeKernelCalls('Transpose'), transposes, 'no transpose on the native path');
    const explicit = [tf.matMul(dy, tf.transpose(b)), tf.matMul(tf.transpose(a), dy)];
    const values = (ts: tf.Tensor[]) => ts.map((t) => t.dataSync() as Float32Array);
    // OpenBLAS may order a transposed operand's sums differently: float rounding, not the same bytes.
    assertClose(values(flagged), values(explicit), 1e-5, `matmul2d [${m},${k}]·[${k},${n}]`);
    tf.dispose([a, b, dy, ...flagged, ...explicit]);
  }
});

test('the fused LayerNorm takes only trailing axes with a per-element affine; the rest stays plain', { skip }, () => {
  const x = tf.zeros([2, 4, 4, 3]);
  const fits = (axes: number[], g: number[], b = g) => fusedLayerNormFits(x, tf.ones(g), tf.zeros(b), axes);
  assert.equal(fits([-1], [3]), true);
  assert.equal(fits([1, 2, 3], [4, 4, 3]), true);
  assert.equal(fits([1, 2, 3], [1, 4, 4, 3], [4, 4, 3]), true);
  assert.equal(fits([1, 2, 3], [3]), false, 'g broadcast over H and W: plain');
  assert.equal(fits([1, 2], [4, 4]), false, 'not up to the last axis');
  assert.equal(fits([1, 3], [4, 3]), false, 'axes with a gap');
  assert.equal(fits([-1], [3], [1]), false, 'b of another shape');
  useNativeKernels(false);
  assert.equal(fits([-1], [3]), false, 'native kernels off');
  useNativeKernels(true);
});

test('the fused kernels refuse arrays that do not fit, with a message and no crash', { skip }, () => {
  const blas = loadNativeBlas().blas!;
  const f = (n: number) => new Float32Array(n);
  assert.throws(() => blas.layerNorm!(f(6), f(3), f(3), f(6), f(2), f(1), 2, 3, 1e-5), /sizes given/);
  assert.throws(() => blas.layerNormGrad!(f(6), f(6), f(3), f(2), f(2), f(6), f(3), f(3), 0, 3), /rows ≥ 1/);
  assert.throws(() => blas.gelu!(f(4), f(3)), /one length/);
  assert.throws(() => blas.geluGrad!(f(4), f(4), f(5)), /one length/);
  assert.throws(() => blas.attention!(f(24), f(24), f(24), f(24), f(17), 1, 3, 3, 8, 2, 0.5), /fitting sizes/);
  assert.throws(() => blas.attention!(f(24), f(24), f(24), f(24), f(18), 1, 3, 3, 8, 3, 0.5), /fitting sizes/);
  assert.throws(() => blas.attentionGrad!(f(24), f(24), f(24), f(24), f(18), f(24), f(24), f(20), 1, 3, 3, 8, 2, 0.5), /fitting sizes/);
  assert.throws(() => blas.dualAttention!(f(72), f(24), f(18), 1, 3, 3, 8, 2, 0.5, true), /n even/);
  assert.throws(() => blas.dualAttention!(f(140), f(48), f(36), 2, 3, 3, 8, 2, 0.5, true), /fitting sizes/);
});
