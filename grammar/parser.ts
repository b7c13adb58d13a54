// The .dadf parser: a chevrotain parser with embedded actions that builds the AST of
// ast.ts directly. Nodes are pushed into their parent as soon as their head is parsed, so
// a region that fails half-way still leaves its partial node in the tree (error recovery).
// The parser is constructed once (grammar analysis is costly) and reused for every input.
import { EmbeddedActionsParser, EOF, tokenMatcher, type IToken, type TokenType } from 'chevrotain';
import type { Block, Diagnostic, PipelineDecl, Property, SourcePos, SourceRange, Value } from './ast.ts';
import {
  allTokens,
  Colon,
  Comma,
  DashedName,
  Dot,
  Extends,
  False,
  Identifier,
  isName,
  LCurly,
  LParen,
  LSquare,
  Null,
  NumberLiteral,
  Pipeline,
  RCurly,
  RParen,
  RSquare,
  SemicolonSlip,
  StringLiteral,
  True,
  unquote,
} from './lexer.ts';
import { describeToken, errorMessages } from './messages.ts';

type Entry = Property | Block;

// Alternatives are built through these helpers rather than as `{ ALT: () => ... }` literals:
// tsx (esbuild keepNames) wraps every arrow that gets a property name in a naming call, and
// that cost, paid on every rule invocation, dominated parse time.
function alt<T>(fn: () => T): { ALT: () => T } {
  return { ALT: fn };
}
function gatedAlt<T>(gate: () => boolean, fn: () => T): { GATE: () => boolean; ALT: () => T } {
  return { GATE: gate, ALT: fn };
}
function gated<T>(gate: () => boolean, fn: () => T): { GATE: () => boolean; DEF: () => T } {
  return { GATE: gate, DEF: fn };
}
function separated(sep: TokenType, fn: () => void): { SEP: TokenType; DEF: () => void } {
  return { SEP: sep, DEF: fn };
}

/** A half-open range being built: a node whose end moves as its children are parsed. */
function extendTo(range: SourceRange, end: SourcePos): void {
  if (end.offset > range.end.offset) range.end = end;
}

export class DadfParser extends EmbeddedActionsParser {
  /** The file name stamped into every range of the current parse. */
  private fileName = '';
  /**
   * The pipelines of the current parse. Kept outside the `file` rule's return value because
   * a file that ends inside a block aborts every rule up to the top one, and its return value
   * is then lost; the partial pipelines must survive that.
   */
  collected: PipelineDecl[] = [];
  /** Slips the grammar accepts but reports (a missing ',' in a list, a missing value). */
  reported: Diagnostic[] = [];

  /**
   * @param validateGrammar chevrotain's checks of the grammar itself (ambiguities, left
   * recursion): a test runs them; every start-up skips them, which saves most of the parser's
   * construction time.
   */
  constructor(validateGrammar = false) {
    super(allTokens, { recoveryEnabled: true, maxLookahead: 3, errorMessageProvider: errorMessages, skipValidations: !validateGrammar });
    this.performSelfAnalysis();
  }

  /** Starts a new parse: the caller then invokes a top rule (`file` or `singleValue`). */
  begin(tokens: IToken[], file: string): void {
    this.fileName = file;
    this.collected = [];
    this.reported = [];
    this.input = tokens;
  }

  // ---- positions -------------------------------------------------------------------------

  private startOf(token: IToken): SourcePos {
    if (token.isInsertedInRecovery || Number.isNaN(token.startOffset)) return this.endOf(this.LA(0));
    return { offset: token.startOffset, line: token.startLine ?? 1, column: token.startColumn ?? 1 };
  }

  private endOf(token: IToken): SourcePos {
    if (token === undefined || token.tokenType === EOF || Number.isNaN(token.startOffset)) {
      return { offset: 0, line: 1, column: 1 };
    }
    return { offset: (token.endOffset ?? token.startOffset) + 1, line: token.endLine ?? 1, column: (token.endColumn ?? 0) + 1 };
  }

  private tokenRange(token: IToken): SourceRange {
    if (token.isInsertedInRecovery || Number.isNaN(token.startOffset)) {
      const at = this.endOf(this.LA(0));
      return { file: this.fileName, start: at, end: at };
    }
    return { file: this.fileName, start: this.startOf(token), end: this.endOf(token) };
  }

