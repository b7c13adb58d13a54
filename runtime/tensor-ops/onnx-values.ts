// The values the ONNX engine (onnx.ts) passes around, and the JavaScript arithmetic it folds
// known values with. A value has its logical shape (what the block forwards see: NHWC maps,
// batch -1) and a physical layout: a rank-4 map may be stored NCHW, ONNX's convolution layout,
// so that chains of convolutions, channel splits and permutations need no transposes.

export interface Known {
  name: string;
  /** Row-major in the value's physical layout. */
  data: Float32Array;
}

export class OnnxValue {
  /** The same value in the other physical layout, once made (a transpose or a folded copy). */
  twin?: OnnxValue;

  constructor(
    /** Logical shape (NHWC for maps); -1 marks the batch axis (any size). */
    readonly shape: number[],
    /** Graph value name, once emitted. */
    public ref?: string,
    /** The values, while they are known constants. */
    readonly known?: Known,
    /** A rank-4 map stored NCHW (physical shape [N, C, H, W]). */
    readonly nchw = false,
  ) {}

  /** The shape as stored. */
  get physicalShape(): number[] {
    return this.nchw ? NCHW_FROM_NHWC.map((p) => this.shape[p]) : this.shape;
  }
}

/** Axis permutations between the layouts: NCHW = NHWC transposed by [0, 3, 1, 2]. */
export const NCHW_FROM_NHWC = [0, 3, 1, 2];
export const NHWC_FROM_NCHW = [0, 2, 3, 1];
/** Where logical (NHWC) axis i of a map sits in NCHW storage. */
export const NCHW_AXIS = [0, 2, 3, 1];

export const f32 = Math.fround;

/** tfjs' Softplus kernel: x above −log(ε)−2 passes through, below log(ε)+2 is exp(x). */
export function softplusF32(x: number): number {
  const threshold = Math.log(1.1920928955078125e-7) + 2;
  if (x < threshold) return f32(Math.exp(x));
  if (x > -threshold) return x;
  return f32(Math.log(1 + Math.exp(x)));
}

export function broadcast(a: number[], b: number[]): number[] {
  const rank = Math.max(a.length, b.length);
  return Array.from({ length: rank }, (_, i) => {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    return x === 1 ? y : y === 1 ? x : x === -1 || y === -1 ? -1 : Math.max(x, y);
  });
}

export const axisOf = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);
export const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** A row-major array's axes permuted (numpy's transpose). */
export function permute(data: Float32Array, shape: number[], perm: number[]): Float32Array {
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
