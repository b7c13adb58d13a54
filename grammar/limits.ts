// Limits on what the front end reads, enforced before the work they bound (docs/limits.md).
// A pipeline is a few kilobytes; these are far above any real one and far below what would
// exhaust memory or time.
import type { Diagnostic, SourceRange } from './ast.ts';

/** Longest pipeline file (in characters, as read) that is parsed at all. */
export const MAX_PIPELINE_CHARS = 1024 * 1024;
/** Diagnostics kept per file; the rest are counted in one last diagnostic. */
export const MAX_DIAGNOSTICS_PER_FILE = 200;
/** Values one YAML document may expand to, aliases included (a billion-laughs guard). */
export const MAX_YAML_VALUES = 20_000;

export const limitCodes = {
  /** The file is longer than MAX_PIPELINE_CHARS. */
  tooLarge: 'DADF1007',
  /** More diagnostics than MAX_DIAGNOSTICS_PER_FILE. */
  tooManyDiagnostics: 'DADF1008',
  /** A YAML document expands to more than MAX_YAML_VALUES values. */
  yamlExpansion: 'DADF1009',
} as const;

const startOf = (file: string): SourceRange => ({ file, start: { offset: 0, line: 1, column: 1 }, end: { offset: 0, line: 1, column: 1 } });

export function sizeDiagnostic(text: string, file: string): Diagnostic | undefined {
  if (text.length <= MAX_PIPELINE_CHARS) return undefined;
  return {
    severity: 'error',
    code: limitCodes.tooLarge,
    message: `this file has ${text.length.toLocaleString('en-US')} characters; pipeline files are read up to ${MAX_PIPELINE_CHARS.toLocaleString('en-US')}`,
    range: startOf(file),
    hint: 'is it a pipeline at all? Split a large set of pipelines into several files that extend a common one',
  };
}

/** The first MAX_DIAGNOSTICS_PER_FILE diagnostics, then one that says how many were left out. */
export function capDiagnostics(diagnostics: Diagnostic[], file: string): Diagnostic[] {
  if (diagnostics.length <= MAX_DIAGNOSTICS_PER_FILE) return diagnostics;
  const kept = diagnostics.slice(0, MAX_DIAGNOSTICS_PER_FILE);
  const last = kept[kept.length - 1].range;
  kept.push({
    severity: 'error',
    code: limitCodes.tooManyDiagnostics,
    message: `${diagnostics.length - MAX_DIAGNOSTICS_PER_FILE} more problems in this file are not shown`,
    range: { file, start: last.end, end: last.end },
    hint: 'is it a pipeline file? Fix the first problems and check again',
  });
  return kept;
}
