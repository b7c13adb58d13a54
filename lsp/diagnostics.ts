// Checking one open document: every pipeline of the file compiled as `dadfc check` does,
// its diagnostics grouped by the file they point into (a parent reached through `extends`
// gets its own share), in LSP form.
import { DiagnosticSeverity, type Diagnostic as LspDiagnostic } from 'vscode-languageserver';
import { isUserError } from '../common/errors.ts';
import { compileFile, type Compiled } from '../compiler/index.ts';
import type { Diagnostic } from '../grammar/index.ts';
import { toRange } from './ranges.ts';
import type { Workspace } from './workspace.ts';

export interface CheckResult {
  /** Diagnostics by absolute file path (the document itself and any parent). */
  byFile: Map<string, LspDiagnostic[]>;
  /** Every file the check read: a change in any of them calls for a new check. */
  files: Set<string>;
  compiled: Compiled[];
}

function toLspDiagnostic(d: Diagnostic): LspDiagnostic {
  return {
    range: toRange(d.range),
    severity: d.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    code: d.code,
    source: 'dadf',
    message: d.hint ? `${d.message}\nhint: ${d.hint}` : d.message,
  };
}

export function checkDocument(path: string, workspace: Workspace): CheckResult {
  const byFile = new Map<string, LspDiagnostic[]>([[path, []]]);
  const files = new Set([path]);
  let compiled: Compiled[] = [];
  const seen = new Set<string>();
  const add = (d: Diagnostic) => {
    const key = `${d.range.file}|${d.range.start.offset}|${d.range.end.offset}|${d.code}|${d.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    const list = byFile.get(d.range.file) ?? [];
    list.push(toLspDiagnostic(d));
    byFile.set(d.range.file, list);
  };
  try {
    compiled = compileFile(path, { readFile: workspace.readFile });
  } catch (e) {
    // A file that cannot be read or a pipeline that is gone: say so at the top of the file.
    const message = isUserError(e) ? `${e.message}${e.hint ? `\nhint: ${e.hint}` : ''}` : `the checker failed: ${e instanceof Error ? e.message : String(e)}`;
    const at = { offset: 0, line: 1, column: 1 };
    add({ severity: 'error', code: 'DADF0000', message, range: { file: path, start: at, end: at } });
    return { byFile, files, compiled };
  }
  for (const result of compiled) {
    for (const file of result.texts.keys()) files.add(file);
    // Several pipelines of one file share its syntax errors; `add` keeps one of each.
    for (const d of result.diagnostics) add(d);
  }
  return { byFile, files, compiled };
}
