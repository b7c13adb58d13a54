// Keras MobileNet (v1): conv1 3×3/2 → 13 × (depthwise 3×3 → BN → ReLU6 → pointwise 1×1 →
// BN → ReLU6). 'same' padding as in the Keras model (TF semantics: extra pad bottom/right).
import { MOBILENET_V1_STRIDE2 } from '../../compiler/backbones.ts';
import type { BackboneNet } from './net.ts';

const EPS = 1e-3;

export function mobilenetV1<T>(net: BackboneNet<T>, x: T, upTo: number, taps: Set<string>): Record<string, T> {
  const out: Record<string, T> = {};
  let h = net.conv(x, { name: 'conv1', kernel: 'conv1/kernel', bn: { prefix: 'conv1_bn', eps: EPS }, stride: 2, pad: 'same', activation: 'relu6' });
  for (let n = 1; n <= upTo + 1; n++) {
    const stride = MOBILENET_V1_STRIDE2.has(n) ? 2 : 1;
    const dw = `conv_dw_${n}`;
    const pw = `conv_pw_${n}`;
    h = net.conv(h, {
      name: dw,
      kernel: `${dw}/depthwise_kernel`,
      bn: { prefix: `${dw}_bn`, eps: EPS },
      stride,
      pad: 'same',
      activation: 'relu6',
      depthwise: true,
    });
    h = net.conv(h, { name: pw, kernel: `${pw}/kernel`, bn: { prefix: `${pw}_bn`, eps: EPS }, stride: 1, pad: 'same', activation: 'relu6' });
    if (taps.has(pw)) out[pw] = h;
  }
  return out;
}
