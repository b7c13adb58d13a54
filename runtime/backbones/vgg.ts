// torchvision VGG16/19 (no BN): 3×3 convs pad 1 with bias → ReLU, max pool 2/2 after each block.
// Weights `features.N.weight/bias` at torchvision's Sequential indices.
import { vggLayers, type BackboneArch } from '../../compiler/backbones.ts';
import type { BackboneNet } from './net.ts';

export function vgg<T>(net: BackboneNet<T>, x: T, upTo: number, taps: Set<string>, arch: BackboneArch): Record<string, T> {
  const out: Record<string, T> = {};
  let h = x;
  for (const l of vggLayers(arch).slice(0, upTo + 1)) {
    const weights = `features.${l.index}`;
    h =
      l.kind === 'conv'
        ? net.conv(h, { name: l.tap, kernel: `${weights}.weight`, bias: `${weights}.bias`, stride: 1, pad: 1, activation: 'relu' })
        : net.ops.scope(l.tap, () => net.ops.maxPool(h, 2, 2, 0));
    if (taps.has(l.tap)) out[l.tap] = h;
  }
  return out;
}
