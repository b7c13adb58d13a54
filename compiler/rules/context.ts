// What every checker rule sees: the Spec, the sizes it implies, a few facts several rules
// share (computed from the Spec, never from other rules' findings, so rules stay independent),
// and the way to report.
import type { Diagnostic, SourceRange } from '../../grammar/index.ts';
import { backboneInfo, type BackboneInfo } from '../backbones.ts';
import { modelDims, resolvedTaps, type ModelDims } from '../dims.ts';
import { usesModel } from '../heads.ts';
import type { Spec } from '../spec.ts';
import { rangeOf, type Located } from '../validate.ts';

export interface CheckContext {
  spec: Spec;
  dims: ModelDims;
  info: BackboneInfo;
  /** The taps asked for (or the backbone's default ones). */
  taps: string[];
  /** The taps the backbone has. */
  tapNames: string[];
  /** Every tap asked for exists. */
  tapsKnown: boolean;
  /** Every scale reaches one token grid (taps known, one patch per tap dividing its map). */
  gridsAgree: boolean;
  at(path: string[], part?: 'key' | 'value'): SourceRange;
}

/** A rule reports through this: one call per problem, at the range the fix belongs. */
type Report = (message: string, range: SourceRange, hint?: string) => void;

export interface Rule {
  /** DADF4xxx, unique; the registry keeps rules in code order. */
  code: string;
  severity: 'error' | 'warning';
  /** What the rule refuses, for docs and tests. */
  title: string;
  /** A rule on the DADF model: skipped when no scored head uses the model (it is neither built nor trained). */
  model?: boolean;
  check(ctx: CheckContext, report: Report): void;
}

export function checkContext(spec: Spec, where: Located): CheckContext {
  const dims = modelDims(spec);
  const info = backboneInfo(spec.backbone.arch, spec.backbone.alpha);
  const taps = resolvedTaps(spec);
  const tapNames = info.taps.map((t) => t.name);
  const tapsKnown = taps.every((t) => tapNames.includes(t));
  const divides = dims.scales.every((s) => s.size % s.patch === 0);
  const gridsAgree = tapsKnown && spec.embed.patch.length === taps.length && divides && dims.scales.every((s) => s.grid === dims.scales[0].grid);
  return { spec, dims, info, taps, tapNames, tapsKnown, gridsAgree, at: (path, part = 'value') => rangeOf(where, path, part) };
}

/** Runs every rule; each problem becomes a diagnostic with the rule's code and severity. */
export function runRules(rules: readonly Rule[], ctx: CheckContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  const model = usesModel(ctx.spec);
  for (const rule of rules) {
    if (rule.model && !model) continue;
    rule.check(ctx, (message, range, hint) => out.push({ severity: rule.severity, code: rule.code, message, range, hint }));
  }
  return out;
}
