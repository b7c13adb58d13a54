// The flow's coupling step as one native kernel and one native gradient (native/coupling.c),
// for the wasm backend with the addon: z = perm([x1 | x2·exp(s) + t]·g + offset) and Σ s per
// sample, from x and the subnet's raw output h (s = clamp·tanh(scale·a_s), t = scale·a_t).
// runtime/model/flow.ts writes the same step in plain ops, once, for every other engine; this is
// its fast path and test/ops/coupling-kernel.test.ts holds it to that formulation.
import * as tf from '@tensorflow/tfjs-core';
import type { NativeBlas } from '../native/blas.ts';
import type { CouplingAttrs } from '../tensor-ops/types.ts';
import { nativeKernelsOn } from './blas-kernels.ts';
import { countNativeCall } from './native-kernels.ts';
import type { TensorInfo, WasmKernel } from './wasm-kernels.ts';

const FORWARD = 'DadfCoupling';
const BACKWARD = 'DadfCouplingGrad';

type Args = Parameters<WasmKernel>[0];
type Attrs = { split: number; scale: number; clamp: number; perm: Int32Array };

let installed = false;
let wanted = true;

/** Turns the fused step off and on (tests and benchmarks compare it with the plain ops in one process). */
export function useFusedCoupling(on: boolean): void {
  wanted = on;
}
const heap = (args: Args, t: TensorInfo) => args.backend.typedArrayFromHeap(t) as Float32Array;
/** Rows (N·H·W), samples and the halves' widths of a [N, H, W, C] x. */
function layout(x: TensorInfo, split: number) {
  const channels = x.shape[x.shape.length - 1];
  return { rows: tf.util.sizeFromShape(x.shape) / channels, samples: x.shape[0], c1: split, c2: channels - split };
}

export function installCouplingKernel(blas: NativeBlas): void {
  const { couplingForward, couplingBackward } = blas;
  if (!couplingForward || !couplingBackward || installed) return; // an addon built from older sources
  installed = true;
  tf.registerKernel({
    kernelName: FORWARD,
    backendName: 'wasm',
    kernelFunc: ((args: Args) => {
      const { x, h, g, offset } = args.inputs;
      const a = args.attrs as unknown as Attrs;
      const { rows, samples, c1, c2 } = layout(x, a.split);
      const z = args.backend.makeOutput(x.shape, 'float32');
      const sdet = args.backend.makeOutput([samples], 'float32');
      couplingForward(
        rows,
        c1,
        c2,
        samples,
        a.scale,
        a.clamp,
        a.perm,
        heap(args, x),
        heap(args, h),
        heap(args, g),
        heap(args, offset),
        heap(args, z),
        heap(args, sdet),
      );
      countNativeCall(FORWARD);
      return [z, sdet];
    }) as unknown as tf.KernelFunc,
  });
  tf.registerKernel({
    kernelName: BACKWARD,
    backendName: 'wasm',
    kernelFunc: ((args: Args) => {
      const { dz, dsdet, x, h, g } = args.inputs;
      const a = args.attrs as unknown as Attrs;
      const { rows, samples, c1, c2 } = layout(x, a.split);
      const outs = [x.shape, h.shape, g.shape, g.shape].map((shape) => args.backend.makeOutput(shape, 'float32'));
      const [dx, dh, dg, doffset] = outs.map((t) => heap(args, t));
      couplingBackward(
        rows,
        c1,
        c2,
        samples,
        a.scale,
        a.clamp,
        a.perm,
        heap(args, dz),
        heap(args, dsdet),
        heap(args, x),
        heap(args, h),
        heap(args, g),
        dx,
        dh,
        dg,
        doffset,
      );
      countNativeCall(BACKWARD);
      return outs;
    }) as unknown as tf.KernelFunc,
  });
  tf.registerGradient({
    kernelName: FORWARD,
    inputsToSave: ['x', 'h', 'g'],
    gradFunc: (dys, saved, attrs) => {
      const [dz, dsdet] = dys as tf.Tensor[];
      const [x, h, g] = saved;
      // Computed once here; the closures hand out its parts (tfjs calls gradFunc once per node).
      const [dx, dh, dg, doffset] = tf.engine().runKernel(BACKWARD, { dz, dsdet, x, h, g }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
      return { x: () => dx, h: () => dh, g: () => dg, offset: () => doffset };
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
 * The fused step, or undefined where it cannot run (no addon, native kernels off, another
 * backend or dtype): the caller then computes the plain formulation.
 */
export function fusedCoupling(
  x: tf.Tensor,
  h: tf.Tensor,
  g: tf.Tensor,
  offset: tf.Tensor,
  attrs: CouplingAttrs,
): { z: tf.Tensor; sdet: tf.Tensor } | undefined {
  if (!fusedCouplingRuns() || x.rank !== 4 || x.dtype !== 'float32') return undefined;
  let perm: Int32Array = NO_PERMUTATION;
  if (attrs.perm) {
    perm = perms.get(attrs.perm) ?? Int32Array.from(attrs.perm);
    perms.set(attrs.perm, perm);
  }
  const kernelAttrs: Attrs = { split: attrs.split, scale: attrs.scale, clamp: attrs.clamp, perm };
  const [z, sdet] = tf.engine().runKernel(FORWARD, { x, h, g, offset }, kernelAttrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
  return { z, sdet };
}
