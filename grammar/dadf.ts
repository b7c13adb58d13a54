// The .dadf front end: text -> tokens -> AST plus every diagnostic of the file. Never throws.
import { EOF, type ILexingError, type IRecognitionException, type IToken } from 'chevrotain';
import type { Block, Diagnostic, PipelineFile, Property, SourceRange, Value } from './ast.ts';
import {
  Colon,
  DashedName,
  EqualsSlip,
  Identifier,
  SemicolonSlip,
  LCurly,
  LParen,
  LSquare,
  lexDadf,
  Pipeline,
  RCurly,
  RParen,
  RSquare,
  UnterminatedBlockComment,
  UnterminatedString,
} from './lexer.ts';
import { LineIndex } from './positions.ts';
import { dadfParser } from './parser.ts';

export const codes = {
  unexpectedToken: 'DADF1001',
  unterminatedString: 'DADF1002',
  unknownCharacter: 'DADF1003',
  unexpectedEnd: 'DADF1004',
} as const;

export interface DadfParseResult {
  ast: PipelineFile;
  diagnostics: Diagnostic[];
}

function isEof(token: IToken | undefined): boolean {
  return token === undefined || token.tokenType === EOF || Number.isNaN(token.startOffset);
}

function error(code: string, message: string, range: SourceRange, hint?: string): Diagnostic {
  return hint === undefined ? { severity: 'error', code, message, range } : { severity: 'error', code, message, range, hint };
}

const characterHints: Record<string, string> = {
  '-': 'negative numbers are written without a space: -3',
};

function lexingDiagnostic(e: ILexingError, text: string, lines: LineIndex, file: string): Diagnostic {
  const chars = text.slice(e.offset, e.offset + e.length);
  const shown = JSON.stringify(chars.length > 20 ? chars.slice(0, 20) + '...' : chars);
  const message = chars.length === 1 ? `unknown character ${shown}` : `unknown characters ${shown}`;
  return error(codes.unknownCharacter, message, lines.range(file, e.offset, e.offset + e.length), characterHints[chars[0]]);
}

/** Diagnostics for tokens that lexed but are broken: strings and block comments left open. */
function unterminatedDiagnostics(tokens: IToken[], comments: IToken[], lines: LineIndex, file: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const t of tokens) {
    if (t.tokenType !== UnterminatedString) continue;
    const quote = t.image[0];
    out.push(
      error(
        codes.unterminatedString,
        `unterminated string: add the closing ${quote} before the end of the line`,
        lines.range(file, t.startOffset, t.endOffset! + 1),
      ),
    );
  }
  for (const t of tokens) {
    if (t.tokenType === EqualsSlip)
      out.push(error(codes.unexpectedToken, "unexpected '=': write 'key: value' with a ':'", lines.range(file, t.startOffset, t.startOffset + 1)));
    if (t.tokenType === DashedName) {
      const fixed = t.image.replace(/-/g, '_');
      out.push(
        error(
          codes.unexpectedToken,
          `'${t.image}' is not a name: names use '_', not '-'`,
          lines.range(file, t.startOffset, t.endOffset! + 1),
          `did you mean '${fixed}'?`,
        ),
      );
    }
    if (t.tokenType === SemicolonSlip)
      out.push(
        error(codes.unexpectedToken, "unexpected ';': separate entries and items with ',' or a newline", lines.range(file, t.startOffset, t.startOffset + 1)),
      );
  }
  for (const t of comments) {
    if (t.tokenType !== UnterminatedBlockComment) continue;
    out.push(
      error(
        codes.unexpectedEnd,
        "unterminated comment: the '/*' here has no closing '*/' before the end of the file",
        lines.range(file, t.startOffset, t.startOffset + 2),
      ),
    );
  }
  return out;
}

const closerOf = new Map([
  [LCurly, RCurly],
  [LSquare, RSquare],
  [LParen, RParen],
]);

