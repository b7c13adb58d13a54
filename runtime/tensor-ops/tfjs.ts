// TensorOps on eager tfjs tensors: what training and tfjs scoring run. Each op is the tfjs call
// the model made before the forward was shared, so values and gradients are unchanged; dense,
// attention and the convolutions go through the kernel formulation (runtime/ops: fastOps by
// default, whose custom kernels keep wasm on XNNPACK and train on every backend).
import * as tf from '@tensorflow/tfjs-core';
import { bmm, fastOps, gelu, layerNorm, permuteChannels, type Ops } from '../ops/index.ts';
import { biasLeakyRelu } from '../ops/bias-activation.ts';
import { fusedCoupling } from '../ops/coupling-kernel.ts';
import { fusedDualAttention, fusedDualAttentionFits } from '../ops/fused-kernels.ts';
import { splitDualAttention } from './dual-attention.ts';
import type { CouplingAttrs, ConvLayer, MemoryQuery, ResizeMode, TensorOps } from './types.ts';

/** Where `param` and `buffer` read: a model's ParamStore. */
export interface ParamSource {
  variable(name: string): tf.Variable;
  buffer(name: string): number[];
}

export class TfjsOps implements TensorOps<tf.Tensor> {
  readonly engine = 'tfjs';
  private readonly constants = new Map<string, tf.Tensor>();

  constructor(
    readonly kernels: Ops = fastOps,
    private readonly params?: ParamSource,
  ) {}

  private source(): ParamSource {
    if (!this.params) throw new Error('internal: these tfjs ops have no parameters');
    return this.params;
  }

  param(name: string): tf.Tensor {
    return this.source().variable(name);
  }
  buffer(name: string): number[] {
    return this.source().buffer(name);
  }
  constant(name: string, shape: number[], values: () => Float32Array | number[]): tf.Tensor {
    let t = this.constants.get(name);
    if (!t) {
      // Kept out of any enclosing tidy: it lives as long as these ops (dispose()).
      t = tf.keep(tf.tensor(values(), shape, 'float32'));
      this.constants.set(name, t);
    }
    return t;
  }
  scope<R>(_name: string, body: () => R): R {
    return body();
  }
  dispose(): void {
    for (const t of this.constants.values()) t.dispose();
    this.constants.clear();
  }

  add = (a: tf.Tensor, b: tf.Tensor | number) => tf.add(a, b);
  sub = (a: tf.Tensor, b: tf.Tensor | number) => tf.sub(a, b);
  mul = (a: tf.Tensor, b: tf.Tensor | number) => tf.mul(a, b);
  div = (a: tf.Tensor, b: tf.Tensor | number) => tf.div(a, b);
  maximum = (a: tf.Tensor, b: tf.Tensor | number) => tf.maximum(a, b);
  squaredDifference = (a: tf.Tensor, b: tf.Tensor) => tf.squaredDifference(a, b);
  neg = (x: tf.Tensor) => tf.neg(x);
  square = (x: tf.Tensor) => tf.square(x);
  sqrt = (x: tf.Tensor) => tf.sqrt(x);
  abs = (x: tf.Tensor) => tf.abs(x);
  exp = (x: tf.Tensor) => tf.exp(x);
  log = (x: tf.Tensor) => tf.log(x);
  tanh = (x: tf.Tensor) => tf.tanh(x);
  softplus = (x: tf.Tensor) => tf.softplus(x);
  relu = (x: tf.Tensor) => tf.relu(x);
  leakyRelu = (x: tf.Tensor, slope: number) => tf.leakyRelu(x, slope);
  gelu = (x: tf.Tensor) => gelu(x);

  mean = (x: tf.Tensor, axes: number[], keepDims = false) => tf.mean(x, axes, keepDims);
  sum = (x: tf.Tensor, axes: number[], keepDims = false) => tf.sum(x, axes, keepDims);
  max = (x: tf.Tensor, axes: number[], keepDims = false) => tf.max(x, axes, keepDims);
  min = (x: tf.Tensor, axes: number[], keepDims = false) => tf.min(x, axes, keepDims);
  prod = (x: tf.Tensor, axes: number[], keepDims = false) => tf.prod(x, axes, keepDims);
  topk = (x: tf.Tensor, k: number) => tf.topk(x, k).values;

