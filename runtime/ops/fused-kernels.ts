// LayerNorm, GELU and multi-head attention as one native kernel forward and one backward
// (native/layernorm.c, gelu.c, attention.c), registered on the tfjs wasm backend under their own
// names and used through tf.customGrad. The plain formulations (runtime/ops/nn.ts,
// attention.ts) take ~9, 5 and ~8 kernels forward and ~25, ~10 and ~20 backward, each a pass
// over memory and a JavaScript dispatch. Used only where the
// addon is loaded and turned on (useNativeKernels) on the wasm backend; everywhere else (wasm
// alone, other backends, the ONNX engine) the plain formulation runs.
// test/ops/fused-kernels.test.ts compares values and gradients with the plain formulation.
import * as tf from '@tensorflow/tfjs-core';
import type { NativeBlas } from '../native/blas.ts';
import { nativeKernelsOn } from './blas-kernels.ts';
import { customOp } from './custom.ts';
import { countNativeCall, view } from './native-kernels.ts';
import type { TensorInfo, WasmKernel } from './wasm-kernels.ts';

type Args = Parameters<WasmKernel>[0];
type Fused = Required<
  Pick<NativeBlas, 'layerNorm' | 'layerNormGrad' | 'gelu' | 'geluGrad' | 'attention' | 'attentionGrad' | 'dualAttention' | 'dualAttentionGrad'>
>;

const LAYER_NORM = 'DadfLayerNorm';
const LAYER_NORM_GRAD = 'DadfLayerNormGrad';
const GELU = 'DadfGelu';
const GELU_GRAD = 'DadfGeluGrad';
const ATTENTION = 'DadfAttention';
const ATTENTION_GRAD = 'DadfAttentionGrad';
const DUAL_ATTENTION = 'DadfDualAttention';
const DUAL_ATTENTION_GRAD = 'DadfDualAttentionGrad';

let installed = false;

/** Whether layerNorm and gelu run as fused native kernels now. */
export function fusedKernelsRun(): boolean {
  return installed && nativeKernelsOn() && tf.getBackend() === 'wasm';
}

function register(kernelName: string, kernelFunc: (args: Args) => TensorInfo | TensorInfo[]): void {
  if (tf.getKernel(kernelName, 'wasm')) return;
  tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: kernelFunc as unknown as tf.KernelFunc });
}

