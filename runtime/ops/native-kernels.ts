// Element-wise kernels and reductions of the tfjs wasm backend through the native addon
// (native/elementwise.c, native/reduce.c): unary functions, binary arithmetic on equal shapes or
// with a scalar, x > y, select, and Sum / Mean over one run of contiguous axes. The wasm backend computes these
// on one thread, its transcendental functions are slow (Tanh ~6 ns per element), and it
// transposes before every reduction over leading axes (a bias gradient). + − × ÷, square, neg,
// LeakyRelu and select give the same bytes; tanh, exp, log, erf, sigmoid and reductions over
// trailing axes are within float rounding (test/ops/native-kernels.test.ts states the bounds).
// Other dtypes, shapes and axes go to the kernels these replace.
import * as tf from '@tensorflow/tfjs-core';
import type { NativeBlas } from '../native/blas.ts';
import { nativeKernelsOn } from './blas-kernels.ts';
import { replaceWasmKernel, type TensorInfo, type WasmKernel } from './wasm-kernels.ts';

type Args = Parameters<WasmKernel>[0];
type Heap = Float32Array;

/** The order of native/elementwise.c's unary and binary op enums. */
const UNARY_OPS = [tf.Tanh, tf.Exp, tf.Log, tf.Erf, tf.Sigmoid, tf.Square, tf.Neg, tf.LeakyRelu];
const BINARY_OPS = [tf.Add, tf.Sub, tf.Multiply, tf.RealDiv, tf.SquaredDifference];

const calls = new Map<string, number>();

/** How often each kernel name ran natively in this process (tests check which path ran). */
export function nativeKernelCalls(kernelName: string): number {
  return calls.get(kernelName) ?? 0;
}

export function countNativeCall(kernelName: string): void {
  calls.set(kernelName, (calls.get(kernelName) ?? 0) + 1);
}

const sameShape = (a: number[], b: number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
/** Whether `one` is a single value broadcast over all of `other` (the result has other's shape). */
const scalarAgainst = (one: TensorInfo, other: TensorInfo) => tf.util.sizeFromShape(one.shape) === 1 && one.shape.length <= other.shape.length;
/** A float32 view of t on the heap; take it after the last makeOutput (a malloc may replace the heap's buffer). */
export const view = (args: Args, t: TensorInfo) => args.backend.typedArrayFromHeap(t) as Heap;

/** Registers `compute` in front of kernelName's current kernel; it returns undefined to pass the call on. */
function wrap(kernelName: string, compute: (args: Args) => TensorInfo | undefined): void {
  replaceWasmKernel(kernelName, 'native-elementwise', (previous) => (args) => {
    const out = nativeKernelsOn() ? compute(args) : undefined;
    if (out === undefined) return previous(args);
    countNativeCall(kernelName);
    return out;
  });
}

/** The axes of a reduction as [outer, n, inner] of x when they are one contiguous run; else undefined. */
export function reductionLayout(shape: number[], axis: number | number[]): { outer: number; n: number; inner: number; kept: number[] } | undefined {
  const axes = tf.util.parseAxisParam(axis, shape).sort((a, b) => a - b);
  if (axes.length === 0 || axes.some((a, i) => i > 0 && a !== axes[i - 1] + 1)) return undefined;
  const first = axes[0];
  const last = axes[axes.length - 1];
  const size = (dims: number[]) => tf.util.sizeFromShape(dims);
  return {
    outer: size(shape.slice(0, first)),
    n: size(shape.slice(first, last + 1)),
    inner: size(shape.slice(last + 1)),
    kept: shape.filter((_, i) => i < first || i > last),
  };
}

export function installNativeKernels(blas: NativeBlas): void {
  const { unary, binary, greater, select, reduce } = blas;
  if (!unary || !binary || !greater || !select || !reduce) return; // an addon built from older sources
  UNARY_OPS.forEach((name, op) =>
    wrap(name, (args) => {
      const { x } = args.inputs;
      if (x.dtype !== 'float32') return undefined;
      const out = args.backend.makeOutput(x.shape, 'float32');
      unary(op, view(args, x), view(args, out), Number(args.attrs?.alpha ?? 0));
      return out;
    }),
  );
  BINARY_OPS.forEach((name, op) =>
    wrap(name, (args) => {
      const { a, b } = args.inputs;
      if (a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
      const shape = sameShape(a.shape, b.shape) ? a.shape : scalarAgainst(a, b) ? b.shape : scalarAgainst(b, a) ? a.shape : undefined;
      if (!shape) return undefined;
      const out = args.backend.makeOutput(shape, 'float32');
      binary(op, view(args, a), view(args, b), view(args, out));
      return out;
    }),
  );
  wrap(tf.Greater, (args) => {
    const { a, b } = args.inputs;
    const scalar = tf.util.sizeFromShape(b.shape) === 1 && b.shape.length <= a.shape.length;
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || !(scalar || sameShape(a.shape, b.shape))) return undefined;
    const out = args.backend.makeOutput(a.shape, 'bool');
    greater(view(args, a), view(args, b), args.backend.typedArrayFromHeap(out) as Uint8Array);
    return out;
  });
  wrap(tf.Select, (args) => {
    const { condition, t, e } = args.inputs;
    if (condition.dtype !== 'bool' || t.dtype !== 'float32' || e.dtype !== 'float32') return undefined;
    if (!sameShape(condition.shape, t.shape) || !sameShape(t.shape, e.shape)) return undefined;
    const out = args.backend.makeOutput(t.shape, 'float32');
    select(args.backend.typedArrayFromHeap(condition) as Uint8Array, view(args, t), view(args, e), view(args, out));
    return out;
  });
  for (const name of [tf.Sum, tf.Mean]) {
    wrap(name, (args) => {
      const { x } = args.inputs;
      if (x.dtype !== 'float32' || tf.util.sizeFromShape(x.shape) === 0) return undefined;
      const layout = reductionLayout(x.shape, args.attrs.axis as number | number[]);
      if (!layout) return undefined;
      const axes = tf.util.parseAxisParam(args.attrs.axis as number | number[], x.shape);
      const shape = args.attrs.keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : layout.kept;
      const out = args.backend.makeOutput(shape, 'float32');
      reduce(view(args, x), view(args, out), layout.outer, layout.n, layout.inner, name === tf.Mean ? layout.n : 1);
      return out;
    });
  }
}
