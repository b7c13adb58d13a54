// Concat, SplitV, a GatherV2 along the last axis, Transpose and a Tile along the first axis on the
// tfjs wasm backend through the native addon (native/movement.c): the flows split, join and
// permute channels, i.e. rows of 48–384 elements, which the stock and heap-view kernels copy with
// a JavaScript loop per row (~20 % of a flow step's kernel time); attention moves its heads. Bytes are copied unchanged; other cases go to the previous kernels.
import * as tf from '@tensorflow/tfjs-core';
import type { NativeBlas } from '../native/blas.ts';
import { nativeKernelsOn } from './blas-kernels.ts';
import { countNativeCall } from './native-kernels.ts';
import { replaceWasmKernel, type TensorInfo, type WasmKernel } from './wasm-kernels.ts';

type Args = Parameters<WasmKernel>[0];
type HeapArray = Float32Array | Int32Array | Uint8Array;
const MOVABLE = new Set<tf.DataType>(['float32', 'int32', 'bool']);

function wrap(kernelName: string, compute: (args: Args) => TensorInfo | TensorInfo[] | undefined): void {
  replaceWasmKernel(kernelName, 'native-movement', (previous) => (args) => {
    const out = nativeKernelsOn() ? compute(args) : undefined;
    if (out === undefined) return previous(args);
    countNativeCall(kernelName);
    return out;
  });
}

