// TensorOps that emit ONNX nodes (opset 17) through runtime/export/graph.ts' GraphBuilder: what
// the export runs. A value is a graph name with its static shape (the batch axis is -1), or a
// known constant (a weight, a position code) that stays in JavaScript until a node needs it:
// element-wise ops on known values are folded here in float32, one rounding per op as tfjs
// computes them, so a weight's derived form (a flow step's global scale) is one initializer.
// Feature maps are NHWC as in tfjs; convolutions and resizing transpose to ONNX's NCHW around
// their node (onnxruntime cancels adjacent transposes), and their weights are re-laid out here.
import { UserError } from '../../common/errors.ts';
import type { GraphBuilder } from '../export/graph.ts';
import type { NamedWeight } from '../model/params.ts';
import type { ResizeMode, TensorOps } from './types.ts';

interface Known {
  name: string;
  data: Float32Array;
}

export class OnnxValue {
  constructor(
    /** Static shape; -1 marks the batch axis (any size). */
    readonly shape: number[],
    /** Graph value name, once emitted. */
    public ref?: string,
    /** The values, while they are known constants. */
    readonly known?: Known,
  ) {}
}

const f32 = Math.fround;
/** tfjs' Softplus kernel: x above −log(ε)−2 passes through, below log(ε)+2 is exp(x). */
function softplusF32(x: number): number {
  const threshold = Math.log(1.1920928955078125e-7) + 2;
  if (x < threshold) return f32(Math.exp(x));
  if (x > -threshold) return x;
  return f32(Math.log(1 + Math.exp(x)));
}

const TO_NCHW = [0, 3, 1, 2];
const TO_NHWC = [0, 2, 3, 1];

function broadcast(a: number[], b: number[]): number[] {
  const rank = Math.max(a.length, b.length);
  return Array.from({ length: rank }, (_, i) => {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    return x === 1 ? y : y === 1 ? x : x === -1 || y === -1 ? -1 : Math.max(x, y);
  });
}

const axisOf = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);
const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** A row-major array's axes permuted (numpy's transpose). */
function permute(data: Float32Array, shape: number[], perm: number[]): Float32Array {
  const out = new Float32Array(data.length);
  const outShape = perm.map((p) => shape[p]);
  const strides = shape.map((_, i) => sizeOf(shape.slice(i + 1)));
  const index = new Array<number>(shape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let d = 0; d < perm.length; d++) src += index[d] * strides[perm[d]];
    out[o] = data[src];
    for (let d = perm.length - 1; d >= 0 && ++index[d] === outShape[d]; d--) index[d] = 0;
  }
  return out;
}

export class OnnxOps implements TensorOps<OnnxValue> {
  readonly engine = 'onnx';
  private readonly params = new Map<string, OnnxValue>();
  private readonly constants = new Map<string, OnnxValue>();

  constructor(
    readonly g: GraphBuilder,
    private readonly weights: Record<string, NamedWeight>,
  ) {}

  /** A value already in the graph (an input, a backbone tap) with its static shape. */
  value(ref: string, shape: number[]): OnnxValue {
    return new OnnxValue(shape, ref);
  }

  /** The graph name of a value, writing a known one as an initializer on first use. */
  ref(x: OnnxValue): string {
    if (!x.ref) x.ref = this.g.weight(x.known!.name, x.known!.data, x.shape);
    return x.ref;
  }

  private node(opType: string, inputs: (OnnxValue | string)[], shape: number[], attrs = {}): OnnxValue {
    return new OnnxValue(
      shape,
      this.g.node(
        opType,
        inputs.map((i) => (typeof i === 'string' ? i : this.ref(i))),
        attrs,
      ),
    );
  }

