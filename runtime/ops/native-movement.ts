// Concat, SplitV and a GatherV2 along the last axis on the tfjs wasm backend through the native
// addon (native/movement.c): the flows split, join and permute channels, i.e. rows of 48–384
// elements, which the stock and heap-view kernels copy with a JavaScript loop per row (~20 % of
// a flow step's kernel time). Bytes are copied unchanged; other cases go to the previous kernels.
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
  const { copyRows, gatherLast } = blas;
  if (!copyRows || !gatherLast) return; // an addon built from older sources
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
}
