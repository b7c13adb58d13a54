// Keras MobileNet (v1): conv1 3×3/2 → 13 × (depthwise 3×3 → BN → ReLU6 → pointwise 1×1 →
// BN → ReLU6). 'same' padding as in the Keras model (TF semantics: extra pad bottom/right).
import type * as tf from '@tensorflow/tfjs-core';
import { MOBILENET_V1_STRIDE2 } from '../../compiler/weights/index.ts';
import { conv, depthwise, type Forward, type Params } from './params.ts';

const EPS = 1e-3;

export function buildMobilenetV1(params: Params, upTo: number, taps: Set<string>): Forward {
  const stem = params.convBn('conv1/kernel', 'conv1_bn', EPS);
  const blocks = Array.from({ length: upTo + 1 }, (_, i) => {
    const n = i + 1;
    return {
      tap: `conv_pw_${n}`,
      stride: MOBILENET_V1_STRIDE2.has(n) ? 2 : 1,
      dw: params.convBn(`conv_dw_${n}/depthwise_kernel`, `conv_dw_${n}_bn`, EPS, true),
      pw: params.convBn(`conv_pw_${n}/kernel`, `conv_pw_${n}_bn`, EPS),
    };
  });
  return (x: tf.Tensor4D) => {
    const out: Record<string, tf.Tensor4D> = {};
    let h = conv(x, stem, 2, 'same', 'relu6');
    for (const b of blocks) {
      h = depthwise(h, b.dw, b.stride, 'same', 'relu6');
      h = conv(h, b.pw, 1, 'same', 'relu6');
      if (taps.has(b.tap)) out[b.tap] = h;
    }
    return out;
  };
}
