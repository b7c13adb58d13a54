// Public face of weight-file inspection (no tensors, no tfjs): open a weight file, check that
// it fits an architecture and the taps a pipeline asks for, guess what it holds.
import { UserError } from '../../common/errors.ts';
import { backboneInfo, type BackboneArch } from '../backbones.ts';
import { openWeightFile, type WeightFile } from '../../formats/index.ts';
import { describeProblems, fitWeights, type WeightFit } from './match.ts';
import { canonicalTap } from './layouts.ts';

export { fitWeights, type WeightFit } from './match.ts';
export { inspectWeights } from './inspect.ts';
export {
  archLayout,
  canonicalTap,
  tensorsForTaps,
  deepestUnit,
  type WeightNaming,
} from './layouts.ts';

/**
 * The check a pipeline's `weights` key gets: the file exists, is a weight file, and holds
 * every tensor (name, shape, bytes) the requested taps need. Throws a UserError otherwise;
 * returns the fit (with the file) when it builds.
 */
export function checkWeightsForTaps(path: string, arch: BackboneArch, alpha: number, taps: string[], where?: string): WeightFit & { file: WeightFile } {
  const file = openWeightFile(path);
  const canonical = taps.map((t) => {
    const c = canonicalTap(arch, alpha, t);
    if (!c) {
      const names = backboneInfo(arch, alpha).taps.map((x) => x.name);
      throw new UserError(`unknown tap ${t} for ${arch}`, { where, hint: `Taps of ${arch}: ${names.join(', ')}` });
    }
    return c;
  });
  const fit = fitWeights(file, arch, alpha, canonical);
  if (fit.problems.length > 0) {
    const onlyMissingBytes = fit.problems.every((p) => p.kind === 'unavailable');
    const head = onlyMissingBytes
      ? `the weights for taps ${canonical.join(', ')} are incomplete: a file they need is missing`
      : `these weights do not fit ${arch}${arch.startsWith('mobilenet') ? ` α${alpha}` : ''} (${fit.problems.length} of the tensors the taps need are missing or of another shape)`;
    throw new UserError(`${head}\n${describeProblems(fit)}`, {
      where: where ?? path,
      hint: fit.buildableTaps.length
        ? `With this file the taps up to ${fit.buildableTaps[fit.buildableTaps.length - 1]} can be built.`
        : `Expected ${backboneInfo(arch, alpha).weightsHint}.`,
    });
  }
  return Object.assign(fit, { file });
}

/**
 * The same check for the checker's diagnostics: undefined when the weights fit, else the
 * message and hint of the problem (file missing, not a weight file, names/shapes/bytes).
 */
export function weightsFitProblem(path: string, arch: BackboneArch, alpha: number, taps: string[]): { message: string; hint?: string } | undefined {
  try {
    checkWeightsForTaps(path, arch, alpha, taps);
    return undefined;
  } catch (error) {
    if (error instanceof UserError) return { message: error.message, hint: error.hint };
    throw error;
  }
}
