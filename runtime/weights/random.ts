// Seeded random weights, for tests and for runs without pretrained weights (always labelled
// so). Kernels He-normal (std sqrt(2 / fan_in)), biases 0, BatchNorm the identity
// (gamma 1, beta 0, mean 0, var 1). Same seed → same bytes, on every machine.
import { archLayout, tensorsForTaps } from '../../compiler/weights/index.ts';
import { elementCount } from '../../formats/index.ts';
import type { BackboneArch } from '../../compiler/backbones.ts';
import type { NativeWeights } from '../../formats/index.ts';
import { mulberry32 } from '../random.ts';

/** Uniform [0, 1) draws from a seed (the runtime's one generator). */
export const seededUniform = mulberry32;

function seededNormal(seed: number): () => number {
  const uniform = seededUniform(seed);
  return () => {
    const u = Math.max(uniform(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  };
}

/** Random weights for every tensor the taps need (all taps when `taps` is omitted). */
export function randomNativeWeights(arch: BackboneArch, alpha: number, seed: number, taps?: string[]): NativeWeights {
  const layout = archLayout(arch, alpha);
  const tensors = taps ? tensorsForTaps(layout, taps) : layout.units.flatMap((u) => u.tensors);
  const normal = seededNormal(seed);
  const out: NativeWeights = new Map();
  for (const t of tensors) {
    const data = new Float32Array(elementCount(t.shape));
    if (t.kind === 'conv' || t.kind === 'depthwise') {
      // Keras HWIO [kh, kw, cin, cout] / depthwise [kh, kw, c, 1]; torch OIHW [cout, cin, kh, kw].
      const fanIn =
        t.kind === 'depthwise'
          ? t.shape[0] * t.shape[1]
          : layout.naming === 'keras'
            ? t.shape[0] * t.shape[1] * t.shape[2]
            : t.shape[1] * t.shape[2] * t.shape[3];
      const std = Math.sqrt(2 / fanIn);
      for (let i = 0; i < data.length; i++) data[i] = normal() * std;
    } else if (t.kind === 'bn_gamma' || t.kind === 'bn_var') {
      data.fill(1);
    }
    out.set(t.name, { shape: t.shape, data });
  }
  return out;
}
