// The flow subnets' depthwise k×k convolution (stride 1, 'same') through the native addon
// (native/depthwise.c): the forward, and the filter gradient in one pass instead of k² shifted
// slices, products and sums. runtime/ops/conv.ts uses these where they run and its portable
// formulation elsewhere; test/ops/depthwise-kernel.test.ts holds them to it.
import * as tf from '@tensorflow/tfjs-core';
import type { NativeBlas } from '../native/blas.ts';
import { nativeKernelsOn } from './blas-kernels.ts';
import { countNativeCall, view } from './native-kernels.ts';
import type { WasmKernel } from './wasm-kernels.ts';

const FORWARD = 'DadfDepthwise';
const FILTER_GRAD = 'DadfDepthwiseFilterGrad';

type Args = Parameters<WasmKernel>[0];
let installed = false;

export function installDepthwiseKernels(blas: NativeBlas): void {
  const { depthwise, depthwiseFilterGrad } = blas;
  if (!depthwise || !depthwiseFilterGrad || installed) return; // an addon built from older sources
  installed = true;
  const register = (kernelName: string, run: (args: Args) => ReturnType<WasmKernel>) =>
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: ((args: Args) => (countNativeCall(kernelName), run(args))) as unknown as tf.KernelFunc });
  register(FORWARD, (args) => {
    const { x, filter } = args.inputs;
    const [n, h, w, c] = x.shape;
    const y = args.backend.makeOutput(x.shape, 'float32');
    const heap = (t: typeof x) => view(args, t);
    const k = filter.shape[0];
    depthwise(n, h, w, c, k, 1, (k - 1) / 2, (k - 1) / 2, h, w, heap(x), heap(filter), heap(y));
    return y;
  });
  register(FILTER_GRAD, (args) => {
    const { x, dy } = args.inputs;
    const [n, h, w, c] = x.shape;
    const k = Number(args.attrs.k);
    const dw = args.backend.makeOutput([k, k, c], 'float32');
    const heap = (t: typeof x) => view(args, t);
    depthwiseFilterGrad(n, h, w, c, k, heap(x), heap(dy), heap(dw));
    return dw;
  });
}

const runs = (x: tf.Tensor) => installed && nativeKernelsOn() && tf.getBackend() === 'wasm' && x.dtype === 'float32';

/** y = depthwise conv of x [N, H, W, C] with w [k, k, C]; undefined where the native kernel does not run. */
export function nativeDepthwise(x: tf.Tensor4D, w: tf.Tensor3D): tf.Tensor4D | undefined {
  return runs(x) ? (tf.engine().runKernel(FORWARD, { x, filter: w }, {}) as tf.Tensor4D) : undefined;
}

/** dw [k, k, C] = Σ over samples and positions of each shifted window of x times dy; undefined where it does not run. */
export function nativeDepthwiseFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, k: number): tf.Tensor3D | undefined {
  return runs(x) ? (tf.engine().runKernel(FILTER_GRAD, { x, dy }, { k }) as tf.Tensor3D) : undefined;
}
