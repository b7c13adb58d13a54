// Add, Sub, Multiply and RealDiv on the tfjs wasm backend, through the native addon
// (native/broadcast.c), when one float32 operand is broadcast along leading axes (a bias or scale
// [C] or [H,W,C] over [N,H,W,C]) or trailing ones (a per-sample [N,1,1,1] over [N,H,W,C]). The
// stock kernels compute every element's broadcast index from its coordinates: ~4× the CPU time
// of the same op on equal shapes ([8,32,32,96] × [96]: 3.2 ms against 0.8 ms), and the flows
// call such ops ~200 times a step (LayerNorm affines, global scales, offsets, biases and their
// gradients). A JavaScript loop over the heap was slower still (5 ms). One IEEE operation per
// element, as before: the same bytes. Everything else goes to the stock kernels.
import * as tf from '@tensorflow/tfjs-core';
import type { NativeBlas } from '../native/blas.ts';
import { nativeKernelsOn } from './blas-kernels.ts';
import { replaceWasmKernel, type WasmKernel } from './wasm-kernels.ts';

const OPS = [tf.Add, tf.Sub, tf.Multiply, tf.RealDiv];
let calls = 0;

/** Ops the native broadcast path computed so far in this process (tests check that it ran). */
export function nativeBroadcastCalls(): number {
  return calls;
}

/** How `small` spreads over `big`: repeated (its shape ends big's) or stretched (it starts big's, then 1s); `block` elements per step. */
export function broadcastLayout(small: number[], big: number[]): { stretch: boolean; block: number } | undefined {
  const dims = [...small];
  while (dims.length > 0 && dims[0] === 1) dims.shift();
  if (dims.length === 0 || dims.length > big.length) return undefined;
  if (dims.every((d, i) => d === big[big.length - dims.length + i])) return { stretch: false, block: tf.util.sizeFromShape(dims) };
  if (small.length !== big.length) return undefined;
  let lead = 0;
  while (lead < small.length && small[lead] === big[lead]) lead++;
  if (lead === 0 || small.slice(lead).some((d) => d !== 1)) return undefined;
  return { stretch: true, block: tf.util.sizeFromShape(big.slice(lead)) };
}

function makeBroadcast(blas: Required<NativeBlas>, op: number): (stock: WasmKernel) => WasmKernel {
  return (stock) => (args) => {
    const { a, b } = args.inputs;
    if (!nativeKernelsOn() || a.dtype !== 'float32' || b.dtype !== 'float32') return stock(args);
    const sizeA = tf.util.sizeFromShape(a.shape);
    const sizeB = tf.util.sizeFromShape(b.shape);
    // Equal sizes and scalars have fast paths in the stock kernels.
    if (sizeA === sizeB || sizeA <= 1 || sizeB <= 1) return stock(args);
    const aIsBig = sizeA > sizeB;
    const [big, small] = aIsBig ? [a, b] : [b, a];
    const how = broadcastLayout(small.shape, big.shape);
    if (!how) return stock(args);
    const out = args.backend.makeOutput(big.shape, 'float32');
    // Views after makeOutput: a malloc may grow the heap and replace its buffer.
    const view = (t: typeof a) => args.backend.typedArrayFromHeap(t) as Float32Array;
    calls++;
    blas.broadcast(op, view(big), view(small), view(out), how.block, how.stretch, aIsBig);
    return out;
  };
}

export function installBroadcastKernels(blas: NativeBlas): void {
  if (!blas.broadcast) return; // an addon built from older sources
  OPS.forEach((name, op) => replaceWasmKernel(name, 'native-broadcast', makeBroadcast(blas as Required<NativeBlas>, op)));
}
