// Turns native weights into the tensors the ops use: kernels in HWIO (torch OIHW is
// transposed), BatchNorm folded into the preceding conv (w·γ/√(var+ε), β − mean·γ/√(var+ε)),
// since the backbone is frozen. Every tensor made here is tracked for dispose().
import * as tf from '@tensorflow/tfjs-core';
import type { NativeTensor, NativeWeights } from '../../formats/index.ts';
import type { WeightNaming } from '../../compiler/weights/index.ts';

export interface FoldedConv {
  filter: tf.Tensor4D;
  bias: tf.Tensor1D;
}

const BN_KEYS: Record<WeightNaming, [string, string, string, string, string]> = {
  keras: ['/', 'gamma', 'beta', 'moving_mean', 'moving_variance'],
  torchvision: ['.', 'weight', 'bias', 'running_mean', 'running_var'],
};

export class Params {
  readonly tensors: tf.Tensor[] = [];

  constructor(
    private readonly weights: NativeWeights,
    private readonly naming: WeightNaming,
  ) {}

  private native(name: string): NativeTensor {
    const t = this.weights.get(name);
    if (!t) throw new Error(`internal: weight ${name} was not loaded (layout and network disagree)`);
    return t;
  }

  private keep<T extends tf.Tensor>(t: T): T {
    this.tensors.push(t);
    return t;
  }

  /** Kernel in HWIO as a Float32Array, with its shape. */
  private hwio(name: string): { data: Float32Array; shape: [number, number, number, number] } {
    const t = this.native(name);
    if (this.naming === 'keras') return { data: t.data, shape: t.shape as [number, number, number, number] };
    const [o, i, h, w] = t.shape;
    const out = new Float32Array(t.data.length);
    for (let oo = 0; oo < o; oo++)
      for (let ii = 0; ii < i; ii++)
        for (let hh = 0; hh < h; hh++) for (let ww = 0; ww < w; ww++) out[((hh * w + ww) * i + ii) * o + oo] = t.data[((oo * i + ii) * h + hh) * w + ww];
    return { data: out, shape: [h, w, i, o] };
  }

  /** A conv kernel (`kernel` name) followed by the BatchNorm layer `bn` (its prefix), folded. */
  convBn(kernel: string, bn: string, eps: number, isDepthwise = false): FoldedConv {
    const { data, shape } = this.hwio(kernel);
    const [sep, g, b, m, v] = BN_KEYS[this.naming];
    const gamma = this.native(`${bn}${sep}${g}`).data;
    const beta = this.native(`${bn}${sep}${b}`).data;
    const mean = this.native(`${bn}${sep}${m}`).data;
    const variance = this.native(`${bn}${sep}${v}`).data;
    // Output channels: the last axis of a conv (HWIO), the third of a depthwise [kh, kw, c, 1];
    // either way the channel of flat element k is k % channels.
    const channels = isDepthwise ? shape[2] : shape[3];
    const scale = new Float32Array(channels);
    const bias = new Float32Array(channels);
    for (let c = 0; c < channels; c++) {
      scale[c] = gamma[c] / Math.sqrt(variance[c] + eps);
      bias[c] = beta[c] - mean[c] * scale[c];
    }
    const folded = new Float32Array(data.length);
    for (let k = 0; k < data.length; k++) folded[k] = data[k] * scale[k % channels];
    return { filter: this.keep(tf.tensor4d(folded, shape)), bias: this.keep(tf.tensor1d(bias)) };
  }

  /** A conv with its own bias (torchvision VGG). */
  convBias(kernel: string, bias: string): FoldedConv {
    const { data, shape } = this.hwio(kernel);
    return { filter: this.keep(tf.tensor4d(data, shape)), bias: this.keep(tf.tensor1d(this.native(bias).data)) };
  }

  dispose(): void {
    for (const t of this.tensors) t.dispose();
    this.tensors.length = 0;
  }
}

export type Activation = 'linear' | 'relu' | 'relu6';

export function conv(x: tf.Tensor4D, c: FoldedConv, stride: number, pad: 'same' | 'valid' | number, activation: Activation): tf.Tensor4D {
  return tf.fused.conv2d({ x, filter: c.filter, strides: stride, pad, bias: c.bias, activation });
}

export function depthwise(x: tf.Tensor4D, c: FoldedConv, stride: number, pad: 'same' | 'valid' | number, activation: Activation): tf.Tensor4D {
  return tf.fused.depthwiseConv2d({ x, filter: c.filter, strides: stride, pad, bias: c.bias, activation });
}

/** A forward pass from normalised NHWC input to the requested taps. */
export type Forward = (x: tf.Tensor4D) => Record<string, tf.Tensor4D>;