  /** From the start of `first` to the end of the last real token consumed so far. */
  private rangeFrom(first: IToken | SourcePos): SourceRange {
    const start = 'offset' in first ? first : this.startOf(first);
    const lastEnd = this.endOf(this.LA(0));
    return { file: this.fileName, start, end: lastEnd.offset >= start.offset ? lastEnd : start };
  }

  private report(message: string, range: SourceRange, hint?: string): void {
    this.reported.push(
      hint === undefined ? { severity: 'error', code: 'DADF1001', message, range } : { severity: 'error', code: 'DADF1001', message, range, hint },
    );
  }

  /**
   * After `key:`, a name followed by ':' is the next key, not this key's value (`batch:` on
   * one line, `seed: 0` on the next); likewise '}' or ','. The value is then missing.
   */
  private valueMissingAhead(): boolean {
    const next = this.LA(1);
    if (next.tokenType === RCurly || next.tokenType === EOF) return true;
    if (next.tokenType === Comma || next.tokenType === SemicolonSlip) return true;
    return isName(next) && tokenMatcher(this.LA(2), Colon);
  }

  // ---- rules -------------------------------------------------------------------------------

  /** file := pipelineDecl* */
  readonly file = this.RULE('file', (): PipelineDecl[] => {
    const pipelines = this.collected;
    this.MANY(() => this.SUBRULE(this.pipelineDecl, { ARGS: [pipelines] }));
    return pipelines;
  });

  /** pipelineDecl := 'pipeline' IDENT ('extends' ref (',' ref)*)? '{' entry* '}' */
  readonly pipelineDecl = this.RULE('pipelineDecl', (out: PipelineDecl[]) => {
    const keyword = this.CONSUME(Pipeline);
    const name = this.CONSUME(Identifier);
    const parents: PipelineDecl['extends'] = [];
    const body: Entry[] = [];
    let decl: PipelineDecl | undefined;
    this.ACTION(() => {
      decl = { kind: 'pipeline', name: name.image, nameRange: this.tokenRange(name), extends: parents, body, range: this.rangeFrom(keyword) };
      out.push(decl);
    });
    this.OPTION(() => {
      this.CONSUME(Extends);
      this.AT_LEAST_ONE_SEP(
        separated(Comma, () => {
          const parent = this.SUBRULE(this.ref);
          this.ACTION(() => parent && parents.push(parent));
        }),
      );
    });
    this.CONSUME(LCurly);
    this.MANY2(() => {
      this.SUBRULE(this.entry, { ARGS: [body] });
      this.ACTION(() => decl && extendTo(decl.range, this.endOf(this.LA(0))));
    });
    this.CONSUME(RCurly);
    this.ACTION(() => decl && extendTo(decl.range, this.endOf(this.LA(0))));
  });

  /** ref := STRING | IDENT: a relative file path or a pipeline name. */
  readonly ref = this.RULE('ref', (): { value: string; range: SourceRange } => {
    const token = this.OR([alt(() => this.CONSUME(StringLiteral)), alt(() => this.CONSUME(Identifier))]);
    return this.ACTION(() => ({ value: isName(token) ? token.image : unquote(token), range: this.tokenRange(token) }));
  });

  /**
   * entry := block | property | ','. A block is chosen when a '{' follows the keyword or the
   * label; anything else after a name is read as a property, so `steps 8` is reported as a
   * missing ':' (and recovered by inserting it) instead of as an unreadable entry.
   */
  readonly entry = this.RULE('entry', (body: Entry[]) => {
    this.OR({
      MAX_LOOKAHEAD: 1,
      IGNORE_AMBIGUITIES: true,
      DEF: [
        alt(() => this.CONSUME(Comma)),
        gatedAlt(
          () => this.blockAhead(),
          () => this.SUBRULE(this.block, { ARGS: [body] }),
        ),
        alt(() => this.SUBRULE(this.property, { ARGS: [body] })),
      ],
    });
  });

  private blockAhead(): boolean {
    const second = this.LA(2).tokenType;
    return second === LCurly || (isName(this.LA(2)) && this.LA(3).tokenType === LCurly);
  }

