// torchvision VGG16/19 (no BN): 3×3 convs pad 1 with bias → ReLU, max pool 2/2 after each block.
// Weights `features.N.weight/bias` at torchvision's Sequential indices.
import * as tf from '@tensorflow/tfjs-core';
import { vggLayers } from '../../compiler/weights/index.ts';
import type { BackboneArch } from '../../compiler/backbones.ts';
import { conv, type Forward, type Params } from './params.ts';

export function buildVgg(params: Params, arch: BackboneArch, upTo: number, taps: Set<string>): Forward {
  const layers = vggLayers(arch)
    .slice(0, upTo + 1)
    .map((l) => ({
      ...l,
      c: l.kind === 'conv' ? params.convBias(`features.${l.index}.weight`, `features.${l.index}.bias`) : undefined,
    }));
  return (x: tf.Tensor4D) => {
    const out: Record<string, tf.Tensor4D> = {};
    let h = x;
    for (const l of layers) {
      h = l.c ? conv(h, l.c, 1, 1, 'relu') : tf.maxPool(h, 2, 2, 'valid');
      if (taps.has(l.tap)) out[l.tap] = h;
    }
    return out;
  };
}
