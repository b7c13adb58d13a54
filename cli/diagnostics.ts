// Printing compiler diagnostics tsc-style, with code frames from the files' texts.
import { relative } from 'node:path';
import { formatDiagnostic, type Diagnostic } from '../grammar/index.ts';

export function printDiagnostics(diagnostics: Diagnostic[], texts: Map<string, string>): { errors: number; warnings: number } {
  const color = process.stderr.isTTY === true && !process.env.NO_COLOR;
  for (const d of diagnostics) {
    const text = texts.get(d.range.file) ?? '';
    const shown = { ...d, range: { ...d.range, file: displayPath(d.range.file) } };
    process.stderr.write(formatDiagnostic(shown, text, { color }) + '\n');
  }
  return {
    errors: diagnostics.filter((d) => d.severity === 'error').length,
    warnings: diagnostics.filter((d) => d.severity === 'warning').length,
  };
}

/** Paths relative to the working directory, as tsc shows them; pseudo files (--set) as they are. */
function displayPath(file: string): string {
  if (file.startsWith('--set')) return file.replace(/\.dadf$/, '');
  const rel = relative(process.cwd(), file);
  return rel.startsWith('..') && rel.split('/').filter((p) => p === '..').length > 2 ? file : rel || file;
}
