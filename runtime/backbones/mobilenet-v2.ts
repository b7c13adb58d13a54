// Keras MobileNetV2: Conv1 3×3/2 → inverted residual blocks (expand 1×1 → ReLU6 → depthwise
// 3×3 → ReLU6 → project 1×1, linear; add when stride 1 and widths match). Keras pads the
// stride-2 convs with `correct_pad`, which equals TF 'same'. Tap block_N = block N's output.
import * as tf from '@tensorflow/tfjs-core';
import { mobilenetV2Blocks } from '../../compiler/weights/index.ts';
import { conv, depthwise, type Forward, type Params } from './params.ts';

const EPS = 1e-3;

export function buildMobilenetV2(params: Params, alpha: number, upTo: number, taps: Set<string>): Forward {
  const stem = params.convBn('Conv1/kernel', 'bn_Conv1', EPS);
  const blocks = mobilenetV2Blocks(alpha)
    .blocks.slice(0, upTo + 1)
    .map((b) => ({
      ...b,
      expand: b.id > 0 ? params.convBn(`${b.prefix}_expand/kernel`, `${b.prefix}_expand_BN`, EPS) : undefined,
      dw: params.convBn(`${b.prefix}_depthwise/depthwise_kernel`, `${b.prefix}_depthwise_BN`, EPS, true),
      project: params.convBn(`${b.prefix}_project/kernel`, `${b.prefix}_project_BN`, EPS),
    }));
  return (x: tf.Tensor4D) => {
    const out: Record<string, tf.Tensor4D> = {};
    let h = conv(x, stem, 2, 'same', 'relu6');
    for (const b of blocks) {
      let y = b.expand ? conv(h, b.expand, 1, 'same', 'relu6') : h;
      y = depthwise(y, b.dw, b.stride, 'same', 'relu6');
      y = conv(y, b.project, 1, 'same', 'linear');
      h = b.residual ? (tf.add(h, y) as tf.Tensor4D) : y;
      if (taps.has(`block_${b.id}`)) out[`block_${b.id}`] = h;
    }
    return out;
  };
}
