// The op set the model is written against. `fastOps` trains on every backend and keeps wasm
// on its fast kernels; `stockOps` is the straightforward tfjs formulation (tf.conv2d,
// tf.depthwiseConv2d, batched/transposed tf.matMul), kept for tests and benchmarks.
import * as tf from '@tensorflow/tfjs-core';
import '../gradients.ts';
import { adaptiveAttention, batchedAttention } from './attention.ts';
import { convSame, depthwiseConv, patchEmbed } from './conv.ts';
import { bmm, dense } from './matmul.ts';

export { matmul2d, dense, bmm } from './matmul.ts';
export { patchify, unpatchify, patchEmbed, depthwiseConv, convSame } from './conv.ts';
export { layerNorm, gelu, permuteChannels } from './nn.ts';
export { multiHeadAttention, batchedAttention, SMALL_ATTENTION_MACS } from './attention.ts';

export interface Ops {
  name: 'fast' | 'stock';
  /** x [..., k] · w [k, n] + b. */
  dense(x: tf.Tensor, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor;
  /** Conv with kernel = stride = p; w [p, p, Cin, E]. */
  patchEmbed(x: tf.Tensor4D, w: tf.Tensor4D, b?: tf.Tensor1D): tf.Tensor4D;
  /** Depthwise k×k, stride 1, 'same'; w [k, k, C]. */
  depthwiseConv(x: tf.Tensor4D, w: tf.Tensor3D): tf.Tensor4D;
  /** Full k×k, stride 1, 'same'; w [k, k, Cin, Cout]. */
  conv(x: tf.Tensor4D, w: tf.Tensor4D, b?: tf.Tensor1D): tf.Tensor4D;
  /** Multi-head attention on [N, T, W]. */
  attention(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, heads: number): tf.Tensor3D;
}

export const fastOps: Ops = {
  name: 'fast',
  dense,
  patchEmbed,
  depthwiseConv,
  conv: convSame,
  attention: (q, k, v, heads) => adaptiveAttention(q, k, v, heads, bmm),
};

function stockDense(x: tf.Tensor, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor {
  // A 1×1 conv, the way a Keras/PyTorch port would write a per-position linear layer.
  const k = x.shape[x.shape.length - 1];
  const as4d = tf.reshape(x, [1, 1, -1, k]) as tf.Tensor4D;
  const y = tf.conv2d(as4d, tf.reshape(w, [1, 1, k, w.shape[1]]) as tf.Tensor4D, 1, 'valid');
  return tf.reshape(b ? tf.add(y, b) : y, [...x.shape.slice(0, -1), w.shape[1]]);
}

export const stockOps: Ops = {
  name: 'stock',
  dense: stockDense,
  patchEmbed: (x, w, b) => {
    const y = tf.conv2d(x, w, w.shape[0], 'valid');
    return b ? tf.add(y, b) : y;
  },
  depthwiseConv: (x, w) => tf.depthwiseConv2d(x, tf.reshape(w, [w.shape[0], w.shape[1], w.shape[2], 1]) as tf.Tensor4D, 1, 'same'),
  conv: (x, w, b) => {
    const y = tf.conv2d(x, w, 1, 'same');
    return b ? tf.add(y, b) : y;
  },
  attention: batchedAttention,
};
