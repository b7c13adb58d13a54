// BatchMatMul for the tfjs wasm backend through the native OpenBLAS addon (runtime/native/
// blas.ts): the product is computed in place on the backend's heap, no copy in or out. Every
// product of the model goes through this kernel (dense layers, 1×1 and im2col convolutions,
// attention, and all their gradients, which are products with transposes). Shapes the stock
// kernel handles in another way (non-float32, empty, an outer-dimension broadcast other than
// one side being 1) go to the stock kernel unchanged.
import * as tf from '@tensorflow/tfjs-core';
import type { NativeBlas } from '../native/blas.ts';
import { replaceWasmKernel, type TensorInfo, type WasmKernel } from './wasm-kernels.ts';

let active = true;
let installed = false;
let calls = 0;

/** Whether products on the current backend go through the native kernel now. */
export function nativeMatmulRuns(): boolean {
  return installed && active && tf.getBackend() === 'wasm';
}

/** Products the native path computed so far in this process (tests check that it ran). */
export function nativeMatmulCalls(): number {
  return calls;
}

/** Turns the native kernels (matmul and broadcast element-wise) on or off after they were installed (benchmarks and tests compare both in one process). */
export function useNativeKernels(on: boolean): void {
  active = on;
}

/** Whether useNativeKernels left them on. */
export function nativeKernelsOn(): boolean {
  return active;
}

export function installBlasKernels(blas: NativeBlas): void {
  installed = true;
  replaceWasmKernel(tf.BatchMatMul, 'native-matmul', (stock) => (args) => (active ? (blasMatMul(blas, args) ?? stock(args)) : stock(args)));
}

function blasMatMul(blas: NativeBlas, { inputs, attrs, backend }: Parameters<WasmKernel>[0]): TensorInfo | undefined {
  const { a, b } = inputs;
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
  const transA = Boolean(attrs.transposeA);
  const transB = Boolean(attrs.transposeB);
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = transA ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = transA ? a.shape[ra - 2] : a.shape[ra - 1];
  const kB = transB ? b.shape[rb - 1] : b.shape[rb - 2];
  const n = transB ? b.shape[rb - 2] : b.shape[rb - 1];
  const batchA = tf.util.sizeFromShape(a.shape.slice(0, -2));
  const batchB = tf.util.sizeFromShape(b.shape.slice(0, -2));
  const batch = Math.max(batchA, batchB);
  const broadcastable = (batchA === batch || batchA === 1) && (batchB === batch || batchB === 1);
  if (k !== kB || !broadcastable || m * n * k * batch === 0) return undefined; // the stock kernel's checks and messages
  const outer = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  if (tf.util.sizeFromShape(outer) !== batch) return undefined;
  const out = backend.makeOutput([...outer, m, n], 'float32');
  // Views are taken after makeOutput: a malloc may grow the heap and replace its buffer.
  const av = backend.typedArrayFromHeap(a) as Float32Array;
  const bv = backend.typedArrayFromHeap(b) as Float32Array;
  const cv = backend.typedArrayFromHeap(out) as Float32Array;
  calls++;
  blas.sgemm(av, bv, cv, batch, m, n, k, transA, transB, batchA === 1 ? 0 : m * k, batchB === 1 ? 0 : k * n);
  return out;
}