  /** block := IDENT IDENT? '{' entry* '}' */
  readonly block = this.RULE('block', (out: Entry[]) => {
    const keyword = this.CONSUME(Identifier);
    const label = this.OPTION(() => this.CONSUME2(Identifier));
    this.CONSUME(LCurly);
    const body: Entry[] = [];
    let block: Block | undefined;
    this.ACTION(() => {
      block = { kind: 'block', keyword: keyword.image, keywordRange: this.tokenRange(keyword), body, range: this.rangeFrom(keyword) };
      if (label) block.label = { value: label.image, range: this.tokenRange(label) };
      out.push(block);
    });
    this.MANY(() => {
      this.SUBRULE(this.entry, { ARGS: [body] });
      this.ACTION(() => block && extendTo(block.range, this.endOf(this.LA(0))));
    });
    this.CONSUME(RCurly);
    this.ACTION(() => block && extendTo(block.range, this.endOf(this.LA(0))));
  });

  /** property := dottedKey ':' value (a missing value is reported and the property dropped) */
  readonly property = this.RULE('property', (out: Property[] | Entry[]) => {
    const key = this.SUBRULE(this.dottedKey);
    const colon = this.CONSUME(Colon);
    let tried = false;
    const value = this.OPTION(
      gated(
        () => !this.valueMissingAhead(),
        () => {
          this.ACTION(() => (tried = true));
          return this.SUBRULE(this.value);
        },
      ),
    );
    this.ACTION(() => {
      if (key === undefined) return;
      if (value === undefined) {
        // A value that failed half-way is reported by the parser already, as is an inserted ':'.
        if (!tried && !colon.isInsertedInRecovery) this.reportMissingValue(key.parts.join('.'), colon);
        return;
      }
      out.push({ kind: 'property', key: key.parts, keyRange: key.range, value, range: { file: this.fileName, start: key.range.start, end: value.range.end } });
    });
  });

  /** At the token after the ':' when it is on the same line, else at the ':' itself. */
  private reportMissingValue(key: string, colon: IToken): void {
    const next = this.LA(1);
    const hint = "write a value after the ':', e.g. 'steps: 8', or remove the key";
    if (next.tokenType !== EOF && next.startLine === colon.endLine) {
      this.report(`expected a value after '${key}:', found ${describeToken(next)}`, this.tokenRange(next), hint);
      return;
    }
    const found =
      next.tokenType === EOF ? 'the end of the file' : isName(next) ? `the key '${next.image}' on the next line` : `${describeToken(next)} on the next line`;
    this.report(`missing value after '${key}:' (found ${found})`, this.tokenRange(colon), hint);
  }

  /** dottedKey := IDENT ('.' IDENT)* */
  readonly dottedKey = this.RULE('dottedKey', (): { parts: string[]; range: SourceRange } => {
    const first = this.CONSUME(Identifier);
    const parts: string[] = [];
    this.ACTION(() => parts.push(first.image));
    this.MANY(() => {
      this.CONSUME(Dot);
      const part = this.CONSUME2(Identifier);
      this.ACTION(() => part.isInsertedInRecovery || parts.push(part.image));
    });
    return this.ACTION(() => ({ parts, range: this.rangeFrom(first) }));
  });

  /** value := NUMBER | STRING | true | false | null | call | IDENT | list | object */
  readonly value = this.RULE('value', (): Value => {
    return this.OR([
      alt(() => this.tokenValue(this.CONSUME(NumberLiteral))),
      alt(() => this.tokenValue(this.CONSUME(StringLiteral))),
      alt(() => this.tokenValue(this.CONSUME(True))),
      alt(() => this.tokenValue(this.CONSUME(False))),
      alt(() => this.tokenValue(this.CONSUME(Null))),
      alt(() => this.SUBRULE(this.call)),
      alt(() => this.tokenValue(this.CONSUME(Identifier))),
      alt(() => this.SUBRULE(this.list)),
      alt(() => this.SUBRULE(this.object)),
    ]);
  });

  /** The Value of a single-token literal. */
  private tokenValue(t: IToken): Value {
    return this.ACTION((): Value => {
      const range = this.tokenRange(t);
      switch (t.tokenType) {
        case NumberLiteral:
          return { kind: 'number', value: Number(t.image), range };
        case True:
          return { kind: 'boolean', value: true, range };
        case False:
          return { kind: 'boolean', value: false, range };
        case Null:
          return { kind: 'null', range };
        case Identifier:
        case DashedName:
          return { kind: 'ident', value: t.image, range };
        default:
          return { kind: 'string', value: unquote(t), range };
      }
    });
  }