  private operand(b: OnnxValue | number): OnnxValue {
    return typeof b === 'number' ? new OnnxValue([], this.g.float(b)) : b;
  }

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
    if (a.known && (typeof b === 'number' || (b.known && b.shape.join() === a.shape.join()))) {
      const y = typeof b === 'number' ? f32(b) : 0;
      const data = a.known.data.map((x, i) => f32(fold(x, typeof b === 'number' ? y : b.known!.data[i])));
      const label = typeof b === 'number' ? `${opType}${y}` : `${opType}.${b.known!.name}`;
      return new OnnxValue(a.shape, undefined, { name: `${a.known.name}.${label}`, data });
    }
    const y = this.operand(b);
    return this.node(opType, [a, y], broadcast(a.shape, y.shape));
  }

  private unary(opType: string, x: OnnxValue, fold?: (v: number) => number, attrs = {}): OnnxValue {
    if (x.known && fold) return new OnnxValue(x.shape, undefined, { name: `${x.known.name}.${opType}`, data: x.known.data.map((v) => f32(fold(v))) });
    return this.node(opType, [x], x.shape, attrs);
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
    const keepdims = keepDims ? 1 : 0;
    // ReduceSum takes its axes as an input from opset 13; the others as an attribute until 18.
    return opType === 'ReduceSum' ? this.node(opType, [x, this.g.ints(list)], shape, { keepdims }) : this.node(opType, [x], shape, { axes: list, keepdims });
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
    if (x.known && !resolved.includes(-1)) return new OnnxValue(resolved, undefined, x.known);
    return this.node('Reshape', [x, this.g.ints(shape)], resolved);
  };
  transpose = (x: OnnxValue, perm: number[]) =>
    this.node(
      'Transpose',
      [x],
      perm.map((p) => x.shape[p]),
      { perm },
    );
  concat = (xs: OnnxValue[], axis: number) => {
    if (xs.length === 1) return xs[0];
    const a = axisOf(axis, xs[0].shape.length);
    const shape = [...xs[0].shape];
    shape[a] = xs.some((x) => x.shape[a] === -1) ? -1 : xs.reduce((s, x) => s + x.shape[a], 0);
    return this.node('Concat', xs, shape, { axis: a });
  };
  split = (x: OnnxValue, parts: number | number[], axis: number) => {
    const a = axisOf(axis, x.shape.length);
    const sizes = typeof parts === 'number' ? new Array<number>(parts).fill(x.shape[a] === -1 ? -1 : x.shape[a] / parts) : parts;
    // Without a sizes input, Split cuts equal parts: the batch axis splits without knowing N.
    const inputs = typeof parts === 'number' ? [this.ref(x)] : [this.ref(x), this.g.ints(parts)];
    return this.g.nodeN('Split', inputs, { axis: a }, sizes.length).map((ref, i) => {
      const shape = [...x.shape];
      shape[a] = sizes[i];
      return new OnnxValue(shape, ref);
    });
  };
  expandDims = (x: OnnxValue, axis: number) => {
    const a = axisOf(axis, x.shape.length + 1);
    const shape = [...x.shape.slice(0, a), 1, ...x.shape.slice(a)];
    if (x.known) return new OnnxValue(shape, undefined, x.known);
    return this.node('Unsqueeze', [x, this.g.ints([a])], shape);
  };
  squeeze = (x: OnnxValue, axes: number[]) => {
    const list = axes.map((a) => axisOf(a, x.shape.length));
    return this.node(
      'Squeeze',
      [x, this.g.ints(list)],
      x.shape.filter((_, i) => !list.includes(i)),
    );
  };
  stack = (xs: OnnxValue[], axis: number) =>
    this.concat(
      xs.map((x) => this.expandDims(x, axis)),
      axis,
    );
  repeatBatch = (x: OnnxValue, like: OnnxValue) => {
    const one = this.expandDims(x, 0);
    const batch = this.g.node('Shape', [this.ref(like)], { start: 0, end: 1 });
    const shape = this.g.node('Concat', [batch, this.g.ints(x.shape.map(() => 1))], { axis: 0 });
    return this.node('Expand', [one, shape], [like.shape[0], ...x.shape]);
  };
  permuteChannels = (x: OnnxValue, perm: number[]) => this.node('Gather', [x, this.g.ints(perm)], x.shape, { axis: x.shape.length - 1 });
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
      y = this.node('Gather', [y, this.g.ints(index)], shape, { axis });
    });
    return y;
  };

  // ------------------------------------------------------------ layers

  dense = (x: OnnxValue, w: OnnxValue, b?: OnnxValue) => {
    const y = this.node('MatMul', [x, w], [...x.shape.slice(0, -1), w.shape[1]]);
    return b ? this.add(y, b) : y;
  };
  matmul = (a: OnnxValue, b: OnnxValue, transposeB = false) => {
    let right = b;
    if (transposeB) {
      const r = b.shape.length;
      const perm = [...b.shape.keys()].map((i) => (i === r - 2 ? r - 1 : i === r - 1 ? r - 2 : i));
      right = b.known ? this.folded(b, perm, `${b.known.name}.T`) : this.transpose(b, perm);
    }
    return this.node('MatMul', [a, right], [...broadcast(a.shape.slice(0, -2), right.shape.slice(0, -2)), a.shape.at(-2)!, right.shape.at(-1)!]);
  };
  layerNorm = (x: OnnxValue, g: OnnxValue, b: OnnxValue, eps: number, fromAxis: number) =>
    this.node('LayerNormalization', [x, g, b], x.shape, { axis: axisOf(fromAxis, x.shape.length), epsilon: { float: eps } });
  attention = (q: OnnxValue, k: OnnxValue, v: OnnxValue, heads: number) => {
    const [, t, width] = q.shape;
    const d = width / heads;
    const split = (x: OnnxValue, perm: number[]) => this.transpose(this.reshape(x, [-1, x.shape[1], heads, d]), perm);
    const scores = this.mul(this.matmul(split(q, [0, 2, 1, 3]), split(k, [0, 2, 3, 1])), 1 / Math.sqrt(d));
    const weights = this.node('Softmax', [scores], scores.shape, { axis: -1 });
    return this.reshape(this.transpose(this.matmul(weights, split(v, [0, 2, 1, 3])), [0, 2, 1, 3]), [-1, t, width]);
  };
  patchEmbed = (x: OnnxValue, w: OnnxValue, b?: OnnxValue) => {
    const [p, , , e] = w.shape;
    return this.nchwConv(x, w, b, { kernel_shape: [p, p], strides: [p, p] }, [x.shape[0], x.shape[1] / p, x.shape[2] / p, e]);
  };
  conv = (x: OnnxValue, w: OnnxValue, b?: OnnxValue) => {
    const [k, , cin, cout] = w.shape;
    // A 1×1 convolution is a product over channels (as the tfjs kernels compute it).
    if (k === 1) return this.dense(x, this.reshape(w, [cin, cout]), b);
    const r = (k - 1) / 2;
    return this.nchwConv(x, w, b, { kernel_shape: [k, k], pads: [r, r, r, r] }, [...x.shape.slice(0, 3), cout]);
  };
  depthwiseConv = (x: OnnxValue, w: OnnxValue) => {
    const [k, , c] = w.shape;
    if (k === 1) return this.mul(x, this.reshape(w, [c]));
    const r = (k - 1) / 2;
    const oihw = this.folded(w, [2, 0, 1], `${w.known?.name}`, [c, 1, k, k]);
    return this.nhwc(this.node('Conv', [this.nchw(x), oihw], this.nchwShape(x.shape), { kernel_shape: [k, k], group: c, pads: [r, r, r, r] }));
  };
  convValid = (x: OnnxValue, w: OnnxValue) => {
    const [kh, kw, , cout] = w.shape;
    return this.nchwConv(x, w, undefined, { kernel_shape: [kh, kw] }, [x.shape[0], x.shape[1] - kh + 1, x.shape[2] - kw + 1, cout]);
  };
  resize = (x: OnnxValue, size: number, mode: ResizeMode) => {
    const nchw = this.nchw(x);
    const sizes = this.g.node('Concat', [this.g.node('Shape', [this.ref(nchw)], { start: 0, end: 2 }), this.g.ints([size, size])], { axis: 0 });
    const attrs =
      mode === 'bilinear'
        ? { mode: 'linear', coordinate_transformation_mode: 'half_pixel' }
        : // tf: floor((i + 0.5)·in/out); ONNX half_pixel gives (i + 0.5)·in/out − 0.5, rounded half up.
          { mode: 'nearest', coordinate_transformation_mode: 'half_pixel', nearest_mode: 'round_prefer_ceil' };
    const out = this.node('Resize', [nchw, '', '', sizes], [x.shape[0], x.shape[3], size, size], attrs);
    return this.nhwc(out);
  };

  // ------------------------------------------------------------ layout

  private nchwShape(nhwc: number[]): number[] {
    return TO_NCHW.map((p) => nhwc[p]);
  }
  private nchw(x: OnnxValue): OnnxValue {
    return this.transpose(x, TO_NCHW);
  }
  private nhwc(x: OnnxValue): OnnxValue {
    return this.transpose(x, TO_NHWC);
  }

  /** A known value re-laid out (axes permuted, then reshaped) as its own initializer. */
  private folded(w: OnnxValue, perm: number[], name: string, shape = perm.map((p) => w.shape[p])): OnnxValue {
    if (!w.known) throw new Error(`internal: ${name}: a convolution's weight must be a known tensor`);
    return new OnnxValue(shape, undefined, { name, data: permute(w.known.data, w.shape, perm) });
  }

  /** An HWIO-weighted convolution on NHWC x as NCHW Conv between two transposes. */
  private nchwConv(x: OnnxValue, w: OnnxValue, b: OnnxValue | undefined, attrs: object, outNhwc: number[]): OnnxValue {
    const oihw = this.folded(w, [3, 2, 0, 1], w.known?.name ?? 'conv.w');
    const inputs = b ? [this.nchw(x), oihw, b] : [this.nchw(x), oihw];
    return this.nhwc(this.node('Conv', inputs, this.nchwShape(outNhwc), attrs));
  }
}
