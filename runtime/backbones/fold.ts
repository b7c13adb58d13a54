// A backbone layer's weights as its forward runs them, computed from the weights file in
// JavaScript (no tensor library, so both engines take the same bytes): kernels in HWIO (torch
// OIHW transposed), BatchNorm folded into the preceding conv (w·γ/√(var+ε), β − mean·γ/√(var+ε)),
// since the backbone is frozen.
import type { WeightNaming } from '../../compiler/weights/index.ts';
import type { NativeTensor, NativeWeights } from '../../formats/index.ts';
import type { ConvLayer } from '../tensor-ops/types.ts';

/** One convolution layer of a backbone: where its weights are in the file, and how it runs. */
export interface ConvDef extends ConvLayer {
  /** The layer's name in the graph (ONNX node scope and initializer names). */
  name: string;
  /** The kernel's name in the weights file. */
  kernel: string;
  /** The BatchNorm that follows (its name prefix and ε), folded into the kernel; or the layer's own bias. */
  bn?: { prefix: string; eps: number };
  bias?: string;
}

const BN_KEYS: Record<WeightNaming, [string, string, string, string, string]> = {
  keras: ['/', 'gamma', 'beta', 'moving_mean', 'moving_variance'],
  torchvision: ['.', 'weight', 'bias', 'running_mean', 'running_var'],
};

export interface FoldedConv {
  /** HWIO [kh, kw, Cin, Cout], or [kh, kw, C, 1] for a depthwise kernel. */
  filter: Float32Array;
  bias: Float32Array;
}

export class FoldedWeights {
  /** The layer folded last: a forward asks for its filter and then its bias. */
  private last?: { def: ConvDef; folded: FoldedConv };
  private readonly shapes = new Map<string, number[]>();

  constructor(
    private readonly weights: NativeWeights,
    private readonly naming: WeightNaming,
  ) {}

  private native(name: string): NativeTensor {
    const t = this.weights.get(name);
    if (!t) throw new Error(`internal: weight ${name} was not loaded (layout and network disagree)`);
    return t;
  }

  /** The kernel's shape in HWIO, read from the file without folding (and kept: the forward asks on every run). */
  kernelShape(def: ConvDef): number[] {
    let shape = this.shapes.get(def.kernel);
    if (!shape) {
      const [a, b, c, d] = this.native(def.kernel).shape;
      shape = this.naming === 'keras' ? [a, b, c, d] : [c, d, b, a];
      this.shapes.set(def.kernel, shape);
    }
    return shape;
  }

  /** The output channels (the bias's length). */
  channels(def: ConvDef): number {
    const shape = this.kernelShape(def);
    return def.depthwise ? shape[2] : shape[3];
  }

  fold(def: ConvDef): FoldedConv {
    if (this.last?.def !== def) this.last = { def, folded: this.compute(def) };
    return this.last.folded;
  }

  private compute(def: ConvDef): FoldedConv {
    const data = this.hwio(def.kernel);
    if (!def.bn) {
      if (!def.bias) throw new Error(`internal: layer ${def.name} has neither a BatchNorm nor a bias`);
      return { filter: data, bias: this.native(def.bias).data };
    }
    const { prefix, eps } = def.bn;
    const [sep, g, b, m, v] = BN_KEYS[this.naming];
    const gamma = this.native(`${prefix}${sep}${g}`).data;
    const beta = this.native(`${prefix}${sep}${b}`).data;
    const mean = this.native(`${prefix}${sep}${m}`).data;
    const variance = this.native(`${prefix}${sep}${v}`).data;
    // Output channels are the last axis of a conv (HWIO) and the third of a depthwise
    // [kh, kw, c, 1]; either way the channel of flat element k is k % channels.
    const channels = this.channels(def);
    const scale = new Float32Array(channels);
    const bias = new Float32Array(channels);
    for (let c = 0; c < channels; c++) {
      scale[c] = gamma[c] / Math.sqrt(variance[c] + eps);
      bias[c] = beta[c] - mean[c] * scale[c];
    }
    const filter = new Float32Array(data.length);
    for (let k = 0; k < data.length; k++) filter[k] = data[k] * scale[k % channels];
    return { filter, bias };
  }

  /** A kernel's values in HWIO. */
  private hwio(name: string): Float32Array {
    const t = this.native(name);
    if (this.naming === 'keras') return t.data;
    const [o, i, h, w] = t.shape;
    const out = new Float32Array(t.data.length);
    for (let oo = 0; oo < o; oo++)
      for (let ii = 0; ii < i; ii++)
        for (let hh = 0; hh < h; hh++) for (let ww = 0; ww < w; ww++) out[((hh * w + ww) * i + ii) * o + oo] = t.data[((oo * i + ii) * h + hh) * w + ww];
    return out;
  }
}