  /** call := IDENT '(' (arg (',' arg)* ','?)? ')' */
  readonly call = this.RULE('call', (): Value => {
    const name = this.CONSUME(Identifier);
    this.CONSUME(LParen);
    const args: Value[] = [];
    const named: Property[] = [];
    this.OPTION(() => {
      this.SUBRULE(this.arg, { ARGS: [args, named] });
      this.MANY(() => {
        const comma = this.OPTION3(() => this.CONSUME(Comma));
        const before = this.LA(0);
        this.SUBRULE2(this.arg, { ARGS: [args, named] });
        this.ACTION(() => {
          if (comma || before === undefined) return;
          const next = this.findTokenAfter(before);
          if (next) this.report("expected ',' between arguments", this.tokenRange(next), `add a ',' after '${before.image}'`);
        });
      });
      this.OPTION2(() => this.CONSUME2(Comma));
    });
    this.CONSUME(RParen);
    return this.ACTION((): Value => ({ kind: 'call', name: name.image, nameRange: this.tokenRange(name), args, named, range: this.rangeFrom(name) }));
  });

  /** arg := IDENT ':' value (named) | value (positional) */
  readonly arg = this.RULE('arg', (args: Value[], named: Property[]) => {
    this.OR([
      alt(() => {
        const key = this.CONSUME(Identifier);
        this.CONSUME(Colon);
        const value = this.SUBRULE(this.value);
        this.ACTION(() => {
          if (value === undefined) return;
          const keyRange = this.tokenRange(key);
          named.push({ kind: 'property', key: [key.image], keyRange, value, range: { file: this.fileName, start: keyRange.start, end: value.range.end } });
        });
      }),
      alt(() => {
        const value = this.SUBRULE2(this.value);
        this.ACTION(() => value && args.push(value));
      }),
    ]);
  });

  /** list := '[' (value (','? value)* ','?)? ']' (a missing ',' is reported, not fatal) */
  readonly list = this.RULE('list', (): Value => {
    const open = this.CONSUME(LSquare);
    const items: Value[] = [];
    this.OPTION(() => {
      const first = this.SUBRULE(this.value);
      this.ACTION(() => first && items.push(first));
      this.MANY(() => {
        const comma = this.OPTION2(() => this.CONSUME(Comma));
        const item = this.SUBRULE2(this.value);
        this.ACTION(() => {
          if (!item) return;
          if (!comma && items.length > 0) this.reportMissingComma(items[items.length - 1], item, 'list items');
          items.push(item);
        });
      });
      this.OPTION3(() => this.CONSUME2(Comma));
    });
    this.CONSUME(RSquare);
    return this.ACTION((): Value => ({ kind: 'list', items, range: this.rangeFrom(open) }));
  });

  private reportMissingComma(before: Value, after: Value, what: string): void {
    const at: SourceRange = { file: this.fileName, start: after.range.start, end: after.range.start };
    this.report(
      `expected ',' between ${what}`,
      { ...at, end: after.range.end },
      `add a ',' after ${before.kind === 'ident' ? `'${before.value}'` : 'the previous item'}`,
    );
  }

  /** object := '{' (property | ',')* '}' */
  readonly object = this.RULE('object', (): Value => {
    const open = this.CONSUME(LCurly);
    const entries: Property[] = [];
    this.MANY(() => {
      this.OR([alt(() => this.CONSUME(Comma)), alt(() => this.SUBRULE(this.property, { ARGS: [entries] }))]);
    });
    this.CONSUME(RCurly);
    return this.ACTION((): Value => ({ kind: 'object', entries, range: this.rangeFrom(open) }));
  });

  /** The real token that follows `token` in the input (used to place a missing-comma error). */
  private findTokenAfter(token: IToken): IToken | undefined {
    const tokens = this.input;
    let low = 0;
    let high = tokens.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (tokens[mid].startOffset <= token.startOffset) low = mid + 1;
      else high = mid;
    }
    return tokens[low];
  }

  /** A lone value, e.g. the right-hand side of `--set key=value`. */
  readonly singleValue = this.RULE('singleValue', (): Value => this.SUBRULE(this.value));
}

/** The one parser instance; parses are synchronous, so sharing it is safe. */
export const dadfParser = new DadfParser();
