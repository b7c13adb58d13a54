// TensorOps that emit ONNX nodes (opset 17) through runtime/export/graph.ts' GraphBuilder: what
// the export runs. A value (onnx-values.ts) is a graph name with its static shape (the batch
// axis is -1), or a known constant (a weight, a position code) that stays in JavaScript until a
// node needs it: element-wise ops on known values are folded here in float32, one rounding per
// op as tfjs computes them, so a weight's derived form (a flow step's global scale) is one
// initializer. Maps are NHWC to the forwards, as in tfjs; underneath, a map that a convolution
// made stays NCHW (ONNX's layout) through element-wise ops, channel splits, concatenations,
// permutations, norms and reductions over channels, and is transposed only where an op needs
// the NHWC order (a reshape, a product over the last axis). Weights are re-laid out to match.
import { UserError } from '../../common/errors.ts';
import type { GraphBuilder } from '../export/graph.ts';
import type { NamedWeight } from '../model/params.ts';
import { axisOf, broadcast, f32, NCHW_AXIS, NCHW_FROM_NHWC, NHWC_FROM_NCHW, OnnxValue, permute, sizeOf, softplusF32 } from './onnx-values.ts';
import { splitDualAttention } from './dual-attention.ts';
import type { ConvLayer, MemoryQuery, ResizeMode, TensorOps } from './types.ts';

export { OnnxValue } from './onnx-values.ts';

export class OnnxOps implements TensorOps<OnnxValue> {
  readonly engine = 'onnx';
  private readonly params = new Map<string, OnnxValue>();
  private readonly constants = new Map<string, OnnxValue>();
  /** Known [H, W, C] codes as NCHW [1, C, H, W], once each (a flow's position code serves every step). */
  private readonly batchable = new WeakMap<OnnxValue, OnnxValue>();

  constructor(
    readonly g: GraphBuilder,
    private readonly weights: Record<string, NamedWeight>,
  ) {}

  /** A value already in the graph (an input, a backbone tap) with its logical shape; `nchw`: a map stored NCHW. */
  value(ref: string, shape: number[], nchw = false): OnnxValue {
    return new OnnxValue(shape, ref, undefined, nchw);
  }

  /** The graph name of a value in its logical layout (for graph outputs). */
  ref(x: OnnxValue): string {
    return this.phys(this.logical(x));
  }

  /** The graph name of a rank-4 map stored NCHW (how the detector's emitters take backbone taps). */
  nchwRef(x: OnnxValue): string {
    return this.phys(this.nchw(x));
  }

  /** The graph name of a value as stored, writing a known one as an initializer on first use. */
  private phys(x: OnnxValue): string {
    if (!x.ref) x.ref = this.g.weight(x.known!.name, x.known!.data, x.physicalShape);
    return x.ref;
  }

  private node(opType: string, inputs: (OnnxValue | string)[], shape: number[], attrs = {}, nchw = false): OnnxValue {
    const refs = inputs.map((i) => (typeof i === 'string' ? i : this.phys(i)));
    return new OnnxValue(shape, this.g.node(opType, refs, attrs), undefined, nchw);
  }

  // ------------------------------------------------------------ layouts

  private relaid(x: OnnxValue, nchw: boolean): OnnxValue {
    if (x.nchw === nchw) return x;
    if (!x.twin) {
      const perm = nchw ? NCHW_FROM_NHWC : NHWC_FROM_NCHW;
      x.twin = x.known
        ? new OnnxValue(x.shape, undefined, { name: x.known.name, data: permute(x.known.data, x.physicalShape, perm) }, nchw)
        : new OnnxValue(x.shape, this.g.node('Transpose', [this.phys(x)], { perm }), undefined, nchw);
      x.twin.twin = x;
    }
    return x.twin;
  }
  /** x stored in NHWC (logical) order. */
  private logical(x: OnnxValue): OnnxValue {
    return this.relaid(x, false);
  }
  /** A rank-4 map stored NCHW. */
  private nchw(x: OnnxValue): OnnxValue {
    return this.relaid(x, true);
  }
  /** A known operand of lower rank broadcast against an NCHW map: its values re-laid to NCHW. */
  private broadcastNchw(b: OnnxValue): OnnxValue | undefined {
    if (b.shape.length === 4) return this.nchw(b);
    if (!b.known) return undefined;
    const shape4 = [...new Array<number>(4 - b.shape.length).fill(1), ...b.shape];
    const data = permute(b.known.data, shape4, NCHW_FROM_NHWC);
    return new OnnxValue(shape4, undefined, { name: b.known.name, data }, true);
  }
  /** The layout a binary op on a and b runs in: NCHW when either is an NCHW map and the other can follow. */
  private aligned(a: OnnxValue, b: OnnxValue): [OnnxValue, OnnxValue, boolean] {
    if (a.nchw || b.nchw) {
      const a2 = a.nchw ? a : this.broadcastNchw(a);
      const b2 = b.nchw ? b : this.broadcastNchw(b);
      if (a2 && b2) return [a2, b2, true];
    }
    return [this.logical(a), this.logical(b), false];
  }

