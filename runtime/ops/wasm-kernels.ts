// Replacement Slice / SplitV / Unpack / GatherV2 kernels for the tfjs wasm backend. The stock ones call
// backend.readSync(x), which copies the *whole* input out of the (shared) wasm heap for every
// slice: an unstack of 64 items copies the input 64 times (measured: tf.slice of 48 K floats out
// of a 3 MB tensor 16 ms, tf.unstack of [64,256,48] 1.1 s). These read the input through a
// view of the heap instead; the values they produce are the same bytes.
import * as tf from '@tensorflow/tfjs-core';

type DataId = object;
export interface TensorInfo {
  dataId: DataId;
  shape: number[];
  dtype: tf.DataType;
}
/** The parts of tfjs-backend-wasm's BackendWasm these kernels use. */
interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
  incRef(dataId: DataId): void;
}

/** Copies the block x[begin : begin+size] into out (both row-major). */
function copyBlock(backend: WasmBackend, x: TensorInfo, begin: number[], size: number[]): TensorInfo {
  const out = backend.makeOutput(size, x.dtype);
  const total = size.reduce((a, b) => a * b, 1);
  if (total === 0) return out;
  // Views are taken after makeOutput: a malloc may grow the heap and replace its buffer.
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  const rank = x.shape.length;
  const strides = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) strides[i] = strides[i + 1] * x.shape[i + 1];
  // The innermost run that is contiguous in x: trailing axes taken whole, plus one partial axis.
  let inner = rank - 1;
  while (inner > 0 && begin[inner] === 0 && size[inner] === x.shape[inner]) inner--;
  const run = size.slice(inner).reduce((a, b) => a * b, 1);
  const outer = size.slice(0, inner);
  const count = outer.reduce((a, b) => a * b, 1);
  const index = new Array<number>(inner).fill(0);
  let base = 0;
  for (let d = 0; d <= inner; d++) base += begin[d] * strides[d];
  for (let r = 0; r < count; r++) {
    let offset = base;
    for (let d = 0; d < inner; d++) offset += index[d] * strides[d];
    dst.set(src.subarray(offset, offset + run), r * run);
    for (let d = inner - 1; d >= 0; d--) {
      if (++index[d] < outer[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

function normaliseAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

function slice({ inputs, attrs, backend }: { inputs: { x: TensorInfo }; attrs: { begin: number | number[]; size?: number | number[] }; backend: WasmBackend }) {
  const { x } = inputs;
  const [begin, size] = tf.slice_util.parseSliceParams(x as unknown as tf.TensorInfo, attrs.begin, attrs.size);
  return copyBlock(backend, x, begin, size);
}

function splitV({ inputs, attrs, backend }: { inputs: { x: TensorInfo }; attrs: { numOrSizeSplits: number | number[]; axis: number }; backend: WasmBackend }) {
  const { x } = inputs;
  const axis = normaliseAxis(attrs.axis, x.shape.length);
  const sizes = tf.backend_util.prepareSplitSize(x as unknown as tf.Tensor, attrs.numOrSizeSplits, axis);
  const begin = new Array<number>(x.shape.length).fill(0);
  return sizes.map((s) => {
    const size = [...x.shape];
    size[axis] = s;
    const part = copyBlock(backend, x, [...begin], size);
    begin[axis] += s;
    return part;
  });
}

function unpack({ inputs, attrs, backend }: { inputs: { value: TensorInfo }; attrs: { axis: number }; backend: WasmBackend }) {
  const x = inputs.value;
  const axis = normaliseAxis(attrs.axis, x.shape.length);
  const outShape = x.shape.filter((_, i) => i !== axis);
  const begin = new Array<number>(x.shape.length).fill(0);
  const size = [...x.shape];
  size[axis] = 1;
  return Array.from({ length: x.shape[axis] }, (_, i) => {
    begin[axis] = i;
    const part = copyBlock(backend, x, begin, size);
    return { dataId: part.dataId, dtype: part.dtype, shape: outShape };
  });
}

type KernelArgs = { inputs: Record<string, TensorInfo>; attrs: Record<string, unknown>; backend: WasmBackend };
export type WasmKernel = (args: KernelArgs) => TensorInfo | TensorInfo[];

/**
 * tf.gather as block copies: the C++ Gather costs ~50 ns per element (a channel permutation of a
 * [8,64,64,384] flow tensor took ~0.2 s); this copies runs of `inner` elements, or single
 * elements with a JS loop when gathering along the last axis. batchDims > 0: the stock kernel.
 */
function makeGather(stock: WasmKernel): WasmKernel {
  return (args) => {
    const { x, indices } = args.inputs;
    const batchDims = Number(args.attrs.batchDims ?? 0);
    if (batchDims !== 0 || x.dtype === 'string' || x.dtype === 'complex64') return stock(args);
    const axis = normaliseAxis(Number(args.attrs.axis), x.shape.length);
    const index = args.backend.typedArrayFromHeap(indices);
    const axisDim = x.shape[axis];
    for (let i = 0; i < index.length; i++) {
      if (!(index[i] >= 0 && index[i] < axisDim)) return stock(args); // its error message
    }
    const picks = Int32Array.from(index);
    const outer = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
    const inner = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    const out = args.backend.makeOutput([...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)], x.dtype);
    const src = args.backend.typedArrayFromHeap(x);
    const dst = args.backend.typedArrayFromHeap(out);
    const k = picks.length;
    if (inner === 1) {
      for (let o = 0, d = 0; o < outer; o++) {
        const base = o * axisDim;
        for (let i = 0; i < k; i++) dst[d++] = src[base + picks[i]];
      }
    } else {
      for (let o = 0, d = 0; o < outer; o++) {
        const base = o * axisDim * inner;
        for (let i = 0; i < k; i++, d += inner) dst.set(src.subarray(base + picks[i] * inner, base + (picks[i] + 1) * inner), d);
      }
    }
    return out;
  };
}

/**
 * The stock Identity (tf.clone, and many gradients: ~630 calls per flow step) and a Cast to the
 * input's own dtype copy the tensor. No kernel writes into its inputs, so the output can share
 * the input's memory, counted by reference as the wasm backend's own Reshape does.
 */
function share(x: TensorInfo, backend: WasmBackend): TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

function makeIdentity(stock: WasmKernel): WasmKernel {
  return (args) => (args.inputs.x.dtype === 'string' ? stock(args) : share(args.inputs.x, args.backend));
}

function makeCast(stock: WasmKernel): WasmKernel {
  return (args) => (args.attrs.dtype === args.inputs.x.dtype && args.inputs.x.dtype !== 'string' ? share(args.inputs.x, args.backend) : stock(args));
}

const REPLACED: [string, (stock: WasmKernel) => WasmKernel][] = [
  [tf.Identity, makeIdentity],
  [tf.Cast, makeCast],
  [tf.Slice, () => slice as unknown as WasmKernel],
  [tf.SplitV, () => splitV as unknown as WasmKernel],
  [tf.Unpack, () => unpack as unknown as WasmKernel],
  [tf.GatherV2, makeGather],
];
/** The wrappers (by tag) applied to each kernel name, so that each is applied once and several can stack. */
const applied = new Map<string, Set<string>>();

/**
 * Swaps in the heap-view kernels; call after '@tensorflow/tfjs-backend-wasm' is imported (its
 * import registers the stock ones). Idempotent.
 */
export function installWasmKernels(): void {
  for (const [kernelName, make] of REPLACED) replaceWasmKernel(kernelName, 'heap-view', make);
}

/**
 * Registers make(current) as the wasm backend's kernelName, once per tag; the kernel it replaces
 * (the stock one, or an earlier replacement) stays callable through it.
 */
export function replaceWasmKernel(kernelName: string, tag: string, make: (stock: WasmKernel) => WasmKernel): void {
  const current = tf.getKernel(kernelName, 'wasm');
  const done = applied.get(kernelName) ?? new Set<string>();
  if (!current || done.has(tag)) return;
  applied.set(kernelName, done.add(tag));
  const kernelFunc = make(current.kernelFunc as unknown as WasmKernel) as unknown as tf.KernelFunc;
  tf.unregisterKernel(kernelName, 'wasm');
  // setupFunc stays: the backend runs it at start, and the stock kernel may still be called.
  tf.registerKernel({ ...current, kernelFunc });
}
