// torchvision ResNet18/34/50 and Wide-ResNet50-2, with torchvision's exact padding:
// conv1 7×7/2 pad 3 → BN → ReLU → maxpool 3/2 pad 1 → layer1..4. Bottlenecks stride on
// conv2 (v1.5). BN eps 1e-5 (folded). Convs use explicit symmetric padding as PyTorch does.
import * as tf from '@tensorflow/tfjs-core';
import { resnetShape } from '../../compiler/weights/index.ts';
import type { BackboneArch } from '../../compiler/backbones.ts';
import { conv, type FoldedConv, type Forward, type Params } from './params.ts';

const EPS = 1e-5;

interface Block {
  convs: Array<{ c: FoldedConv; stride: number; pad: number }>;
  downsample?: { c: FoldedConv; stride: number };
}

export function buildResnet(params: Params, arch: BackboneArch, upTo: number, taps: Set<string>): Forward {
  const { bottleneck, blocks } = resnetShape(arch);
  const stem = params.convBn('conv1.weight', 'bn1', EPS);
  const layers: Block[][] = blocks.slice(0, upTo + 1).map((count, li) =>
    Array.from({ length: count }, (_, b) => {
      const p = `layer${li + 1}.${b}`;
      const stride = li > 0 && b === 0 ? 2 : 1;
      const cb = (n: number) => params.convBn(`${p}.conv${n}.weight`, `${p}.bn${n}`, EPS);
      const convs = bottleneck
        ? [
            { c: cb(1), stride: 1, pad: 0 },
            { c: cb(2), stride, pad: 1 },
            { c: cb(3), stride: 1, pad: 0 },
          ]
        : [
            { c: cb(1), stride, pad: 1 },
            { c: cb(2), stride: 1, pad: 1 },
          ];
      const hasDownsample = b === 0 && (stride !== 1 || bottleneck);
      const downsample = hasDownsample ? { c: params.convBn(`${p}.downsample.0.weight`, `${p}.downsample.1`, EPS), stride } : undefined;
      return { convs, downsample };
    }),
  );
  return (x: tf.Tensor4D) => {
    const out: Record<string, tf.Tensor4D> = {};
    let h = conv(x, stem, 2, 3, 'relu');
    // After ReLU every value is ≥ 0, so zero padding gives PyTorch's max pool (which pads with −∞).
    h = tf.maxPool(
      tf.pad(h, [
        [0, 0],
        [1, 1],
        [1, 1],
        [0, 0],
      ]),
      3,
      2,
      'valid',
    );
    layers.forEach((layer, li) => {
      for (const block of layer) {
        const identity = block.downsample ? conv(h, block.downsample.c, block.downsample.stride, 0, 'linear') : h;
        let y = h;
        block.convs.forEach((c, i) => {
          y = conv(y, c.c, c.stride, c.pad, i === block.convs.length - 1 ? 'linear' : 'relu');
        });
        h = tf.relu(tf.add(y, identity)) as tf.Tensor4D;
      }
      if (taps.has(`layer${li + 1}`)) out[`layer${li + 1}`] = h;
    });
    return out;
  };
}
