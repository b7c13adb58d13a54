// torchvision ResNet18/34/50 and Wide-ResNet50-2, with torchvision's exact padding:
// conv1 7×7/2 pad 3 → BN → ReLU → maxpool 3/2 pad 1 → layer1..4. Bottlenecks stride on
// conv2 (v1.5). BN eps 1e-5 (folded). Convs use explicit symmetric padding as PyTorch does.
import { resnetShape, type BackboneArch } from '../../compiler/backbones.ts';
import type { ConvDef } from './fold.ts';
import type { BackboneNet } from './net.ts';

const EPS = 1e-5;

/** torchvision's conv `name` (conv1, layer1.0.conv2, …) with the BatchNorm `bn` after it. */
function convBn(name: string, bn: string, stride: number, pad: number, activation: ConvDef['activation']): ConvDef {
  return { name, kernel: `${name}.weight`, bn: { prefix: bn, eps: EPS }, stride, pad, activation };
}

export function resnet<T>(net: BackboneNet<T>, x: T, upTo: number, taps: Set<string>, arch: BackboneArch): Record<string, T> {
  const { ops } = net;
  const { bottleneck, blocks } = resnetShape(arch);
  const out: Record<string, T> = {};
  let h = net.conv(x, convBn('conv1', 'bn1', 2, 3, 'relu'));
  // After the ReLU every value is ≥ 0: zero padding gives PyTorch's max pool (which pads with −∞).
  h = ops.scope('maxpool', () => ops.maxPool(h, 3, 2, 1));
  blocks.slice(0, upTo + 1).forEach((count, li) => {
    for (let bi = 0; bi < count; bi++) {
      const p = `layer${li + 1}.${bi}`;
      const stride = li > 0 && bi === 0 ? 2 : 1;
      const convs = bottleneck
        ? [
            convBn(`${p}.conv1`, `${p}.bn1`, 1, 0, 'relu'),
            convBn(`${p}.conv2`, `${p}.bn2`, stride, 1, 'relu'),
            convBn(`${p}.conv3`, `${p}.bn3`, 1, 0, 'linear'),
          ]
        : [convBn(`${p}.conv1`, `${p}.bn1`, stride, 1, 'relu'), convBn(`${p}.conv2`, `${p}.bn2`, 1, 1, 'linear')];
      const downsample = bi === 0 && (stride !== 1 || bottleneck);
      const identity = downsample ? net.conv(h, { ...convBn(`${p}.downsample.0`, `${p}.downsample.1`, stride, 0, 'linear'), name: `${p}.downsample` }) : h;
      const y = convs.reduce((v, c) => net.conv(v, c), h);
      h = ops.scope(p, () => ops.relu(ops.add(y, identity)));
    }
    if (taps.has(`layer${li + 1}`)) out[`layer${li + 1}`] = h;
  });
  return out;
}
