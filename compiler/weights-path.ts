// Where a pipeline's backbone weights are: a path relative to the file that wrote it, or an
// environment variable with an optional default (relative to that file too).
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import type { Diagnostic, SourceRange } from '../grammar/index.ts';
import type { SourceMap } from './lower.ts';
import type { Spec } from './spec.ts';

export interface WeightsLocation {
  /** Absolute path, when one could be determined. */
  path?: string;
  /** How it was found: written in the pipeline, from the environment, or the env() default. */
  origin: 'pipeline' | 'env' | 'default' | 'none' | 'random';
  envName?: string;
  exists: boolean;
}

/** The folder a relative weights path is read from: the pipeline file that wrote it (cwd for --set). */
function weightsBase(sources: SourceMap): string {
  const declaredIn = sources.get('/backbone/weights')?.value.file;
  return declaredIn && !declaredIn.startsWith('--set') ? dirname(declaredIn) : process.cwd();
}

export function locateWeights(spec: Spec, sources: SourceMap, env: NodeJS.ProcessEnv = process.env): WeightsLocation {
  const w = spec.backbone.weights;
  if (w === undefined) return { origin: spec.backbone.random ? 'random' : 'none', exists: false };
  const base = weightsBase(sources);
  const fromBase = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  if (typeof w === 'string') {
    const path = fromBase(w);
    return { path, origin: 'pipeline', exists: existsSync(path) };
  }
  const fromEnv = env[w.name];
  if (fromEnv) {
    const path = resolve(process.cwd(), fromEnv);
    return { path, origin: 'env', envName: w.name, exists: existsSync(path) };
  }
  if (w.default !== undefined) {
    const path = fromBase(w.default);
    return { path, origin: 'default', envName: w.name, exists: existsSync(path) };
  }
  return { origin: 'none', envName: w.name, exists: false };
}

/** DADF4017 (error): the weights a pipeline names are not there; DADF4018 (warning): an env() with nothing behind it. */
export function weightsDiagnostics(spec: Spec, located: WeightsLocation, range: SourceRange): Diagnostic[] {
  if (spec.backbone.random) return [];
  const loc = { ...located, path: located.path && relative(process.cwd(), located.path) };
  if (loc.origin === 'pipeline' && !loc.exists) {
    return [
      {
        severity: 'error',
        code: 'DADF4017',
        message: `weights file not found: ${loc.path}`,
        range,
        hint: 'paths are relative to the pipeline file that names them; see docs/backbones.md for how to get weights',
      },
    ];
  }
  if (loc.origin === 'env' && !loc.exists) {
    return [
      {
        severity: 'error',
        code: 'DADF4017',
        message: `weights file not found: ${loc.path} (from $${loc.envName})`,
        range,
        hint: `point ${loc.envName} at the weights file`,
      },
    ];
  }
  if ((loc.origin === 'default' || loc.origin === 'none') && !loc.exists) {
    return [
      {
        severity: 'warning',
        code: 'DADF4018',
        message: `weights not found: $${loc.envName} is not set${loc.path ? ` and the default ${loc.path} does not exist` : ''}; training will need them`,
        range,
        hint: `export ${loc.envName}=path/to/weights (see docs/backbones.md), or use random: true for a quick try with random features`,
      },
    ];
  }
  return [];
}

/**
 * The spec with its weight paths made relative to `toDir` (where a compiled plan is written), so
 * the plan finds the same files from its own folder. The env() name is kept.
 */
export function rebaseWeights(spec: Spec, sources: SourceMap, toDir: string): Spec {
  const w = spec.backbone.weights;
  if (w === undefined) return spec;
  const base = weightsBase(sources);
  const rebase = (p: string) => (isAbsolute(p) ? p : relative(resolve(toDir), resolve(base, p)).split('\\').join('/'));
  const weights = typeof w === 'string' ? rebase(w) : { ...w, ...(w.default !== undefined ? { default: rebase(w.default) } : {}) };
  return { ...spec, backbone: { ...spec.backbone, weights } };
}
