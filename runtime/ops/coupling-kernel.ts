// The flow's coupling step as one native kernel and one native gradient (native/coupling.c),
// for the wasm backend with the addon: z = perm([x1 | x2·exp(s) + t]·g + offset) and Σ s per
// sample, from the halves x1, x2 and the subnet's raw output h (s = clamp·tanh(scale·a_s),
// t = scale·a_t). z comes back as its halves too: the next step conditions on z1, so the steps
// need no split or concat between them. runtime/model/flow.ts writes the same step in plain
// ops, once, for every other engine; this is its fast path and test/ops/coupling-kernel.test.ts
// holds it to that formulation.
import * as tf from '@tensorflow/tfjs-core';
import type { NativeBlas } from '../native/blas.ts';
import type { CouplingAttrs } from '../tensor-ops/types.ts';
import { nativeKernelsOn } from './blas-kernels.ts';
import { countNativeCall, view as heap } from './native-kernels.ts';
import type { TensorInfo, WasmKernel } from './wasm-kernels.ts';

const FORWARD = 'DadfCoupling';
const BACKWARD = 'DadfCouplingGrad';

type Args = Parameters<WasmKernel>[0];
type Attrs = { scale: number; clamp: number; perm: Int32Array };

let installed = false;
let wanted = true;

/** Turns the fused step off and on (tests and benchmarks compare it with the plain ops in one process). */
export function useFusedCoupling(on: boolean): void {
  wanted = on;
}

/** Rows (N·H·W), samples and the halves' widths of [N, H, W, c1] and [N, H, W, c2] halves. */
function layout(x1: TensorInfo, x2: TensorInfo) {
  const c1 = x1.shape[x1.shape.length - 1];
  return { rows: tf.util.sizeFromShape(x1.shape) / c1, samples: x1.shape[0], c1, c2: x2.shape[x2.shape.length - 1] };
}

export function installCouplingKernel(blas: NativeBlas): void {
  const { couplingForward, couplingBackward } = blas;
  if (!couplingForward || !couplingBackward || installed) return; // an addon built from older sources
  installed = true;
  tf.registerKernel({
    kernelName: FORWARD,
    backendName: 'wasm',
    kernelFunc: ((args: Args) => {
      const { x1, x2, h, g, offset } = args.inputs;
      const a = args.attrs as unknown as Attrs;
      const { rows, samples, c1, c2 } = layout(x1, x2);
      const outs = [x1.shape, x2.shape, [samples]].map((shape) => args.backend.makeOutput(shape, 'float32'));
      const [z1, z2, sdet] = outs.map((t) => heap(args, t));
      const [v1, v2, vh, vg, vo] = [x1, x2, h, g, offset].map((t) => heap(args, t));
      couplingForward(rows, c1, c2, samples, a.scale, a.clamp, a.perm, v1, v2, vh, vg, vo, z1, z2, sdet);
      countNativeCall(FORWARD);
      return outs;
    }) as unknown as tf.KernelFunc,
  });
  tf.registerKernel({
    kernelName: BACKWARD,
    backendName: 'wasm',
    kernelFunc: ((args: Args) => {
      const { dz1, dz2, dsdet, x1, x2, h, g } = args.inputs;
      const a = args.attrs as unknown as Attrs;
      const { rows, samples, c1, c2 } = layout(x1, x2);
      const outs = [x1.shape, x2.shape, h.shape, g.shape, g.shape].map((shape) => args.backend.makeOutput(shape, 'float32'));
      const [dx1, dx2, dh, dg, doffset] = outs.map((t) => heap(args, t));
      const [d1, d2, ds, v1, v2, vh, vg] = [dz1, dz2, dsdet, x1, x2, h, g].map((t) => heap(args, t));
      couplingBackward(rows, c1, c2, samples, a.scale, a.clamp, a.perm, d1, d2, ds, v1, v2, vh, vg, dx1, dx2, dh, dg, doffset);
      countNativeCall(BACKWARD);
      return outs;
    }) as unknown as tf.KernelFunc,
  });
  tf.registerGradient({
    kernelName: FORWARD,
    inputsToSave: ['x1', 'x2', 'h', 'g'],
    gradFunc: (dys, saved, attrs) => {
      const [dz1, dz2, dsdet] = dys as tf.Tensor[];
      const [x1, x2, h, g] = saved;
      // Computed once here; the closures hand out its parts (tfjs calls gradFunc once per node).
      const [dx1, dx2, dh, dg, doffset] = tf
        .engine()
        .runKernel(BACKWARD, { dz1, dz2, dsdet, x1, x2, h, g }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
      return { x1: () => dx1, x2: () => dx2, h: () => dh, g: () => dg, offset: () => doffset };
    },
  });
}

/** Whether the fused step runs now (the addon's kernel installed and on, on the wasm backend). */
export function fusedCouplingRuns(): boolean {
  return installed && wanted && nativeKernelsOn() && tf.getBackend() === 'wasm';
}

const perms = new WeakMap<number[], Int32Array>();
const NO_PERMUTATION = new Int32Array(0);

/**
 * The fused step on halves x1 [N, H, W, c1], x2 [N, H, W, c2], or undefined where it cannot run
 * (no addon, native kernels off, another backend or dtype): the caller then computes the plain formulation.
 */
export function fusedCoupling(
  x1: tf.Tensor,
  x2: tf.Tensor,
  h: tf.Tensor,
  g: tf.Tensor,
  offset: tf.Tensor,
  attrs: CouplingAttrs,
): { z1: tf.Tensor; z2: tf.Tensor; sdet: tf.Tensor } | undefined {
  if (!fusedCouplingRuns() || x1.rank !== 4 || x1.dtype !== 'float32' || x2.dtype !== 'float32') return undefined;
  let perm: Int32Array = NO_PERMUTATION;
  if (attrs.perm) {
    perm = perms.get(attrs.perm) ?? Int32Array.from(attrs.perm);
    perms.set(attrs.perm, perm);
  }
  const kernelAttrs: Attrs = { scale: attrs.scale, clamp: attrs.clamp, perm };
  const [z1, z2, sdet] = tf.engine().runKernel(FORWARD, { x1, x2, h, g, offset }, kernelAttrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
  return { z1, z2, sdet };
}
