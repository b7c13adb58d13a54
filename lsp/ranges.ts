// AST ranges (1-based line/column) to LSP ranges (0-based line/character). Both count
// columns in UTF-16 code units (JavaScript string indices), LSP's default encoding.
import type { SourcePos, SourceRange } from '../grammar/index.ts';
import type { Position, Range } from 'vscode-languageserver';

function toPosition(pos: SourcePos): Position {
  return { line: Math.max(0, pos.line - 1), character: Math.max(0, pos.column - 1) };
}

export function toRange(range: SourceRange): Range {
  return { start: toPosition(range.start), end: toPosition(range.end) };
}

/** Whether an offset lies in a range (ends included: the cursor right after a word is "on" it). */
export function contains(range: SourceRange, offset: number): boolean {
  return range.start.offset <= offset && offset <= range.end.offset;
}
