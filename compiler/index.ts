// The compiler's public face: pipeline file → Spec (resolved, validated, defaults filled)
// → checked → Plan. Diagnostics, never exceptions, for anything wrong inside a pipeline.
import { readFileSync } from 'node:fs';
import { compiledPlanPath, planAsPipeline } from './compiled-plan.ts';
import type { Diagnostic, SourceRange } from '../grammar/index.ts';
import { checkSpec } from './rules/index.ts';
import { appendAll, mergePipeline, pipelineNames, type ParsedFiles, type ResolveOptions } from './resolve.ts';
import { buildPlan, type Plan } from './plan.ts';
import { validate } from './validate.ts';
import { locateWeights, weightsDiagnostics, type WeightsLocation } from './weights-path.ts';
import type { Spec } from './spec.ts';
import { resolvedTaps } from './dims.ts';
import { weightsFitProblem } from './weights/index.ts';
import { memoryDiagnostic } from './memory.ts';
import type { SourceMap } from './lower.ts';

export type { Spec, Stream, StageName } from './spec.ts';
export { PipelineSpec, pipelineFileSchema, STREAMS } from './spec.ts';
export type { Plan, PlanNode, PlanOp } from './plan.ts';
export { buildPlan, describePlan } from './plan.ts';
export { modelDims, resolvedTaps, type ModelDims, type ScaleDims } from './dims.ts';
export * from './backbones.ts';
export type { SourceMap, SourceEntry, Json, JsonObject } from './lower.ts';
export type { ResolveOptions } from './resolve.ts';
export { pipelineNames, isPipelinePath } from './resolve.ts';
export { locateWeights, type WeightsLocation } from './weights-path.ts';
export { upgradeStoredSpec } from './validate.ts';
export { estimateTrainingMemory, memoryDiagnostic, describeNeed, MEMORY_CODE, SMALLER_HINT, gib } from './memory.ts';

export interface Compiled {
  name: string;
  /** Present when there are no errors. */
  spec?: Spec;
  plan?: Plan;
  weights?: WeightsLocation;
  diagnostics: Diagnostic[];
  /** The merged pipeline before defaults (what the files and --set say). */
  raw: Record<string, unknown>;
  sources: SourceMap;
  texts: Map<string, string>;
}

export const hasErrors = (diagnostics: Diagnostic[]) => diagnostics.some((d) => d.severity === 'error');

/** Resolves, validates and checks one pipeline of a file; builds its Plan when it is clean. */
export function compilePipeline(file: string, options: ResolveOptions = {}): Compiled {
  const planPath = compiledPlanPath(file);
  if (planPath) {
    const virtual = planAsPipeline(planPath, options.readFile ?? ((p) => readFileSync(p, 'utf8')));
    return compilePipeline(virtual.file, { ...options, readFile: virtual.readFile });
  }
  const merged = mergePipeline(file, options);
  const base = { name: merged.name, raw: merged.raw, sources: merged.sources, texts: merged.texts };
  const diagnostics = [...merged.diagnostics];
  // Syntax errors leave a partial tree; schema errors on it would only be noise.
  if (hasErrors(diagnostics) || !merged.decl) return { ...base, diagnostics: sortDiagnostics(diagnostics) };
  const fallback: SourceRange = merged.decl.nameRange;
  const where = { sources: merged.sources, fallback };
  const validated = validate(merged.raw, where);
  appendAll(diagnostics, validated.diagnostics);
  if (!validated.spec) return { ...base, diagnostics: sortDiagnostics(diagnostics) };
  const spec = withStageDefaults(validated.spec);
  appendAll(diagnostics, checkSpec(spec, where));
  const weights = locateWeights(spec, merged.sources);
  const weightsRange = merged.sources.get('/backbone/weights')?.value ?? merged.sources.get('/backbone')?.key ?? fallback;
  const checkWeights = options.checkWeights ?? true;
  if (checkWeights) appendAll(diagnostics, weightsDiagnostics(spec, weights, weightsRange));
  if (checkWeights && !spec.backbone.random && weights.exists && weights.path) {
    // The file is there: does it hold what the taps need? (headers and manifests only, no tensors)
    const problem = weightsFitProblem(weights.path, spec.backbone.arch, spec.backbone.alpha, resolvedTaps(spec));
    if (problem) diagnostics.push({ severity: 'error', code: 'DADF4019', message: problem.message, range: weightsRange, hint: problem.hint });
  }
  if (hasErrors(diagnostics)) return { ...base, weights, diagnostics: sortDiagnostics(diagnostics) };
  const plan = buildPlan(spec);
  const tooBig = memoryDiagnostic(plan, fallback);
  if (tooBig) diagnostics.push(tooBig);
  return { ...base, spec, plan, weights, diagnostics: sortDiagnostics(diagnostics) };
}

/** Every pipeline a file declares, compiled (what `dadfc check` reports). */
export function compileFile(file: string, options: Omit<ResolveOptions, 'pipeline'> = {}): Compiled[] {
  // The file (and the parents its pipelines share) is parsed once, not once per pipeline.
  const parsed: ParsedFiles = options.parsed ?? new Map();
  const names = pipelineNames(file, options.readFile, parsed);
  if (names.length <= 1) return [compilePipeline(file, { ...options, parsed })];
  return names.map((pipeline) => compilePipeline(file, { ...options, parsed, pipeline }));
}

/** Defaults that depend on which stage: reconstruct → mse, flow → nll. */
function withStageDefaults(spec: Spec): Spec {
  const stages = spec.train.stages;
  if (stages.reconstruct) stages.reconstruct.loss ??= 'mse';
  if (stages.flow) stages.flow.loss ??= 'nll';
  return spec;
}

function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds
    .filter((d) => {
      const k = `${d.range.file}|${d.range.start.offset}|${d.code}|${d.message}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    })
    .sort((a, b) => (a.range.file === b.range.file ? a.range.start.offset - b.range.start.offset : a.range.file < b.range.file ? -1 : 1));
}