  // ------------------------------------------------------------ values

  private weight(name: string): NamedWeight {
    const w = this.weights[name];
    if (!w) throw new UserError(`the checkpoint has no weight ${name}`, { hint: 'was it written by a different pipeline? retrain the run' });
    return w;
  }

  param(name: string): OnnxValue {
    let p = this.params.get(name);
    if (!p) {
      const w = this.weight(name);
      p = new OnnxValue(w.shape, undefined, { name, data: w.data });
      this.params.set(name, p);
    }
    return p;
  }
  buffer(name: string): number[] {
    return Array.from(this.weight(name).data);
  }
  constant(name: string, shape: number[], values: () => Float32Array | number[]): OnnxValue {
    let c = this.constants.get(name);
    if (!c) {
      c = new OnnxValue(shape, undefined, { name, data: Float32Array.from(values()) });
      this.constants.set(name, c);
    }
    return c;
  }
  scope<R>(name: string, body: () => R): R {
    const outer = this.g.scope;
    this.g.scope = `${outer}${name}/`;
    try {
      return body();
    } finally {
      this.g.scope = outer;
    }
  }

  // ------------------------------------------------------------ element-wise

  private binary(opType: string, a: OnnxValue, b: OnnxValue | number, fold: (x: number, y: number) => number): OnnxValue {
    if (typeof b === 'number') {
      if (a.known) {
        const y = f32(b);
        return new OnnxValue(a.shape, undefined, { name: `${a.known.name}.${opType}${y}`, data: a.known.data.map((x) => f32(fold(x, y))) }, a.nchw);
      }
      return this.node(opType, [a, this.g.float(b)], a.shape, {}, a.nchw);
    }
    if (a.known && b.known && a.shape.join() === b.shape.join() && a.nchw === b.nchw) {
      const data = a.known.data.map((x, i) => f32(fold(x, b.known!.data[i])));
      return new OnnxValue(a.shape, undefined, { name: `${a.known.name}.${opType}.${b.known.name}`, data }, a.nchw);
    }
    const [x, y, nchw] = this.aligned(a, b);
    return this.node(opType, [x, y], broadcast(a.shape, b.shape), {}, nchw);
  }

  private unary(opType: string, x: OnnxValue, fold?: (v: number) => number, attrs = {}): OnnxValue {
    if (x.known && fold) return new OnnxValue(x.shape, undefined, { name: `${x.known.name}.${opType}`, data: x.known.data.map((v) => f32(fold(v))) }, x.nchw);
    return this.node(opType, [x], x.shape, attrs, x.nchw);
  }

