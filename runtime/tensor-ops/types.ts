// The tensor operations every block forward is written against, once, for two engines:
//   tfjs (runtime/tensor-ops/tfjs.ts): eager tensors, differentiable — training and scoring;
//   ONNX (runtime/tensor-ops/onnx.ts): symbolic values emitted into a graph — export.
// A forward generic in T never reads a concrete batch size: batch is axis 0, reshapes write it
// as -1, and `repeatBatch` copies a tensor once per sample.
//
// Layouts are the same in both engines: feature maps NHWC [N, H, W, C], tokens [N, T, W], maps
// [N, H, W]; weights keep the tfjs layouts (dense [in, out], conv [k, k, Cin, Cout], depthwise
// [k, k, C], patch embedding [p, p, Cin, E]). The ONNX engine converts at its convolutions.
// The model's blocks (runtime/model) and the frozen backbones (runtime/backbones) are written
// on this interface.

/** Resampling for `resize`: PyTorch's align_corners=False / half-pixel centres in both engines. */
/** Which queries the memorial attention takes: the memory stream's (authors' code) or the feature stream's (paper text). */
export type MemoryQuery = 'memory' | 'features';

export type ResizeMode = 'bilinear' | 'nearest';

/** What follows a backbone convolution: nothing, max(x, 0), or min(max(x, 0), 6). */
type ConvActivation = 'linear' | 'relu' | 'relu6';

/** How a frozen (backbone) convolution layer runs. */
export interface ConvLayer {
  stride: number;
  /** 'same': TensorFlow's (an odd total pads one more at the bottom/right); a number: that many zeros on every side (PyTorch). */
  pad: 'same' | number;
  activation: ConvActivation;
  /** One filter per channel: w [kh, kw, C, 1]. */
  depthwise?: boolean;
}

/** What a fused flow coupling step needs besides its tensors (runtime/model/flow.ts). */
export interface CouplingAttrs {
  /** flow.subnet_scale: the subnet's output is multiplied by it before the split into a_s, a_t. */
  scale: number;
  clamp: number;
  /** The fixed channel permutation after the step, or none. */
  perm?: number[];
}

export interface TensorOps<T> {
  readonly engine: 'tfjs' | 'onnx';

  // ------------------------------------------------------------ values
  /** A trained parameter by its declared name (compiler/blocks): tfjs variable, ONNX initializer. */
  param(name: string): T;
  /** A fixed array stored with the weights (a flow step's permutation), read now. */
  buffer(name: string): number[];
  /** A fixed tensor, computed once per engine instance under `name` and reused. */
  constant(name: string, shape: number[], values: () => Float32Array | number[]): T;
  /** Runs `body` with its graph nodes named under `name` (ONNX); tfjs just runs it. */
  scope<R>(name: string, body: () => R): R;

  // ------------------------------------------------------------ element-wise (b broadcasts; a number is a float32 scalar)
  add(a: T, b: T | number): T;
  sub(a: T, b: T | number): T;
  mul(a: T, b: T | number): T;
  div(a: T, b: T | number): T;
  maximum(a: T, b: T | number): T;
  /** (a − b)². */
  squaredDifference(a: T, b: T): T;
  neg(x: T): T;
  square(x: T): T;
  sqrt(x: T): T;
  abs(x: T): T;
  exp(x: T): T;
  log(x: T): T;
  tanh(x: T): T;
  /** log(1 + eˣ), with tfjs' float32 thresholds. */
  softplus(x: T): T;
  relu(x: T): T;
  leakyRelu(x: T, slope: number): T;
  /** Exact GELU: 0.5·x·(1 + erf(x/√2)). */
  gelu(x: T): T;

  // ------------------------------------------------------------ reductions (axes ≥ 0 or negative from the end)
  mean(x: T, axes: number[], keepDims?: boolean): T;
  sum(x: T, axes: number[], keepDims?: boolean): T;
  max(x: T, axes: number[], keepDims?: boolean): T;
  min(x: T, axes: number[], keepDims?: boolean): T;
  prod(x: T, axes: number[], keepDims?: boolean): T;
  /** The k largest values along the last axis, in descending order. */
  topk(x: T, k: number): T;

