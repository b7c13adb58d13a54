// The public face of the grammar phase: text (.dadf or YAML) -> AST with source ranges and
// diagnostics. Parsing never throws; only parseFile throws, with a UserError, when the file
// cannot be read at all.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { Diagnostic, PipelineFile } from './ast.ts';
import { parseDadf, parseDadfValue, codes as dadfCodes } from './dadf.ts';
import { UserError } from '../common/errors.ts';
import { parseYaml, yamlCodes } from './yaml.ts';
import { capDiagnostics, limitCodes, sizeDiagnostic } from './limits.ts';

export type * from './ast.ts';
export { formatDiagnostic, type FormatOptions } from './format.ts';
export { LineIndex } from './positions.ts';
export { allTokens, keywords } from './lexer.ts';
export { dadfParser } from './parser.ts';
export { parseDadf, parseDadfValue, parseYaml };

export interface ParseResult {
  ast: PipelineFile;
  diagnostics: Diagnostic[];
}

/** Every diagnostic code the grammar phase emits (documented in docs/syntax.md). */
export const grammarCodes = { ...dadfCodes, yamlSyntax: yamlCodes.syntax, yamlShape: yamlCodes.shape, ...limitCodes } as const;
export { MAX_PIPELINE_CHARS, MAX_DIAGNOSTICS_PER_FILE, MAX_YAML_VALUES } from './limits.ts';

export type SourceFormat = 'dadf' | 'yaml';

/** `.yaml` and `.yml` are YAML; everything else is read as .dadf. */
export function formatOf(file: string): SourceFormat {
  const ext = extname(file).toLowerCase();
  return ext === '.yaml' || ext === '.yml' ? 'yaml' : 'dadf';
}

/** Parses a pipeline file's text; a file past the size limit is refused with one diagnostic. */
export function parseText(text: string, file: string): ParseResult {
  const format = formatOf(file);
  const tooLarge = sizeDiagnostic(text, file);
  if (tooLarge) return { ast: { file, text, format, pipelines: [] }, diagnostics: [tooLarge] };
  const result = format === 'yaml' ? parseYaml(text, file) : parseDadf(text, file);
  return { ast: result.ast, diagnostics: capDiagnostics(result.diagnostics, file) };
}

/** Reads and parses a file. A missing or unreadable file throws a UserError (exit code 1). */
export function parseFile(path: string): ParseResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const what =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'this is a directory, not a pipeline file' : `cannot read the file (${code ?? String(e)})`;
    throw new UserError(what, { where: path, hint: 'give the path of a .dadf or .yaml pipeline, e.g. pipelines/dadf.dadf', cause: e });
  }
  return parseText(text, path);
}