  add = (a: OnnxValue, b: OnnxValue | number) => this.binary('Add', a, b, (x, y) => x + y);
  sub = (a: OnnxValue, b: OnnxValue | number) => this.binary('Sub', a, b, (x, y) => x - y);
  mul = (a: OnnxValue, b: OnnxValue | number) => this.binary('Mul', a, b, (x, y) => x * y);
  div = (a: OnnxValue, b: OnnxValue | number) => this.binary('Div', a, b, (x, y) => x / y);
  maximum = (a: OnnxValue, b: OnnxValue | number) => this.binary('Max', a, b, Math.max);
  squaredDifference = (a: OnnxValue, b: OnnxValue) => this.square(this.sub(a, b));
  neg = (x: OnnxValue) => this.unary('Neg', x, (v) => -v);
  square = (x: OnnxValue) => this.mul(x, x);
  sqrt = (x: OnnxValue) => this.unary('Sqrt', x, Math.sqrt);
  abs = (x: OnnxValue) => this.unary('Abs', x, Math.abs);
  exp = (x: OnnxValue) => this.unary('Exp', x, Math.exp);
  log = (x: OnnxValue) => this.unary('Log', x, Math.log);
  tanh = (x: OnnxValue) => this.unary('Tanh', x, Math.tanh);
  softplus = (x: OnnxValue) => this.unary('Softplus', x, softplusF32);
  relu = (x: OnnxValue) => this.unary('Relu', x, (v) => Math.max(v, 0));
  leakyRelu = (x: OnnxValue, slope: number) => this.unary('LeakyRelu', x, undefined, { alpha: { float: slope } });
  gelu = (x: OnnxValue) => {
    const half = this.mul(x, 0.5);
    return this.mul(half, this.add(this.unary('Erf', this.mul(x, Math.SQRT1_2)), 1));
  };

  // ------------------------------------------------------------ reductions

  private reduce(opType: string, x: OnnxValue, axes: number[], keepDims: boolean): OnnxValue {
    const rank = x.shape.length;
    const list = axes.map((a) => axisOf(a, rank));
    const shape = x.shape.flatMap((d, i) => (list.includes(i) ? (keepDims ? [1] : []) : [d]));
    // An NCHW map stays NCHW when what remains is in the same order either way (channels reduced, or kept dims).
    const kept = [0, 1, 2, 3].filter((i) => !list.includes(i)).map((i) => NCHW_AXIS[i]);
    const inPlace = x.nchw && (keepDims || kept.every((p, i) => i === 0 || kept[i - 1] < p));
    const source = inPlace ? x : this.logical(x);
    const physical = inPlace ? list.map((a) => NCHW_AXIS[a]) : list;
    const keepdims = keepDims ? 1 : 0;
    const nchw = inPlace && keepDims;
    // ReduceSum takes its axes as an input from opset 13; the others as an attribute until 18.
    return opType === 'ReduceSum'
      ? this.node(opType, [source, this.g.ints(physical)], shape, { keepdims }, nchw)
      : this.node(opType, [source], shape, { axes: physical, keepdims }, nchw);
  }
  mean = (x: OnnxValue, axes: number[], keepDims = false) => this.reduce('ReduceMean', x, axes, keepDims);
  sum = (x: OnnxValue, axes: number[], keepDims = false) => this.reduce('ReduceSum', x, axes, keepDims);
  max = (x: OnnxValue, axes: number[], keepDims = false) => this.reduce('ReduceMax', x, axes, keepDims);
  min = (x: OnnxValue, axes: number[], keepDims = false) => this.reduce('ReduceMin', x, axes, keepDims);
  prod = (x: OnnxValue, axes: number[], keepDims = false) => this.reduce('ReduceProd', x, axes, keepDims);
  topk = (x: OnnxValue, k: number) => {
    const [values] = this.g.nodeN('TopK', [this.ref(x), this.g.ints([k])], { axis: -1 }, 2);
    return new OnnxValue([...x.shape.slice(0, -1), k], values);
  };

  // ------------------------------------------------------------ shape

