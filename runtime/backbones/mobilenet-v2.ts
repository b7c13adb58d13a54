// Keras MobileNetV2: Conv1 3×3/2 → inverted residual blocks (expand 1×1 → ReLU6 → depthwise
// 3×3 → ReLU6 → project 1×1, linear; add when stride 1 and widths match). Keras pads the
// stride-2 convs with `correct_pad`, which equals TF 'same'. Tap block_N = block N's output.
import { mobilenetV2Blocks } from '../../compiler/backbones.ts';
import type { BackboneNet } from './net.ts';

const EPS = 1e-3;

export function mobilenetV2<T>(net: BackboneNet<T>, x: T, upTo: number, taps: Set<string>, alpha: number): Record<string, T> {
  const out: Record<string, T> = {};
  const layer = (name: string, kernel: string, stride = 1) => ({
    name,
    kernel: `${name}/${kernel}`,
    bn: { prefix: `${name}_BN`, eps: EPS },
    stride,
    pad: 'same' as const,
  });
  let h = net.conv(x, { name: 'Conv1', kernel: 'Conv1/kernel', bn: { prefix: 'bn_Conv1', eps: EPS }, stride: 2, pad: 'same', activation: 'relu6' });
  for (const b of mobilenetV2Blocks(alpha).blocks.slice(0, upTo + 1)) {
    let y = b.id > 0 ? net.conv(h, { ...layer(`${b.prefix}_expand`, 'kernel'), activation: 'relu6' }) : h;
    y = net.conv(y, { ...layer(`${b.prefix}_depthwise`, 'depthwise_kernel', b.stride), activation: 'relu6', depthwise: true });
    y = net.conv(y, { ...layer(`${b.prefix}_project`, 'kernel'), activation: 'linear' });
    h = b.residual ? net.ops.add(h, y) : y;
    if (taps.has(`block_${b.id}`)) out[`block_${b.id}`] = h;
  }
  return out;
}
