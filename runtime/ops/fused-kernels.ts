// LayerNorm and GELU as one native kernel forward and one backward (native/layernorm.c,
// native/gelu.c), registered on the tfjs wasm backend under their own names and used through
// tf.customGrad. The plain formulations (runtime/ops/nn.ts) take ~9 and 5 kernels forward and
// ~25 and ~10 backward, each a pass over memory and a JavaScript dispatch. Used only where the
// addon is loaded and turned on (useNativeKernels) on the wasm backend; everywhere else (wasm
// alone, other backends, the ONNX engine) the plain formulation runs.
// test/ops/fused-kernels.test.ts compares values and gradients with the plain formulation.
import * as tf from '@tensorflow/tfjs-core';
import type { NativeBlas } from '../native/blas.ts';
import { nativeKernelsOn } from './blas-kernels.ts';
import { customOp } from './custom.ts';
import { countNativeCall } from './native-kernels.ts';
import type { TensorInfo, WasmKernel } from './wasm-kernels.ts';

type Args = Parameters<WasmKernel>[0];
type Fused = Required<Pick<NativeBlas, 'layerNorm' | 'layerNormGrad' | 'gelu' | 'geluGrad'>>;

const LAYER_NORM = 'DadfLayerNorm';
const LAYER_NORM_GRAD = 'DadfLayerNormGrad';
const GELU = 'DadfGelu';
const GELU_GRAD = 'DadfGeluGrad';

let installed = false;

/** Whether layerNorm and gelu run as fused native kernels now. */
export function fusedKernelsRun(): boolean {
  return installed && nativeKernelsOn() && tf.getBackend() === 'wasm';
}

const view = (args: Args, t: TensorInfo) => args.backend.typedArrayFromHeap(t) as Float32Array;

function register(kernelName: string, kernelFunc: (args: Args) => TensorInfo | TensorInfo[]): void {
  if (tf.getKernel(kernelName, 'wasm')) return;
  tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: kernelFunc as unknown as tf.KernelFunc });
}

export function installFusedKernels(blas: NativeBlas): void {
  const { layerNorm, layerNormGrad, gelu, geluGrad } = blas;
  if (!layerNorm || !layerNormGrad || !gelu || !geluGrad) return; // an addon built from older sources
  const fused: Fused = { layerNorm, layerNormGrad, gelu, geluGrad };
  register(LAYER_NORM, (args) => {
    const { x, g, b } = args.inputs;
    const n = tf.util.sizeFromShape(g.shape);
    const rows = tf.util.sizeFromShape(x.shape) / n;
    const y = args.backend.makeOutput(x.shape, 'float32');
    const mean = args.backend.makeOutput([rows], 'float32');
    const rstd = args.backend.makeOutput([rows], 'float32');
    fused.layerNorm(view(args, x), view(args, g), view(args, b), view(args, y), view(args, mean), view(args, rstd), rows, n, Number(args.attrs.eps));
    countNativeCall(LAYER_NORM);
    return [y, mean, rstd];
  });
  register(LAYER_NORM_GRAD, (args) => {
    const { dy, x, g, mean, rstd } = args.inputs;
    const n = tf.util.sizeFromShape(g.shape);
    const rows = tf.util.sizeFromShape(x.shape) / n;
    const dx = args.backend.makeOutput(x.shape, 'float32');
    const dg = args.backend.makeOutput(g.shape, 'float32');
    const db = args.backend.makeOutput(g.shape, 'float32');
    fused.layerNormGrad(
      view(args, dy),
      view(args, x),
      view(args, g),
      view(args, mean),
      view(args, rstd),
      view(args, dx),
      view(args, dg),
      view(args, db),
      rows,
      n,
    );
    countNativeCall(LAYER_NORM_GRAD);
    return [dx, dg, db];
  });
  register(GELU, (args) => {
    const { x } = args.inputs;
    const y = args.backend.makeOutput(x.shape, 'float32');
    fused.gelu(view(args, x), view(args, y));
    countNativeCall(GELU);
    return y;
  });
  register(GELU_GRAD, (args) => {
    const { x, dy } = args.inputs;
    const dx = args.backend.makeOutput(x.shape, 'float32');
    fused.geluGrad(view(args, x), view(args, dy), view(args, dx));
    countNativeCall(GELU_GRAD);
    return dx;
  });
  installed = true;
}

const run = (name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap = {}) => tf.engine().runKernel(name, inputs, attrs);

/**
 * Whether the fused LayerNorm computes layerNorm(x, g, b, eps, axes): float32, the trailing axes
 * from some axis on, and g and b of exactly those axes' shape (leading 1s aside), one value per
 * normalised element: the transformer's token norms and the flow's input norm.
 */
export function fusedLayerNormFits(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor, axes: number[]): boolean {
  if (!fusedKernelsRun() || x.dtype !== 'float32' || g.dtype !== 'float32' || b.dtype !== 'float32') return false;
  const sorted = tf.util.parseAxisParam(axes, x.shape).sort((p, q) => p - q);
  const from = sorted[0];
  if (sorted.some((a, i) => a !== from + i) || sorted[sorted.length - 1] !== x.rank - 1) return false;
  const normalised = x.shape.slice(from);
  const trimmed = (shape: number[]) => shape.slice(shape.findIndex((d) => d !== 1));
  const fits = (t: tf.Tensor) => tf.util.arraysEqual(trimmed(t.shape), trimmed(normalised)) && t.size === tf.util.sizeFromShape(normalised);
  return tf.util.sizeFromShape(normalised) > 0 && x.size > 0 && fits(g) && fits(b);
}

type LayerNormOp = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.Tensor;
const layerNormOps = new Map<number, LayerNormOp>();

/** LayerNorm over x's trailing axes with a per-element affine; call where fusedLayerNormFits. One op per eps (each model uses one or two). */
export function fusedLayerNorm(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor, eps: number): tf.Tensor {
  let op = layerNormOps.get(eps);
  if (!op) {
    op = customOp<[tf.Tensor, tf.Tensor, tf.Tensor], tf.Tensor>(([xi, gi, bi], save) => {
      const [y, mean, rstd] = run(LAYER_NORM, { x: xi, g: gi, b: bi }, { eps }) as tf.Tensor[];
      save([xi, gi, bi, mean, rstd]);
      return {
        value: y,
        gradFunc: (dy, [sx, sg, sb, sm, sr]) => {
          const [dx, dg, db] = run(LAYER_NORM_GRAD, { dy, x: sx, g: sg, mean: sm, rstd: sr }) as tf.Tensor[];
          return [dx, dg, tf.reshape(db, sb.shape)];
        },
      };
    });
    layerNormOps.set(eps, op);
  }
  return op(x, g, b);
}

/** Exact GELU; call where fusedKernelsRun() and x is float32. */
export const fusedGelu = customOp<[tf.Tensor], tf.Tensor>(([x], save) => {
  save([x]);
  return {
    value: run(GELU, { x }) as tf.Tensor,
    gradFunc: (dy, [sx]) => [run(GELU_GRAD, { x: sx, dy }) as tf.Tensor],
  };
});