  // ------------------------------------------------------------ shape
  /** One -1 at most (the batch axis); every other size explicit. */
  reshape(x: T, shape: number[]): T;
  transpose(x: T, perm: number[]): T;
  concat(xs: T[], axis: number): T;
  /** Into `parts` equal parts, or parts of the given sizes, along `axis`. */
  split(x: T, parts: number | number[], axis: number): T[];
  stack(xs: T[], axis: number): T;
  expandDims(x: T, axis: number): T;
  squeeze(x: T, axes: number[]): T;
  /** x (no batch axis) repeated once per sample of `like`: [N, ...x.shape]. */
  repeatBatch(x: T, like: T): T;
  /**
   * y[..., i] = x[..., perm[i]] on the last axis (differentiable on every tfjs backend when perm
   * is a permutation); perm may also pick a subset (a Gaussian head's channels, scoring only).
   */
  permuteChannels(x: T, perm: number[]): T;
  /** Symmetric ("reflect" in scipy, border value repeated) padding; `pads[axis]` = [before, after]. */
  mirrorPad(x: T, pads: [number, number][]): T;

  // ------------------------------------------------------------ layers
  /** x [..., k] · w [k, n] (+ b [n]). */
  dense(x: T, w: T, b?: T): T;
  /** a [..., m, k] · b [..., k, n] (b transposed first when `transposeB`), batch axes equal. */
  matmul(a: T, b: T, transposeB?: boolean): T;
  /** LayerNorm over the axes fromAxis..last; g and b have the normalised axes' shape. */
  layerNorm(x: T, g: T, b: T, eps: number, fromAxis: number): T;
  /** Multi-head scaled dot-product attention on q, k, v [N, T, W], heads split from W. */
  attention(q: T, k: T, v: T, heads: number): T;
  /** The dual-attention block's self and memorial attention on its stacked qkv [2N, T, 3W] → [2N, T, W] (dual-attention.ts). */
  dualAttention(qkv: T, heads: number, query: MemoryQuery): T;
  /** Convolution with kernel = stride = p on NHWC x; w [p, p, Cin, E]. */
  patchEmbed(x: T, w: T, b?: T): T;
  /** k×k convolution (k odd), stride 1, 'same' zero padding; w [k, k, Cin, Cout]. */
  conv(x: T, w: T, b?: T): T;
  /** Depthwise k×k (k odd), stride 1, 'same' zero padding, no bias; w [k, k, C]. */
  depthwiseConv(x: T, w: T): T;
  /** Plain 2-D convolution, stride 1, no padding; w [kh, kw, Cin, Cout] (a fixed filter). */
  convValid(x: T, w: T): T;
  /**
   * A backbone's convolution layer, bias and activation fused (what its forward runs on every
   * image): NHWC x; w [kh, kw, Cin, Cout] (depthwise [kh, kw, C, 1]); b [Cout].
   */
  convLayer(x: T, w: T, b: T, layer: ConvLayer): T;
  /**
   * size×size max pooling with `stride` over NHWC x, `pad` zeros on every side. x must be ≥ 0
   * where it is padded (it follows a ReLU): zeros then give PyTorch's −∞-padded maximum.
   */
  maxPool(x: T, size: number, stride: number, pad: number): T;
  /** NHWC [N, H, W, C] → [N, size, size, C]. */
  resize(x: T, size: number, mode: ResizeMode): T;

  // ------------------------------------------------------------ fused (optional)
  /**
   * A flow coupling step in one kernel where the engine has one (tfjs on wasm with the native
   * addon), on x held as its halves x1 [N, H, W, c1], x2 [N, H, W, c2]: z = perm([x1 | x2·exp(s) + t]·g + offset)
   * as its halves z1, z2, and Σ s per sample [N], from the subnet's raw output h (s = clamp·tanh(scale·a_s),
   * t = scale·a_t). Undefined where not: runtime/model/flow.ts then computes the same step in the ops above.
   */
  fusedCoupling?(x1: T, x2: T, h: T, g: T, offset: T, attrs: CouplingAttrs): { z1: T; z2: T; sdet: T } | undefined;
  /** leakyRelu(x + b, slope) (relu: slope 0) in one kernel where the engine has one; undefined where not. */
  fusedBiasLeakyRelu?(x: T, b: T, slope: number): T | undefined;
}