/** What an opening bracket belongs to, in words: "block 'stage flow'", "pipeline 'dadf'", "list". */
function describeOpener(tokens: IToken[], index: number, depth: number): string {
  const open = tokens[index];
  if (open.tokenType === LSquare) return "'[' of a list";
  if (open.tokenType === LParen) return `'(' of the call ${tokens[index - 1]?.tokenType === Identifier ? `'${tokens[index - 1].image}'` : ''}`.trimEnd();
  if (depth === 0) {
    for (let i = index - 1; i >= 0; i--) {
      if (tokens[i].tokenType === Pipeline) return tokens[i + 1]?.tokenType === Identifier ? `'{' of pipeline '${tokens[i + 1].image}'` : "'{' of a pipeline";
    }
  }
  const prev = tokens[index - 1];
  const prev2 = tokens[index - 2];
  if (prev?.tokenType === Colon) return "'{' of an object";
  if (prev?.tokenType === Identifier) {
    const name = prev2?.tokenType === Identifier ? `${prev2.image} ${prev.image}` : prev.image;
    return `'{' of block '${name}'`;
  }
  return "'{'";
}

function firstOnLine(tokens: IToken[], i: number): boolean {
  return i === 0 || (tokens[i - 1].endLine ?? 0) < (tokens[i].startLine ?? 0);
}

/** The column where the line of token i starts (its first token). */
function indentOf(tokens: IToken[], i: number): number {
  let j = i;
  while (!firstOnLine(tokens, j)) j--;
  return tokens[j].startColumn ?? 1;
}

/**
 * When a '}' is missing, every later '}' closes the block one level out, so some block gets
 * a '}' whose indentation does not match the line that opened it. The latest-opened such
 * block is the best guess for the one that lacks its '}'.
 */
function misindentedBlock(tokens: IToken[], pairs: Array<[number, number]>): number | undefined {
  let best: number | undefined;
  for (const [open, close] of pairs) {
    if (tokens[open].tokenType !== LCurly || tokens[open].startLine === tokens[close].startLine) continue;
    if (!firstOnLine(tokens, close) || tokens[close].startColumn === indentOf(tokens, open)) continue;
    if (best === undefined || open > best) best = open;
  }
  return best;
}

/** Brackets still open at the end of the file: one DADF1004, at the bracket most likely unclosed. */
function unclosedDiagnostic(tokens: IToken[], lines: LineIndex, file: string): Diagnostic | undefined {
  const stack: number[] = [];
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < tokens.length; i++) {
    const type = tokens[i].tokenType;
    if (closerOf.has(type)) {
      stack.push(i);
    } else if (type === RCurly || type === RSquare || type === RParen) {
      // Pop to the matching opener; a stray closer (no opener of its kind) is the parser's to report.
      for (let j = stack.length - 1; j >= 0; j--) {
        if (closerOf.get(tokens[stack[j]].tokenType) === type) {
          pairs.push([stack[j], i]);
          stack.length = j;
          break;
        }
      }
    }
  }
  if (stack.length === 0) return undefined;
  const innermost = stack[stack.length - 1];
  const guess = tokens[innermost].tokenType === LCurly ? misindentedBlock(tokens, pairs) : undefined;
  const culprit = guess ?? innermost;
  const open = tokens[culprit];
  const closer = closerOf.get(open.tokenType)!.LABEL;
  const depth = tokens.slice(0, culprit).reduce((d, t) => d + (t.tokenType === LCurly ? 1 : t.tokenType === RCurly ? -1 : 0), 0);
  let where = '';
  if (guess !== undefined) {
    const indent = indentOf(tokens, guess);
    const next = tokens.findIndex((t, i) => i > guess && firstOnLine(tokens, i) && (t.startColumn ?? 1) <= indent);
    if (next >= 0) where = ` (by the indentation, before line ${tokens[next].startLine})`;
  }
  const more = guess === undefined && stack.length > 1 ? ` (${stack.length} brackets are unclosed)` : '';
  return error(
    codes.unexpectedEnd,
    `unexpected end of file: the ${describeOpener(tokens, culprit, Math.max(0, depth))} is never closed; expected ${closer}${where}${more}`,
    lines.range(file, open.startOffset, open.startOffset + 1),
    `add ${closer} where the ${open.tokenType === LCurly ? 'block' : open.tokenType === LSquare ? 'list' : 'call'} ends`,
  );
}