  reshape = (x: OnnxValue, shape: number[]) => {
    const free = shape.indexOf(-1);
    const resolved = [...shape];
    if (free >= 0 && !x.shape.includes(-1)) resolved[free] = sizeOf(x.shape) / -sizeOf(shape);
    const source = this.logical(x);
    if (source.known && !resolved.includes(-1)) return new OnnxValue(resolved, undefined, source.known);
    return this.node('Reshape', [source, this.g.ints(shape)], resolved);
  };
  transpose = (x: OnnxValue, perm: number[]) =>
    this.node(
      'Transpose',
      [this.logical(x)],
      perm.map((p) => x.shape[p]),
      { perm },
    );
  concat = (xs: OnnxValue[], axis: number) => {
    if (xs.length === 1) return xs[0];
    const a = axisOf(axis, xs[0].shape.length);
    const shape = [...xs[0].shape];
    shape[a] = xs.some((x) => x.shape[a] === -1) ? -1 : xs.reduce((s, x) => s + x.shape[a], 0);
    if (xs.some((x) => x.nchw)) return this.node('Concat', xs.map(this.nchw, this), shape, { axis: NCHW_AXIS[a] }, true);
    return this.node('Concat', xs, shape, { axis: a });
  };
  split = (x: OnnxValue, parts: number | number[], axis: number) => {
    const a = axisOf(axis, x.shape.length);
    const sizes = typeof parts === 'number' ? new Array<number>(parts).fill(x.shape[a] === -1 ? -1 : x.shape[a] / parts) : parts;
    // Without a sizes input, Split cuts equal parts: the batch axis splits without knowing N.
    const inputs = typeof parts === 'number' ? [this.phys(x)] : [this.phys(x), this.g.ints(parts)];
    return this.g.nodeN('Split', inputs, { axis: x.nchw ? NCHW_AXIS[a] : a }, sizes.length).map((ref, i) => {
      const shape = [...x.shape];
      shape[a] = sizes[i];
      return new OnnxValue(shape, ref, undefined, x.nchw);
    });
  };
  expandDims = (x: OnnxValue, axis: number) => {
    const a = axisOf(axis, x.shape.length + 1);
    const shape = [...x.shape.slice(0, a), 1, ...x.shape.slice(a)];
    const source = this.logical(x);
    if (source.known) return new OnnxValue(shape, undefined, source.known);
    // A map [N, H, W] given a channel axis becomes an NCHW [N, 1, H, W] with no transpose.
    if (shape.length === 4 && a === 3) return this.node('Unsqueeze', [source, this.g.ints([1])], shape, {}, true);
    return this.node('Unsqueeze', [source, this.g.ints([a])], shape);
  };
  squeeze = (x: OnnxValue, axes: number[]) => {
    const list = axes.map((a) => axisOf(a, x.shape.length));
    const shape = x.shape.filter((_, i) => !list.includes(i));
    if (x.nchw && list.length === 1 && list[0] === 3) return this.node('Squeeze', [x, this.g.ints([1])], shape);
    return this.node('Squeeze', [this.logical(x), this.g.ints(list)], shape);
  };
  stack = (xs: OnnxValue[], axis: number) =>
    this.concat(
      xs.map((x) => this.expandDims(x, axis)),
      axis,
    );
  repeatBatch = (x: OnnxValue, like: OnnxValue) => {
    const shape = [like.shape[0], ...x.shape];
    const batch = this.g.node('Shape', [this.phys(like)], { start: 0, end: 1 });
    const sizes = this.g.node('Concat', [batch, this.g.ints(x.shape.map(() => 1))], { axis: 0 });
    // A fixed [H, W, C] code repeated into maps is stored NCHW, as the maps it joins.
    let one = this.batchable.get(x);
    if (!one) {
      one = x.known && x.shape.length === 3 ? this.nchw(new OnnxValue([1, ...x.shape], undefined, x.known)) : this.expandDims(x, 0);
      this.batchable.set(x, one);
    }
    return this.node('Expand', [one, sizes], shape, {}, one.nchw);
  };
  permuteChannels = (x: OnnxValue, perm: number[]) =>
    this.node('Gather', [x, this.g.ints(perm)], [...x.shape.slice(0, -1), perm.length], { axis: x.nchw ? 1 : x.shape.length - 1 }, x.nchw);
  mirrorPad = (x: OnnxValue, pads: [number, number][]) => {
    let y = x;
    pads.forEach(([before, after], axis) => {
      if (before === 0 && after === 0) return;
      const n = y.shape[axis];
      if (before > n || after > n) throw new Error(`internal: a ${Math.max(before, after)}-wide mirror border on an axis of ${n}`);
      const index = [
        ...Array.from({ length: before }, (_, k) => before - 1 - k),
        ...Array.from({ length: n }, (_, k) => k),
        ...Array.from({ length: after }, (_, k) => n - 1 - k),
      ];
      const shape = [...y.shape];
      shape[axis] = index.length;
      y = this.node('Gather', [y, this.g.ints(index)], shape, { axis: y.nchw ? NCHW_AXIS[axis] : axis }, y.nchw);
    });
    return y;
  };

