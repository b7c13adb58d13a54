// `dadfc weights inspect` and the checker: what a weight file is, which architecture it most
// likely holds, and which taps it can build.
import { alphasOf, BACKBONE_ARCHS, type BackboneArch } from '../backbones.ts';
import { elementCount, type WeightFile, type WeightFormat, openWeightFile } from '../../formats/index.ts';
import { fitWeights, type WeightFit } from './match.ts';

export interface WeightsInspection {
  path: string;
  format: WeightFormat;
  tensorCount: number;
  parameterCount: number;
  /** Tensors whose bytes are missing (TF.js shards). */
  unavailable: Array<{ name: string; location: string }>;
  /** The best-fitting architecture, or undefined when none builds even its first tap. */
  guess?: { arch: BackboneArch; alpha: number; buildableTaps: string[]; allTaps: string[]; unused: number };
  tensors: Array<{ name: string; shape: number[]; dtype: string; available: boolean }>;
}

/**
 * The architecture (and width) that builds the most taps; ties go to the one that uses the
 * most of the file (a ResNet34 file also builds every ResNet18 tap), then to the most
 * tensors matched by name and shape (missing bytes do not make an architecture less likely).
 */
function guessArchitecture(file: WeightFile): WeightFit | undefined {
  let best: WeightFit | undefined;
  let bestScore: number[] = [];
  for (const arch of BACKBONE_ARCHS) {
    for (const alpha of alphasOf(arch)) {
      const fit = fitWeights(file, arch, alpha);
      if (fit.resolved.size === 0) continue;
      const matched = fit.resolved.size + fit.problems.filter((p) => p.kind === 'unavailable').length;
      const score = [fit.buildableTaps.length, -fit.unused.length, matched];
      if (!best || lexicallyGreater(score, bestScore)) {
        best = fit;
        bestScore = score;
      }
    }
  }
  return best;
}

function lexicallyGreater(a: number[], b: number[]): boolean {
  const i = a.findIndex((v, k) => v !== b[k]);
  return i >= 0 && a[i] > b[i];
}

export function inspectWeights(path: string): WeightsInspection {
  const file = openWeightFile(path);
  const entries = [...file.entries.values()];
  const fit = guessArchitecture(file);
  return {
    path,
    format: file.format,
    tensorCount: entries.length,
    parameterCount: entries.filter((e) => !/num_batches_tracked$/.test(e.name)).reduce((n, e) => n + elementCount(e.shape), 0),
    unavailable: entries.filter((e) => !e.available).map((e) => ({ name: e.name, location: e.location })),
    guess: fit && {
      arch: fit.arch,
      alpha: fit.alpha,
      buildableTaps: fit.buildableTaps,
      allTaps: fit.layout.units.map((u) => u.tap),
      unused: fit.unused.length,
    },
    tensors: entries.map((e) => ({ name: e.name, shape: e.shape, dtype: e.dtype, available: e.available })),
  };
}
