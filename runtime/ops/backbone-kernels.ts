// The backbones' frozen layers through the native addon instead of the wasm backend's XNNPACK,
// where most of feature extraction and inference goes:
//   FusedConv2D with a [1, 1, Cin, Cout] filter, stride 1, NHWC (MobileNet's pointwise layers,
//   most of its arithmetic): one OpenBLAS product [N·H·W, Cin]·[Cin, Cout], then bias and
//   activation in place (native/pointwise.c);
//   FusedDepthwiseConv2D with one filter per channel: native/depthwise.c at its stride and
//   padding, then bias and activation;
//   ResizeBilinear (the anomaly maps upsampled to the image): native/resize.c.
// Other convolutions go to the kernels these wrap. The sums add in another order than
// XNNPACK's, so taps agree to float rounding (test/ops/backbone-kernels.test.ts).
import * as tf from '@tensorflow/tfjs-core';
import type { NativeBlas } from '../native/blas.ts';
import { nativeKernelsOn } from './blas-kernels.ts';
import { countNativeCall, view } from './native-kernels.ts';
import { replaceWasmKernel, type TensorInfo, type WasmKernel } from './wasm-kernels.ts';

const ACTIVATIONS: Record<string, number> = { linear: 0, relu: 1, relu6: 2 };
const NO_BIAS = new Float32Array(0);
const ones = (v: unknown) => v === undefined || v === 1 || (Array.isArray(v) && v.every((d) => d === 1));

type Args = Parameters<WasmKernel>[0];
type BiasActivation = NonNullable<NativeBlas['biasActivation']>;

/** The activation's code when the call is one the native kernels take (float32, NHWC, no dilation, no PReLU); else undefined. */
function activationOf(args: Args): number | undefined {
  const { x, filter, preluActivationWeights } = args.inputs;
  const { dilations, dataFormat, activation } = args.attrs as Record<string, unknown>;
  const act = ACTIVATIONS[String(activation ?? 'linear')];
  if (preluActivationWeights || x.dtype !== 'float32' || filter.dtype !== 'float32' || !ones(dilations) || (dataFormat ?? 'NHWC') !== 'NHWC') return undefined;
  return act;
}

function pointwise(blas: NativeBlas, biasActivation: BiasActivation, args: Args): TensorInfo | undefined {
  const { x, filter, bias } = args.inputs;
  const { strides, pad } = args.attrs as Record<string, unknown>;
  const act = activationOf(args);
  if (act === undefined || filter.shape[0] !== 1 || filter.shape[1] !== 1 || !ones(strides)) return undefined;
  if (!(pad === 'same' || pad === 'valid' || pad === 0)) return undefined;
  const [cin, cout] = [filter.shape[2], filter.shape[3]];
  const rows = tf.util.sizeFromShape(x.shape) / cin;
  if (rows === 0 || (bias && tf.util.sizeFromShape(bias.shape) !== cout)) return undefined;
  const out = args.backend.makeOutput([...x.shape.slice(0, -1), cout], 'float32');
  const heap = (t: TensorInfo) => view(args, t);
  const y = heap(out);
  blas.sgemm(heap(x), heap(filter), y, 1, rows, cout, cin, false, false, 0, 0);
  biasActivation(y, bias ? heap(bias) : NO_BIAS, y, rows, cout, act, 0);
  countNativeCall(tf.FusedConv2D);
  return out;
}

function depthwiseLayer(depthwise: NonNullable<NativeBlas['depthwise']>, biasActivation: BiasActivation, args: Args): TensorInfo | undefined {
  const { x, filter, bias } = args.inputs;
  const { strides, dilations, pad, dimRoundingMode } = args.attrs as Record<string, unknown>;
  const act = activationOf(args);
  const [kh, kw, c, multiplier] = filter.shape;
  if (act === undefined || kh !== kw || kh % 2 === 0 || multiplier !== 1 || x.shape.length !== 4 || x.shape[3] !== c || Array.isArray(pad)) return undefined;
  const stride = (Array.isArray(strides) ? strides : [strides, strides]) as [number, number];
  if (stride[0] !== stride[1] || (bias && tf.util.sizeFromShape(bias.shape) !== c)) return undefined;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    stride,
    (dilations ?? 1) as number,
    pad as 'same' | 'valid' | number,
    dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
    true,
  );
  const [n, h, w] = x.shape;
  const out = args.backend.makeOutput([n, info.outHeight, info.outWidth, c], 'float32');
  if (tf.util.sizeFromShape(out.shape) === 0) return out;
  const heap = (t: TensorInfo) => view(args, t);
  const y = heap(out);
  depthwise(n, h, w, c, kh, stride[0], info.padInfo.top, info.padInfo.left, info.outHeight, info.outWidth, heap(x), heap(filter), y);
  biasActivation(y, bias ? heap(bias) : NO_BIAS, y, n * info.outHeight * info.outWidth, c, act, 0);
  countNativeCall(tf.FusedDepthwiseConv2D);
  return out;
}

/** ResizeBilinear on float32 NHWC (the anomaly maps upsampled to the image). */
function resizeBilinear(resize: NonNullable<NativeBlas['resizeBilinear']>, args: Args): TensorInfo | undefined {
  const { images } = args.inputs;
  const { alignCorners, halfPixelCenters, size } = args.attrs as { alignCorners: boolean; halfPixelCenters: boolean; size: [number, number] };
  if (images.dtype !== 'float32' || images.shape.length !== 4 || tf.util.sizeFromShape(images.shape) === 0 || size[0] < 1 || size[1] < 1) return undefined;
  const [n, h, w, c] = images.shape;
  const out = args.backend.makeOutput([n, size[0], size[1], c], 'float32');
  const heap = (t: TensorInfo) => view(args, t);
  resize(heap(images), heap(out), n, h, w, c, size[0], size[1], Boolean(alignCorners), Boolean(halfPixelCenters));
  countNativeCall(tf.ResizeBilinear);
  return out;
}

export function installBackboneKernels(blas: NativeBlas): void {
  const { biasActivation, depthwise } = blas;
  if (!biasActivation || !depthwise) return; // an addon built from older sources
  replaceWasmKernel(
    tf.FusedConv2D,
    'native-pointwise',
    (stock) => (args) => (nativeKernelsOn() ? (pointwise(blas, biasActivation, args) ?? stock(args)) : stock(args)),
  );
  replaceWasmKernel(
    tf.FusedDepthwiseConv2D,
    'native-depthwise',
    (stock) => (args) => (nativeKernelsOn() ? (depthwiseLayer(depthwise, biasActivation, args) ?? stock(args)) : stock(args)),
  );
  const { resizeBilinear: resize } = blas;
  if (resize) {
    replaceWasmKernel(
      tf.ResizeBilinear,
      'native-resize',
      (stock) => (args) => (nativeKernelsOn() ? (resizeBilinear(resize, args) ?? stock(args)) : stock(args)),
    );
  }
}