export function installNativeMovement(blas: NativeBlas): void {
  const { copyRows, gatherLast, transpose, transpose2d } = blas;
  if (!copyRows || !gatherLast || !transpose || !transpose2d) return; // an addon built from older sources
  const heap = (args: Args, t: TensorInfo) => args.backend.typedArrayFromHeap(t) as HeapArray;

  wrap(tf.Concat, (args) => {
    const inputs = Object.values(args.inputs);
    const dtype = inputs[0]?.dtype;
    if (inputs.length < 2 || !MOVABLE.has(dtype) || inputs.some((t) => t.dtype !== dtype || t.shape.length !== inputs[0].shape.length)) return undefined;
    const axis = tf.util.parseAxisParam(args.attrs.axis as number, inputs[0].shape)[0];
    const shapes = inputs.map((t) => t.shape);
    tf.backend_util.assertParamsConsistent(shapes, axis); // its message for mismatched shapes
    const outShape = tf.backend_util.computeOutShape(shapes, axis);
    const parts = inputs.filter((t) => tf.util.sizeFromShape(t.shape) > 0);
    if (parts.length < 2) return undefined; // the stock kernel shares the one non-empty input
    const out = args.backend.makeOutput(outShape, dtype);
    const rows = tf.util.sizeFromShape(outShape.slice(0, axis));
    const rowLength = tf.util.sizeFromShape(outShape.slice(axis));
    const target = heap(args, out);
    let offset = 0;
    for (const part of parts) {
      const length = tf.util.sizeFromShape(part.shape.slice(axis));
      copyRows(heap(args, part), 0, length, target, offset, rowLength, length, rows);
      offset += length;
    }
    return out;
  });

  wrap(tf.SplitV, (args) => {
    const { x } = args.inputs;
    if (!MOVABLE.has(x.dtype)) return undefined;
    const axis = tf.util.parseAxisParam(args.attrs.axis as number, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x as unknown as tf.Tensor, args.attrs.numOrSizeSplits as number | number[], axis);
    const rows = tf.util.sizeFromShape(x.shape.slice(0, axis));
    const inner = tf.util.sizeFromShape(x.shape.slice(axis + 1));
    const rowLength = x.shape[axis] * inner;
    const outs = sizes.map((s) =>
      args.backend.makeOutput(
        x.shape.map((d, i) => (i === axis ? s : d)),
        x.dtype,
      ),
    );
    const source = heap(args, x);
    let offset = 0;
    outs.forEach((out, i) => {
      const length = sizes[i] * inner;
      if (length > 0 && rows > 0) copyRows(source, offset, rowLength, heap(args, out), 0, length, length, rows);
      offset += length;
    });
    return outs;
  });

  wrap(tf.GatherV2, (args) => {
    const { x, indices } = args.inputs;
    const axis = tf.util.parseAxisParam(args.attrs.axis as number, x.shape)[0];
    if (Number(args.attrs.batchDims ?? 0) !== 0 || axis !== x.shape.length - 1 || (x.dtype !== 'float32' && x.dtype !== 'int32')) return undefined;
    const width = x.shape[axis];
    const rows = tf.util.sizeFromShape(x.shape.slice(0, axis));
    const picks = args.backend.typedArrayFromHeap(indices);
    if (rows === 0 || picks.length === 0 || picks.some((i) => !(i >= 0 && i < width))) return undefined; // the previous kernel's messages
    const out = args.backend.makeOutput([...x.shape.slice(0, axis), ...indices.shape], x.dtype);
    gatherLast(heap(args, x), Int32Array.from(picks), heap(args, out), rows);
    return out;
  });

  wrap(tf.Transpose, (args) => {
    const { x } = args.inputs;
    const perm = (args.attrs.perm as number[]).map((p) => (p < 0 ? p + x.shape.length : p));
    const layout = transposeLayout(x.shape, perm);
    const rank = perm.length;
    // The last two axes swapped (a matrix, or a batch of them): tiled copies of single elements.
    const swap = rank >= 2 && perm.every((p, i) => (i < rank - 2 ? p === i : p === 2 * rank - 3 - i)) && (x.dtype === 'float32' || x.dtype === 'int32');
    if (!MOVABLE.has(x.dtype) || !(layout || swap) || tf.util.sizeFromShape(x.shape) === 0) return undefined;
    const out = args.backend.makeOutput(
      perm.map((p) => x.shape[p]),
      x.dtype,
    );
    if (layout) transpose(heap(args, x), heap(args, out), Int32Array.from(layout.axes.flat()), layout.axes.length, layout.run);
    else transpose2d(heap(args, x), heap(args, out), tf.util.sizeFromShape(x.shape.slice(0, -2)), x.shape[rank - 2], x.shape[rank - 1]);
    return out;
  });

  // A tensor repeated along its first axis (a learned token set over the batch): whole copies.
  wrap(tf.Tile, (args) => {
    const { x } = args.inputs;
    const reps = args.attrs.reps as number[];
    if (!MOVABLE.has(x.dtype) || reps.length !== x.shape.length || reps.slice(1).some((r) => r !== 1) || reps[0] < 1) return undefined;
    const size = tf.util.sizeFromShape(x.shape);
    if (size === 0) return undefined;
    const out = args.backend.makeOutput(
      x.shape.map((d, i) => (i === 0 ? d * reps[0] : d)),
      x.dtype,
    );
    copyRows(heap(args, x), 0, 0, heap(args, out), 0, size, size, reps[0]);
    return out;
  });
}

/**
 * A transpose as copies of contiguous runs: the trailing axes that keep their place form one run
 * of `run` elements; `axes` are the other output axes as [size, stride in x]. Undefined when the
 * last axis moves (runs of single elements: a swap of the last two axes goes to transpose2d, the
 * rest to the stock kernel) or nothing moves.
 */
export function transposeLayout(shape: number[], perm: number[]): { axes: [number, number][]; run: number } | undefined {
  let kept = shape.length;
  while (kept > 0 && perm[kept - 1] === kept - 1) kept--;
  if (kept === shape.length || kept === 0) return undefined;
  const run = tf.util.sizeFromShape(shape.slice(kept));
  if (run < 4) return undefined;
  const strides = shape.map((_, i) => tf.util.sizeFromShape(shape.slice(i + 1)));
  return { axes: perm.slice(0, kept).map((p) => [shape[p], strides[p]] as [number, number]), run };
}
