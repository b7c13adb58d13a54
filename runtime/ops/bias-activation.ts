// x + bias followed by a relu or leaky relu as one native kernel each way (native/pointwise.c):
// the flow subnets' depthwise layer and its activation. The plain Add and LeakyRelu take two
// kernels forward and four backward (the mask, the select, the bias's sum); the fused forward
// gives the same bytes, the bias gradient adds in another order. Used where the addon runs on
// the wasm backend; undefined elsewhere, and the caller writes the plain ops.
import * as tf from '@tensorflow/tfjs-core';
import type { NativeBlas } from '../native/blas.ts';
import { nativeKernelsOn } from './blas-kernels.ts';
import { customOp } from './custom.ts';
import { countNativeCall, view as heap } from './native-kernels.ts';
import type { TensorInfo, WasmKernel } from './wasm-kernels.ts';

const FORWARD = 'DadfBiasLeakyRelu';
const BACKWARD = 'DadfBiasLeakyReluGrad';
const LEAKY = 3;

type Args = Parameters<WasmKernel>[0];
let installed = false;

export function installBiasActivationKernels(blas: NativeBlas): void {
  const { biasActivation, biasActivationGrad } = blas;
  if (!biasActivation || !biasActivationGrad || installed) return; // an addon built from older sources
  installed = true;
  const register = (kernelName: string, run: (args: Args) => TensorInfo | TensorInfo[]) =>
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: ((args: Args) => (countNativeCall(kernelName), run(args))) as unknown as tf.KernelFunc });
  register(FORWARD, (args) => {
    const { x, bias } = args.inputs;
    const cols = x.shape[x.shape.length - 1];
    const y = args.backend.makeOutput(x.shape, 'float32');
    biasActivation(heap(args, x), heap(args, bias), heap(args, y), tf.util.sizeFromShape(x.shape) / cols, cols, LEAKY, Number(args.attrs.slope));
    return y;
  });
  register(BACKWARD, (args) => {
    const { dy, y } = args.inputs;
    const cols = y.shape[y.shape.length - 1];
    const dx = args.backend.makeOutput(y.shape, 'float32');
    const db = args.backend.makeOutput([cols], 'float32');
    biasActivationGrad(heap(args, dy), heap(args, y), heap(args, dx), heap(args, db), tf.util.sizeFromShape(y.shape) / cols, cols, Number(args.attrs.slope));
    return [dx, db];
  });
}

/** The fused op for one slope (customOp takes tensors only; the slope is fixed per layer). */
const bySlope = new Map<number, (x: tf.Tensor, bias: tf.Tensor) => tf.Tensor>();
function fusedOp(slope: number): (x: tf.Tensor, bias: tf.Tensor) => tf.Tensor {
  let op = bySlope.get(slope);
  if (!op) {
    const attrs = { slope };
    op = customOp<[tf.Tensor, tf.Tensor], tf.Tensor>(([x, bias], save) => {
      const y = tf.engine().runKernel(FORWARD, { x, bias }, attrs) as tf.Tensor;
      save([y]);
      return { value: y, gradFunc: (dy, [sy]) => tf.engine().runKernel(BACKWARD, { dy, y: sy }, attrs) as tf.Tensor[] };
    });
    bySlope.set(slope, op);
  }
  return op;
}

/**
 * leakyRelu(x + bias, slope) (relu: slope 0) for x [..., C] and bias [C] in one native kernel
 * each way, or undefined where it does not run (no addon, native kernels off, another backend,
 * a negative slope).
 */
export function biasLeakyRelu(x: tf.Tensor, bias: tf.Tensor, slope: number): tf.Tensor | undefined {
  if (!installed || !nativeKernelsOn() || tf.getBackend() !== 'wasm' || slope < 0 || x.dtype !== 'float32') return undefined;
  if (bias.rank !== 1 || bias.shape[0] !== x.shape[x.shape.length - 1]) return undefined;
  return fusedOp(slope)(x, bias);
}