  // ------------------------------------------------------------ layers

  dense = (x: OnnxValue, w: OnnxValue, b?: OnnxValue) => {
    const y = this.node('MatMul', [this.logical(x), w], [...x.shape.slice(0, -1), w.shape[1]]);
    return b ? this.add(y, b) : y;
  };
  matmul = (a: OnnxValue, b: OnnxValue, transposeB = false) => {
    let right = this.logical(b);
    if (transposeB) {
      const r = b.shape.length;
      const perm = [...b.shape.keys()].map((i) => (i === r - 2 ? r - 1 : i === r - 1 ? r - 2 : i));
      right = right.known ? this.folded(right, perm, `${right.known.name}.T`) : this.transpose(right, perm);
    }
    const shape = [...broadcast(a.shape.slice(0, -2), right.shape.slice(0, -2)), a.shape.at(-2)!, right.shape.at(-1)!];
    return this.node('MatMul', [this.logical(a), right], shape);
  };
  layerNorm = (x: OnnxValue, g: OnnxValue, b: OnnxValue, eps: number, fromAxis: number) => {
    const from = axisOf(fromAxis, x.shape.length);
    const attrs = { axis: from, epsilon: { float: eps } };
    // Over a whole map (H, W, C): the same set of axes in NCHW, with the affine re-laid to [C, H, W].
    if (x.nchw && from === 1 && g.known && b.known) {
      const chw = (v: OnnxValue) => this.folded(v, [2, 0, 1], v.known!.name);
      return this.node('LayerNormalization', [x, chw(g), chw(b)], x.shape, attrs, true);
    }
    return this.node('LayerNormalization', [this.logical(x), g, b], x.shape, attrs);
  };
  attention = (q: OnnxValue, k: OnnxValue, v: OnnxValue, heads: number) => {
    const [, t, width] = q.shape;
    const d = width / heads;
    const split = (x: OnnxValue, perm: number[]) => this.transpose(this.reshape(x, [-1, x.shape[1], heads, d]), perm);
    const scores = this.mul(this.matmul(split(q, [0, 2, 1, 3]), split(k, [0, 2, 3, 1])), 1 / Math.sqrt(d));
    const weights = this.node('Softmax', [scores], scores.shape, { axis: -1 });
    return this.reshape(this.transpose(this.matmul(weights, split(v, [0, 2, 1, 3])), [0, 2, 1, 3]), [-1, t, width]);
  };
  dualAttention = (qkv: OnnxValue, heads: number, query: MemoryQuery): OnnxValue => splitDualAttention(this, qkv, heads, query);
  patchEmbed = (x: OnnxValue, w: OnnxValue, b?: OnnxValue) => {
    const [p, , , e] = w.shape;
    return this.conv2d(x, w, b, { kernel_shape: [p, p], strides: [p, p] }, [x.shape[0], x.shape[1] / p, x.shape[2] / p, e]);
  };
  conv = (x: OnnxValue, w: OnnxValue, b?: OnnxValue) => {
    const [k, , cin, cout] = w.shape;
    // On an NHWC map a 1×1 convolution is a product over channels (as the tfjs kernels compute it).
    if (k === 1 && !x.nchw) return this.dense(x, this.reshape(w, [cin, cout]), b);
    const r = (k - 1) / 2;
    return this.conv2d(x, w, b, { kernel_shape: [k, k], pads: [r, r, r, r] }, [...x.shape.slice(0, 3), cout]);
  };
  depthwiseConv = (x: OnnxValue, w: OnnxValue) => {
    const [k, , c] = w.shape;
    if (k === 1) return this.mul(x, this.reshape(w, [c]));
    const r = (k - 1) / 2;
    const oihw = this.folded(w, [2, 0, 1], w.known?.name ?? 'depthwise.w', [c, 1, k, k]);
    return this.node('Conv', [this.nchw(x), oihw], x.shape, { kernel_shape: [k, k], group: c, pads: [r, r, r, r] }, true);
  };
  convValid = (x: OnnxValue, w: OnnxValue) => {
    const [kh, kw, , cout] = w.shape;
    return this.conv2d(x, w, undefined, { kernel_shape: [kh, kw] }, [x.shape[0], x.shape[1] - kh + 1, x.shape[2] - kw + 1, cout]);
  };
  convLayer = (x: OnnxValue, w: OnnxValue, b: OnnxValue, l: ConvLayer) => {
    const [kh, kw, cin, cout] = w.shape;
    const channels = l.depthwise ? cin : cout;
    const out = (size: number, k: number) =>
      size === -1 ? -1 : l.pad === 'same' ? Math.ceil(size / l.stride) : Math.floor((size + 2 * l.pad - k) / l.stride) + 1;
    const shape = [x.shape[0], out(x.shape[1], kh), out(x.shape[2], kw), channels];
    // A depthwise kernel [kh, kw, C, 1] is ONNX's grouped [C, 1, kh, kw].
    const oihw = this.folded(w, l.depthwise ? [2, 3, 0, 1] : [3, 2, 0, 1], w.known?.name ?? 'conv.w');
    const attrs = {
      kernel_shape: [kh, kw],
      strides: [l.stride, l.stride],
      group: l.depthwise ? cin : 1,
      ...(l.pad === 'same' ? { auto_pad: 'SAME_UPPER' } : { pads: [l.pad, l.pad, l.pad, l.pad] }),
    };
    const y = this.node('Conv', [this.nchw(x), oihw, b], shape, attrs, true);
    if (l.activation === 'relu') return this.relu(y);
    if (l.activation === 'relu6') return this.node('Clip', [y, this.g.float(0), this.g.float(6)], shape, {}, true);
    return y;
  };
  maxPool = (x: OnnxValue, size: number, stride: number, pad: number) => {
    const out = (n: number) => (n === -1 ? -1 : Math.floor((n + 2 * pad - size) / stride) + 1);
    const attrs = { kernel_shape: [size, size], strides: [stride, stride], ...(pad > 0 ? { pads: [pad, pad, pad, pad] } : {}) };
    return this.node('MaxPool', [this.nchw(x)], [x.shape[0], out(x.shape[1]), out(x.shape[2]), x.shape[3]], attrs, true);
  };
  resize = (x: OnnxValue, size: number, mode: ResizeMode) => {
    const input = this.nchw(x);
    const sizes = this.g.node('Concat', [this.g.node('Shape', [this.phys(input)], { start: 0, end: 2 }), this.g.ints([size, size])], { axis: 0 });
    const attrs =
      mode === 'bilinear'
        ? { mode: 'linear', coordinate_transformation_mode: 'half_pixel' }
        : // tf: floor((i + 0.5)·in/out); ONNX half_pixel gives (i + 0.5)·in/out − 0.5, rounded half up.
          { mode: 'nearest', coordinate_transformation_mode: 'half_pixel', nearest_mode: 'round_prefer_ceil' };
    return this.node('Resize', [input, '', '', sizes], [x.shape[0], size, size, x.shape[3]], attrs, true);
  };

  /** A known value re-laid out (axes permuted, then reshaped) as its own initializer. */
  private folded(w: OnnxValue, perm: number[], name: string, shape = perm.map((p) => w.shape[p])): OnnxValue {
    if (!w.known || w.nchw) throw new Error(`internal: ${name}: a convolution's weight must be a known tensor`);
    return new OnnxValue(shape, undefined, { name, data: permute(w.known.data, w.shape, perm) });
  }

  /** An HWIO-weighted convolution of a map as an NCHW Conv; the result stays NCHW. */
  private conv2d(x: OnnxValue, w: OnnxValue, b: OnnxValue | undefined, attrs: object, shape: number[]): OnnxValue {
    const oihw = this.folded(w, [3, 2, 0, 1], w.known?.name ?? 'conv.w');
    return this.node('Conv', b ? [this.nchw(x), oihw, b] : [this.nchw(x), oihw], shape, attrs, true);
  }
}
