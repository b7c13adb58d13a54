// Reads the tensors that the requested taps need from a weight file, after checking names,
// shapes and that their bytes are present (compiler/weights does the checking).
import { checkWeightsForTaps, tensorsForTaps } from '../../compiler/weights/index.ts';
import type { WeightFile } from '../../formats/index.ts';
import type { BackboneArch } from '../../compiler/backbones.ts';
import type { NativeWeights } from '../../formats/index.ts';

export interface LoadedWeights {
  file: WeightFile;
  weights: NativeWeights;
}

/** `taps` are table names (see canonicalTap). */
export function loadNativeWeights(path: string, arch: BackboneArch, alpha: number, taps: string[]): LoadedWeights {
  const fit = checkWeightsForTaps(path, arch, alpha, taps);
  const file = fit.file;
  const weights: NativeWeights = new Map();
  for (const t of tensorsForTaps(fit.layout, taps)) {
    const actual = fit.resolved.get(t.name)!;
    weights.set(t.name, { shape: t.shape, data: file.read(actual) });
  }
  return { file, weights };
}