function parserDiagnostics(errors: IRecognitionException[], hasUnclosed: boolean, lines: LineIndex, file: string, text: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const e of errors) {
    if (isEof(e.token)) {
      // A bracket left open already explains this; otherwise the file simply stops too early.
      if (hasUnclosed) continue;
      out.push(error(codes.unexpectedEnd, `unexpected end of file: ${e.message}`, lines.range(file, text.length, text.length)));
      continue;
    }
    out.push(error(codes.unexpectedToken, e.message, lines.range(file, e.token.startOffset, e.token.endOffset! + 1)));
  }
  return out;
}

/** One diagnostic per (code, place): recovery can report the same token twice. */
function dedupe(diagnostics: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics
    .filter((d) => {
      const key = `${d.code}@${d.range.start.offset}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => a.range.start.offset - b.range.start.offset);
}

function internalError(e: unknown, lines: LineIndex, file: string): Diagnostic {
  const what = e instanceof Error ? e.message : String(e);
  return error(
    codes.unexpectedToken,
    `the parser failed on this file (${what})`,
    lines.range(file, 0, 0),
    'this is a bug in dadf; please report it with the file',
  );
}

/**
 * A rule that aborts in recovery never reaches the line that closes its node's range; grow
 * such ranges so that every node still covers its children.
 */
function coverChildren(entries: Array<Property | Block>, range: SourceRange): void {
  for (const e of entries) {
    if (e.kind === 'block') coverChildren(e.body, e.range);
    if (e.range.end.offset > range.end.offset) range.end = e.range.end;
  }
}

export function parseDadf(text: string, file: string): DadfParseResult {
  const ast: PipelineFile = { file, text, format: 'dadf', pipelines: [] };
  const lines = new LineIndex(text);
  try {
    const lexed = lexDadf(text);
    const comments = lexed.groups.comments ?? [];
    // concat, not push(...): random bytes give more errors than a call takes arguments.
    let diagnostics = lexed.errors.map((e) => lexingDiagnostic(e, text, lines, file)).concat(unterminatedDiagnostics(lexed.tokens, comments, lines, file));
    const unclosed = unclosedDiagnostic(lexed.tokens, lines, file);
    if (unclosed) diagnostics.push(unclosed);
    dadfParser.begin(lexed.tokens, file);
    dadfParser.file();
    ast.pipelines = dadfParser.collected;
    if (dadfParser.errors.length > 0) for (const p of ast.pipelines) coverChildren(p.body, p.range);
    // The parser's own reports first: they are the more specific ones where both hit one token.
    diagnostics = diagnostics.concat(dadfParser.reported, parserDiagnostics(dadfParser.errors, unclosed !== undefined, lines, file, text));
    return { ast, diagnostics: dedupe(diagnostics) };
  } catch (e) {
    return { ast, diagnostics: [internalError(e, lines, file)] };
  }
}

/**
 * Parses one .dadf value on its own: `[prior, self]`, `1e-4`, `adamw(lr: 1e-3)`, `"text"`.
 * Used for `--set key=value` so the command line reads values exactly as files do.
 */
export function parseDadfValue(text: string, file = '<value>'): { value?: Value; diagnostics: Diagnostic[] } {
  const lines = new LineIndex(text);
  try {
    const lexed = lexDadf(text);
    const diagnostics = lexed.errors.map((e) => lexingDiagnostic(e, text, lines, file));
    diagnostics.push(...unterminatedDiagnostics(lexed.tokens, lexed.groups.comments ?? [], lines, file));
    const unclosed = unclosedDiagnostic(lexed.tokens, lines, file);
    if (unclosed) diagnostics.push(unclosed);
    dadfParser.begin(lexed.tokens, file);
    const value = dadfParser.singleValue();
    // The parser's own reports first: they are the more specific ones where both hit one token.
    diagnostics.push(...dadfParser.reported, ...parserDiagnostics(dadfParser.errors, unclosed !== undefined, lines, file, text));
    const result = dedupe(diagnostics);
    return value === undefined ? { diagnostics: result } : { value, diagnostics: result };
  } catch (e) {
    return { diagnostics: [internalError(e, lines, file)] };
  }
}
