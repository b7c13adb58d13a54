// Convolutions in forms that train on every backend (wasm has no Conv2DBackpropFilter and no
// depthwise backprop kernels) and keep XNNPACK on plain 2-D matmuls. All tensors are NHWC.
import * as tf from '@tensorflow/tfjs-core';
import { customOp } from './custom.ts';
import { nativeDepthwise, nativeDepthwiseFilterGrad } from './depthwise-kernel.ts';
import { dense, matmul2d } from './matmul.ts';

/**
 * Non-overlapping patches [N, H, W, C] → [N, H/p, W/p, p·p·C], each patch flattened in
 * (row, column, channel) order: the im2col of a conv with kernel = stride = p.
 */
export function patchify(x: tf.Tensor4D, p: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  if (p === 1) return x;
  const g = [h / p, w / p];
  const six = tf.reshape(x, [n, g[0], p, g[1], p, c]);
  return tf.reshape(tf.transpose(six, [0, 1, 3, 2, 4, 5]), [n, g[0], g[1], p * p * c]) as tf.Tensor4D;
}

/** Inverse of patchify: [N, Gh, Gw, p·p·C] → [N, Gh·p, Gw·p, C]. */
export function unpatchify(t: tf.Tensor4D, p: number, c: number): tf.Tensor4D {
  const [n, gh, gw] = t.shape;
  if (p === 1) return t;
  const six = tf.reshape(t, [n, gh, gw, p, p, c]);
  return tf.reshape(tf.transpose(six, [0, 1, 3, 2, 4, 5]), [n, gh * p, gw * p, c]) as tf.Tensor4D;
}

/**
 * Patch embedding: conv with kernel = stride = p, weight [p, p, Cin, E] (tf.conv2d layout),
 * as patchify + one 2-D matmul.
 */
export function patchEmbed(x: tf.Tensor4D, w: tf.Tensor4D, b?: tf.Tensor1D): tf.Tensor4D {
  const [p, , cin, e] = w.shape;
  return dense(patchify(x, p), tf.reshape(w, [p * p * cin, e]) as tf.Tensor2D, b) as tf.Tensor4D;
}

/** Zero-pad H and W by (k-1)/2 on each side: 'same' padding for an odd kernel k. */
function padSame(x: tf.Tensor4D, k: number): tf.Tensor4D {
  const r = (k - 1) / 2;
  return r === 0
    ? x
    : tf.pad(x, [
        [0, 0],
        [r, r],
        [r, r],
        [0, 0],
      ]);
}

/** The k·k shifted windows of a 'same'-padded input, each [N, H, W, C], row-major over (i, j). */
function windows(x: tf.Tensor4D, k: number): tf.Tensor4D[] {
  const [n, h, w, c] = x.shape;
  const padded = padSame(x, k);
  const out: tf.Tensor4D[] = [];
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) out.push(tf.slice(padded, [0, i, j, 0], [n, h, w, c]));
  return out;
}

/**
 * Depthwise k×k convolution (k odd, stride 1, 'same' zero padding, one filter per channel),
 * weight [k, k, C]. Forward uses the native kernel where it runs, else the backend's depthwise
 * kernel; the gradient is built from kernels every backend has: dx is a depthwise conv of dy with
 * the kernel rotated 180°, dw[i, j, c] = Σ_{n,h,w} window_{ij}(x) · dy (one native pass where it runs).
 */
export const depthwiseConv = customOp<[tf.Tensor4D, tf.Tensor3D], tf.Tensor4D>(([x, w], save) => {
  save([x, w]);
  const [k, , c] = w.shape;
  const filter = (f: tf.Tensor3D) => tf.reshape(f, [k, k, c, 1]) as tf.Tensor4D;
  return {
    value: k === 1 ? tf.mul(x, tf.reshape(w, [c])) : (nativeDepthwise(x, w) ?? tf.depthwiseConv2d(x, filter(w), 1, 'same')),
    gradFunc: (dy, [sx, sw]) => {
      const wt = sw as tf.Tensor3D;
      const xs = sx as tf.Tensor4D;
      if (k === 1) return [tf.mul(dy, tf.reshape(wt, [c])), tf.reshape(tf.sum(tf.mul(xs, dy), [0, 1, 2]), [1, 1, c])];
      const rotated = tf.reverse(wt, [0, 1]) as tf.Tensor3D;
      const dx = nativeDepthwise(dy, rotated) ?? tf.depthwiseConv2d(dy, filter(rotated), 1, 'same');
      const dw = nativeDepthwiseFilterGrad(xs, dy, k) ?? tf.reshape(tf.stack(windows(xs, k).map((win) => tf.sum(tf.mul(win, dy), [0, 1, 2]))), [k, k, c]);
      return [dx, dw];
    },
  };
});

/**
 * Full k×k convolution (k odd, stride 1, 'same' padding), weight [k, k, Cin, Cout], as
 * im2col (shifted slices concatenated along channels) + one 2-D matmul; autodiff handles it.
 */
export function convSame(x: tf.Tensor4D, w: tf.Tensor4D, b?: tf.Tensor1D): tf.Tensor4D {
  const [k, , cin, cout] = w.shape;
  const [n, h, wd] = x.shape;
  const cols = k === 1 ? x : tf.concat(windows(x, k), 3);
  const y = matmul2d(tf.reshape(cols, [-1, k * k * cin]) as tf.Tensor2D, tf.reshape(w, [k * k * cin, cout]) as tf.Tensor2D);
  return tf.reshape(b ? tf.add(y, b) : y, [n, h, wd, cout]) as tf.Tensor4D;
}
