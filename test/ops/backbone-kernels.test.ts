// The backbones' 1×1 and depthwise layers through the native addon (runtime/ops/backbone-kernels.ts)
// against the wasm backend's own kernels, in one process: every tap of each MobileNet, and single
// layers with each stride, padding and activation. Skipped where the addon is not built, unless
// CI requires it.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../runtime/backend.ts';
import { loadBackbone } from '../../runtime/backbones/index.ts';
import { mulberry32, normalArray } from '../../runtime/model/prng.ts';
import { useNativeKernels } from '../../runtime/ops/blas-kernels.ts';
import { nativeKernelCalls } from '../../runtime/ops/native-kernels.ts';
import { nativeSkip, worstRelative as worst } from './helpers.ts';

const skip = nativeSkip();

before(async () => {
  await initBackend('wasm');
});

/** run() with the native kernels on and off; both results, and how often `kernel` ran natively. */
function both(kernel: string, run: () => tf.Tensor): { fast: Float32Array; plain: Float32Array; shape: number[]; calls: number } {
  const before = nativeKernelCalls(kernel);
  const y = run();
  const calls = nativeKernelCalls(kernel) - before;
  useNativeKernels(false);
  try {
    const z = run();
    const out = { fast: y.dataSync() as Float32Array, plain: z.dataSync() as Float32Array, shape: y.shape, calls };
    assert.deepEqual(y.shape, z.shape);
    tf.dispose([y, z]);
    return out;
  } finally {
    useNativeKernels(true);
  }
}

const rng = mulberry32(5);
const random = (shape: number[], scale = 1) => tf.tensor(normalArray(tf.util.sizeFromShape(shape), 0, scale, rng), shape);

for (const activation of ['linear', 'relu', 'relu6'] as const) {
  test(`a 1×1 convolution with bias and ${activation}: the wasm kernel's values`, { skip }, () => {
    const [x, w, b] = [random([2, 9, 7, 24], 3), random([1, 1, 24, 40]), random([40])];
    const r = both(tf.FusedConv2D, () => tf.fused.conv2d({ x: x as tf.Tensor4D, filter: w as tf.Tensor4D, strides: 1, pad: 'same', bias: b, activation }));
    assert.equal(r.calls, 1, 'the native kernel ran');
    assert.ok(worst(r.fast, r.plain) <= 1e-5, `differs by ${worst(r.fast, r.plain)}`);
    tf.dispose([x, w, b]);
  });
}

for (const [stride, pad, size] of [
  [1, 'same', 9],
  [2, 'same', 10],
  [2, 'same', 9],
  [2, 'valid', 11],
  [1, 1, 8],
] as const) {
  test(`a depthwise 3×3 layer at stride ${stride}, padding ${pad}, ${size}×${size}: the wasm kernel's values`, { skip }, () => {
    const [x, w, b] = [random([2, size, size, 40]), random([3, 3, 40, 1]), random([40])];
    const r = both(tf.FusedDepthwiseConv2D, () =>
      tf.fused.depthwiseConv2d({ x: x as tf.Tensor4D, filter: w as tf.Tensor4D, strides: stride, pad, bias: b, activation: 'relu6' }),
    );
    assert.equal(r.calls, 1, 'the native kernel ran');
    assert.ok(worst(r.fast, r.plain) <= 1e-5, `differs by ${worst(r.fast, r.plain)}`);
    tf.dispose([x, w, b]);
  });
}

test('every tap of the bundled MobileNetV1 α0.25 (random weights) agrees with the wasm kernels', { skip }, async () => {
  const backbone = await loadBackbone({
    arch: 'mobilenet_v1',
    alpha: 0.25,
    random: true,
    seed: 3,
    taps: ['conv_pw_3', 'conv_pw_5', 'conv_pw_11', 'conv_pw_13'],
  });
  const image = random([2, 96, 96, 3], 60);
  for (const tap of ['conv_pw_3', 'conv_pw_5', 'conv_pw_11', 'conv_pw_13']) {
    const r = both(tf.FusedConv2D, () => {
      const taps = backbone.extract(image as tf.Tensor4D);
      const t = taps[tap];
      tf.dispose(Object.values(taps).filter((o) => o !== t));
      return t;
    });
    assert.ok(r.calls > 0, 'native 1×1 layers ran');
    assert.ok(worst(r.fast, r.plain) <= 1e-4, `${tap} differs by ${worst(r.fast, r.plain)}`);
  }
  tf.dispose(image);
  backbone.dispose();
});

for (const [from, to, align, half] of [
  [[2, 8, 8, 1], [128, 128], false, true],
  [[1, 5, 7, 3], [16, 9], false, true],
  [[1, 5, 7, 3], [16, 9], true, false],
  [[1, 6, 6, 2], [3, 4], false, false],
] as const) {
  test(`bilinear resizing [${from}] → ${to.join('×')} (align corners ${align}, half-pixel ${half}): the wasm kernel's values`, { skip }, () => {
    const x = random([...from]);
    const r = both(tf.ResizeBilinear, () => tf.image.resizeBilinear(x as tf.Tensor4D, [to[0], to[1]], align, half));
    assert.equal(r.calls, 1, 'the native kernel ran');
    assert.ok(worst(r.fast, r.plain) <= 1e-6, `differs by ${worst(r.fast, r.plain)}`);
    tf.dispose(x);
  });
}