export function installFusedKernels(blas: NativeBlas): void {
  const { layerNorm, layerNormGrad, gelu, geluGrad, attention, attentionGrad, dualAttention, dualAttentionGrad } = blas;
  if (!layerNorm || !layerNormGrad || !gelu || !geluGrad || !attention || !attentionGrad || !dualAttention || !dualAttentionGrad) return; // an addon built from older sources
  const fused: Fused = { layerNorm, layerNormGrad, gelu, geluGrad, attention, attentionGrad, dualAttention, dualAttentionGrad };
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
  register(ATTENTION, (args) => {
    const { q, k, v } = args.inputs;
    const [n, tq, w] = q.shape;
    const tk = k.shape[1];
    const heads = Number(args.attrs.heads);
    const out = args.backend.makeOutput(q.shape, 'float32');
    const p = args.backend.makeOutput([n, heads, tq, tk], 'float32');
    fused.attention(view(args, q), view(args, k), view(args, v), view(args, out), view(args, p), n, tq, tk, w, heads, Number(args.attrs.scale));
    countNativeCall(ATTENTION);
    return [out, p];
  });
  register(ATTENTION_GRAD, (args) => {
    const { dy, q, k, v, p } = args.inputs;
    const [n, tq, w] = q.shape;
    const tk = k.shape[1];
    const [dq, dk, dv] = [q, k, v].map((t) => args.backend.makeOutput(t.shape, 'float32'));
    const heads = Number(args.attrs.heads);
    fused.attentionGrad(
      view(args, dy),
      view(args, q),
      view(args, k),
      view(args, v),
      view(args, p),
      view(args, dq),
      view(args, dk),
      view(args, dv),
      n,
      tq,
      tk,
      w,
      heads,
      Number(args.attrs.scale),
    );
    countNativeCall(ATTENTION_GRAD);
    return [dq, dk, dv];
  });
  register(DUAL_ATTENTION, (args) => {
    const { qkv } = args.inputs;
    const [n, t, w3] = qkv.shape;
    const { heads, scale, memoryQuery } = args.attrs as { heads: number; scale: number; memoryQuery: boolean };
    const out = args.backend.makeOutput([n, t, w3 / 3], 'float32');
    const p = args.backend.makeOutput([n, heads, t, t], 'float32');
    fused.dualAttention(view(args, qkv), view(args, out), view(args, p), n, t, t, w3 / 3, heads, scale, memoryQuery);
    countNativeCall(DUAL_ATTENTION);
    return [out, p];
  });
  register(DUAL_ATTENTION_GRAD, (args) => {
    const { dy, qkv, p } = args.inputs;
    const [n, t, w3] = qkv.shape;
    const { heads, scale, memoryQuery } = args.attrs as { heads: number; scale: number; memoryQuery: boolean };
    const dqkv = args.backend.makeOutput(qkv.shape, 'float32');
    fused.dualAttentionGrad(view(args, dy), view(args, qkv), view(args, p), view(args, dqkv), n, t, t, w3 / 3, heads, scale, memoryQuery);
    countNativeCall(DUAL_ATTENTION_GRAD);
    return dqkv;
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

/** Whether the fused attention computes attention(q, k, v, heads): float32 [N, T, W] tensors, k and v alike, W a multiple of heads. */
export function fusedAttentionFits(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, heads: number): boolean {
  const [n, , w] = q.shape;
  const ok = (t: tf.Tensor) => t.dtype === 'float32' && t.rank === 3 && t.size > 0 && t.shape[0] === n && t.shape[2] === w;
  return (
    fusedKernelsRun() && ok(q) && ok(k) && ok(v) && tf.util.arraysEqual(k.shape, v.shape) && Number.isInteger(heads) && heads > 0 && (w ?? 0) % heads === 0
  );
}

const attentionOps = new Map<number, (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) => tf.Tensor>();

/** softmax(q kᵀ/√d) v per head, heads as column blocks of W; call where fusedAttentionFits. One op per head count. */
export function fusedAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, heads: number): tf.Tensor {
  let op = attentionOps.get(heads);
  if (!op) {
    op = customOp<[tf.Tensor, tf.Tensor, tf.Tensor], tf.Tensor>(([qi, ki, vi], save) => {
      const attrs = { heads, scale: 1 / Math.sqrt((qi.shape[2] ?? 0) / heads) };
      const [out, p] = run(ATTENTION, { q: qi, k: ki, v: vi }, attrs) as tf.Tensor[];
      save([qi, ki, vi, p]);
      return {
        value: out,
        gradFunc: (dy, [sq, sk, sv, sp]) => run(ATTENTION_GRAD, { dy, q: sq, k: sk, v: sv, p: sp }, attrs) as tf.Tensor[],
      };
    });
    attentionOps.set(heads, op);
  }
  return op(q, k, v);
}

/** Whether the fused dual attention computes dualAttention(qkv, heads, …): a float32 [2N, T, 3W] qkv, W a multiple of heads. */
export function fusedDualAttentionFits(qkv: tf.Tensor, heads: number): boolean {
  const [n, t, w3] = qkv.shape;
  return fusedKernelsRun() && qkv.dtype === 'float32' && qkv.rank === 3 && n % 2 === 0 && n > 0 && t > 0 && w3 % (3 * heads) === 0 && w3 > 0;
}

const dualAttentionOps = new Map<string, (qkv: tf.Tensor) => tf.Tensor>();

/** The transformer's self and memorial attention on its stacked qkv (tensor-ops/dual-attention.ts) in one kernel each way; call where fusedDualAttentionFits. */
export function fusedDualAttention(qkv: tf.Tensor, heads: number, query: 'memory' | 'features'): tf.Tensor {
  const key = `${heads} ${query}`;
  let op = dualAttentionOps.get(key);
  if (!op) {
    op = customOp<[tf.Tensor], tf.Tensor>(([x], save) => {
      const attrs = { heads, scale: 1 / Math.sqrt((x.shape[2] ?? 0) / 3 / heads), memoryQuery: query === 'memory' };
      const [out, p] = run(DUAL_ATTENTION, { qkv: x }, attrs) as tf.Tensor[];
      save([x, p]);
      return { value: out, gradFunc: (dy, [sx, sp]) => [run(DUAL_ATTENTION_GRAD, { dy, qkv: sx, p: sp }, attrs) as tf.Tensor] };
    });
    dualAttentionOps.set(key, op);
  }
  return op(qkv);
}