  reshape = (x: tf.Tensor, shape: number[]) => tf.reshape(x, shape);
  transpose = (x: tf.Tensor, perm: number[]) => tf.transpose(x, perm);
  concat = (xs: tf.Tensor[], axis: number) => tf.concat(xs, axis);
  split = (x: tf.Tensor, parts: number | number[], axis: number) => tf.split(x, parts, axis);
  stack = (xs: tf.Tensor[], axis: number) => tf.stack(xs, axis);
  expandDims = (x: tf.Tensor, axis: number) => tf.expandDims(x, axis);
  squeeze = (x: tf.Tensor, axes: number[]) => tf.squeeze(x, axes);
  repeatBatch = (x: tf.Tensor, like: tf.Tensor) => tf.tile(tf.expandDims(x, 0), [like.shape[0], ...x.shape.map(() => 1)]);
  permuteChannels = (x: tf.Tensor, perm: number[]) => permuteChannels(x, perm);
  mirrorPad = (x: tf.Tensor, pads: [number, number][]) => tf.mirrorPad(x, pads, 'symmetric');

  dense = (x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor) => this.kernels.dense(x, w as tf.Tensor2D, b as tf.Tensor1D | undefined);
  // Batched products as plain 2-D ones (bmm): on wasm only those reach XNNPACK.
  matmul = (a: tf.Tensor, b: tf.Tensor, transposeB = false) =>
    !transposeB && a.rank === 3 && b.rank === 3 ? bmm(a as tf.Tensor3D, b as tf.Tensor3D) : tf.matMul(a, b, false, transposeB);
  layerNorm = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor, eps: number, fromAxis: number) => {
    const from = fromAxis < 0 ? fromAxis + x.rank : fromAxis;
    return layerNorm(x, g, b, eps, from === x.rank - 1 ? [-1] : Array.from({ length: x.rank - from }, (_, i) => from + i));
  };
  attention = (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, heads: number) => this.kernels.attention(q as tf.Tensor3D, k as tf.Tensor3D, v as tf.Tensor3D, heads);
  // One native kernel each way, reading qkv in place, where the fused kernels run with the fast ops.
  dualAttention = (qkv: tf.Tensor, heads: number, query: MemoryQuery): tf.Tensor =>
    this.kernels.name === 'fast' && fusedDualAttentionFits(qkv, heads) ? fusedDualAttention(qkv, heads, query) : splitDualAttention(this, qkv, heads, query);
  patchEmbed = (x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor) => this.kernels.patchEmbed(x as tf.Tensor4D, w as tf.Tensor4D, b as tf.Tensor1D | undefined);
  conv = (x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor) => this.kernels.conv(x as tf.Tensor4D, w as tf.Tensor4D, b as tf.Tensor1D | undefined);
  depthwiseConv = (x: tf.Tensor, w: tf.Tensor) => this.kernels.depthwiseConv(x as tf.Tensor4D, w as tf.Tensor3D);
  convValid = (x: tf.Tensor, w: tf.Tensor) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'valid');
  // The backbone's layers: tfjs' fused kernels (one pass for convolution, bias and activation).
  convLayer = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, l: ConvLayer) =>
    (l.depthwise ? tf.fused.depthwiseConv2d : tf.fused.conv2d)({
      x: x as tf.Tensor4D,
      filter: w as tf.Tensor4D,
      strides: l.stride,
      pad: l.pad,
      bias: b,
      activation: l.activation,
    });
  maxPool = (x: tf.Tensor, size: number, stride: number, pad: number) => {
    const padded =
      pad > 0
        ? tf.pad(x, [
            [0, 0],
            [pad, pad],
            [pad, pad],
            [0, 0],
          ])
        : x;
    return tf.maxPool(padded as tf.Tensor4D, size, stride, 'valid');
  };
  resize = (x: tf.Tensor, size: number, mode: ResizeMode) =>
    mode === 'bilinear'
      ? tf.image.resizeBilinear(x as tf.Tensor4D, [size, size], false, true)
      : tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [size, size], false, true);
  fusedBiasLeakyRelu = (x: tf.Tensor, b: tf.Tensor, slope: number) => biasLeakyRelu(x, b, slope);
  fusedCoupling = (x1: tf.Tensor, x2: tf.Tensor, h: tf.Tensor, g: tf.Tensor, offset: tf.Tensor, attrs: CouplingAttrs) =>
    fusedCoupling(x1, x2, h, g, offset, attrs);
}

/** tfjs ops without parameters, for parameter-free forwards (scoring) run on their own. */
export const plainTfjsOps = new TfjsOps();
