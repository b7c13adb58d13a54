// `dadfc weights inspect` and the checker: what a weight file is, which architecture it most
// likely holds, and which taps it can build.
import { alphasOf, BACKBONE_ARCHS, type BackboneArch } from '../backbones.ts';
import { elementCount, type WeightFile, type WeightFormat } from './format.ts';
import { fitWeights, type WeightFit } from './match.ts';
import { openWeightFile } from './open.ts';

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

/** The architecture (and width) that builds the most taps, ties going to the fewest unused tensors. */
export function guessArchitecture(file: WeightFile): WeightFit | undefined {
  let best: WeightFit | undefined;
  for (const arch of BACKBONE_ARCHS) {
    for (const alpha of alphasOf(arch)) {
      const fit = fitWeights(file, arch, alpha);
      if (fit.resolved.size === 0) continue;
      // Missing bytes do not make an architecture less likely: count tensors that match by name and shape.
      const matched = fit.resolved.size + fit.problems.filter((p) => p.kind === 'unavailable').length;
      const bestMatched = best ? best.resolved.size + best.problems.filter((p) => p.kind === 'unavailable').length : -1;
      const total = fit.layout.units.reduce((n, u) => n + u.tensors.length, 0);
      const bestTotal = best ? best.layout.units.reduce((n, u) => n + u.tensors.length, 0) : 0;
      // Prefer complete matches; among them the architecture that uses the most of the file.
      const score = matched - (total - matched) * 2;
      const bestScore = best ? bestMatched - (bestTotal - bestMatched) * 2 : -Infinity;
      if (score > bestScore) best = fit;
    }
  }
  return best && best.resolved.size > 0 ? best : undefined;
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
