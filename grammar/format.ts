// Diagnostics printed the way tsc --pretty prints them:
//
//   pipelines/tiny.dadf:3:16 - error DADF1001: expected ':' after key 'size', found '64'
//
//   3   input { size 64 }
//                    ~~
//   hint: ...
import type { Diagnostic } from './ast.ts';
import { LineIndex } from './positions.ts';

export interface FormatOptions {
  /** ANSI colours, as on a terminal. */
  color?: boolean;
}

const ansi = { red: '31', yellow: '33', cyan: '36', grey: '90', inverse: '7' } as const;

/** At most this many source lines of a multi-line range are shown. */
const maxFrameLines = 4;

export function formatDiagnostic(d: Diagnostic, text: string, options: FormatOptions = {}): string {
  return formatDiagnosticWith(d, new LineIndex(text), options);
}

function formatDiagnosticWith(d: Diagnostic, lines: LineIndex, options: FormatOptions): string {
  const paint = (code: string, s: string) => (options.color ? `\u001b[${code}m${s}\u001b[0m` : s);
  const { start, end } = d.range;
  const severityColor = d.severity === 'error' ? ansi.red : ansi.yellow;
  const header =
    `${paint(ansi.cyan, d.range.file)}:${paint(ansi.yellow, String(start.line))}:${paint(ansi.yellow, String(start.column))}` +
    ` - ${paint(severityColor, d.severity)} ${paint(ansi.grey, d.code + ':')} ${d.message}`;

  const out = [header, ''];
  const firstLine = Math.max(1, Math.min(start.line, lines.lineCount));
  const lastLine = Math.max(firstLine, Math.min(end.line, lines.lineCount, firstLine + maxFrameLines - 1));
  const gutterWidth = String(lastLine).length;
  for (let line = firstLine; line <= lastLine; line++) {
    const source = lines.lineText(line);
    const from = line === start.line ? start.column - 1 : 0;
    const to = line === end.line ? end.column - 1 : source.length;
    const width = Math.max(1, to - from);
    // Keep tabs in the padding so the underline lines up with the text above it.
    const pad = source.slice(0, from).replace(/[^\t]/g, ' ') + ' '.repeat(Math.max(0, from - source.length));
    out.push(`${paint(ansi.inverse, String(line).padStart(gutterWidth))} ${source}`);
    out.push(`${paint(ansi.inverse, ' '.repeat(gutterWidth))} ${pad}${paint(severityColor, '~'.repeat(width))}`);
  }
  if (d.hint) out.push(`${paint(ansi.grey, 'hint:')} ${d.hint}`);
  out.push('');
  return out.join('\n');
}
