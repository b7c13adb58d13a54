// Rules on the backbone: taps it has, widths with published weights, tap order, weights.
import { alphasOf } from '../backbones.ts';
import { didYouMean } from '../suggest.ts';
import type { Rule } from './context.ts';

export const unknownTap: Rule = {
  code: 'DADF4001',
  severity: 'error',
  title: 'a tap the backbone does not have',
  check({ spec, taps, tapNames, at }, report) {
    taps.forEach((tap, i) => {
      if (tapNames.includes(tap)) return;
      const hint = didYouMean(tap, tapNames);
      report(
        `${spec.backbone.arch} has no tap '${tap}'${hint ? `; ${hint}` : ''}`,
        at(['backbone', 'taps', String(i)]),
        `taps of ${spec.backbone.arch}: ${tapNames.join(', ')}`,
      );
    });
  },
};

export const alpha: Rule = {
  code: 'DADF4002',
  severity: 'error',
  title: 'a width multiplier without published weights',
  check({ spec, at }, report) {
    const { arch, alpha } = spec.backbone;
    const alphas = alphasOf(arch);
    if (alphas.includes(alpha)) return;
    report(
      alphas.length === 1 ? `${arch} has no width multiplier; alpha must be 1, got ${alpha}` : `${arch} has no published weights for alpha ${alpha}`,
      at(['backbone', 'alpha']),
      `allowed: ${alphas.join(', ')}`,
    );
  },
};

export const tapOrder: Rule = {
  code: 'DADF4009',
  severity: 'warning',
  title: 'taps not listed shallow to deep once each',
  check({ taps, tapNames, tapsKnown, at }, report) {
    if (!tapsKnown) return;
    const order = taps.map((t) => tapNames.indexOf(t));
    const unsorted = order.findIndex((o, i) => i > 0 && o <= order[i - 1]);
    if (unsorted > 0) {
      report(
        `taps are usually listed shallow to deep once each; '${taps[unsorted]}' comes after '${taps[unsorted - 1]}'`,
        at(['backbone', 'taps', String(unsorted)]),
      );
    }
  },
};

export const noWeights: Rule = {
  code: 'DADF4013',
  severity: 'error',
  title: 'a pretrained backbone without weights',
  check({ spec, info, at }, report) {
    if (spec.backbone.weights !== undefined || spec.backbone.random) return;
    report(
      `backbone ${spec.backbone.arch} has no weights`,
      at(['backbone'], 'key'),
      `add weights: "path/to/weights" (${info.weightsHint}), or weights: env("VAR", "default/path"); random: true gives a seeded random network for tests only (far worse features)`,
    );
  },
};
