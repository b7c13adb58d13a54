// The canonical layout of a .dadf file: 2-space indent, one entry per line in blocks with
// several entries (a block with one property stays on one line), values on one line with
// ', ' between items, source spellings of numbers and strings kept, comments kept where
// they were (own line or end of line), at most one blank line where the source had some.
// A file with syntax errors, or with a comment inside a value or a block header, is not
// formatted: the result would have to move or drop text the author wrote.
import { Lexer, type IToken } from 'chevrotain';
import { allTokens, parseDadf, type Block, type PipelineDecl, type Property, type Value } from '../grammar/index.ts';

const lexer = new Lexer(allTokens, { positionTracking: 'full', ensureOptimizations: false });
const INDENT = '  ';

export type FormatResult = { text: string } | { refused: string };

export function formatDadf(text: string, file: string): FormatResult {
  const parsed = parseDadf(text, file);
  const firstError = parsed.diagnostics.find((d) => d.severity === 'error');
  if (firstError) return { refused: `not formatted: fix the syntax error at line ${firstError.range.start.line} first` };
  const lexed = lexer.tokenize(text);
  try {
    return { text: new Printer(text, lexed.groups.comments ?? [], lexed.tokens).file(parsed.ast.pipelines) };
  } catch (e) {
    if (e instanceof Refusal) return { refused: e.message };
    throw e;
  }
}

class Refusal extends Error {}

class Printer {
  private readonly out: string[] = [];
  private next = 0;

  constructor(
    private readonly text: string,
    private readonly comments: IToken[],
    private readonly tokens: IToken[],
  ) {}

  file(pipelines: PipelineDecl[]): string {
    let previousEnd: number | undefined;
    for (const decl of pipelines) {
      previousEnd = this.commentsBefore(decl.range.start.offset, '', previousEnd);
      this.blankLineIfAny(previousEnd, decl.range.start.offset);
      this.pipeline(decl);
      previousEnd = decl.range.end.offset;
    }
    this.commentsBefore(this.text.length + 1, '', previousEnd);
    while (this.out.length > 0 && this.out[this.out.length - 1] === '') this.out.pop();
    return this.out.length === 0 ? '' : this.out.join('\n') + '\n';
  }

  private pipeline(decl: PipelineDecl): void {
    const refs = decl.extends.map((r) => this.source(r.range.start.offset, r.range.end.offset));
    const header = `pipeline ${decl.name}${refs.length ? ` extends ${refs.join(', ')}` : ''}`;
    this.body(header, decl.range.start.offset, decl.range.end.offset, decl.body, '');
  }

  /** `header { entries }`: on one line when it holds one property and no comment, else one entry per line. */
  private body(header: string, start: number, end: number, entries: Array<Property | Block>, indent: string): void {
    const open = this.tokens.find((t) => t.startOffset >= start && t.tokenType.name === 'LCurly')?.startOffset ?? start;
    if (this.commentIn(start, open)) throw new Refusal(`not formatted: a comment inside the header '${header}' (move it above the line)`);
    const hasComments = this.commentIn(open, end);
    if (!hasComments && entries.length === 0) {
      this.line(indent + header + ' {}', end);
      return;
    }
    if (!hasComments && entries.length === 1 && entries[0].kind === 'property') {
      this.line(`${indent}${header} { ${this.property(entries[0])} }`, end);
      return;
    }
    this.out.push(`${indent}${header} {`);
    const inner = indent + INDENT;
    let previousEnd: number | undefined = open + 1;
    for (const entry of entries) {
      previousEnd = this.commentsBefore(entry.range.start.offset, inner, previousEnd);
      this.blankLineIfAny(previousEnd, entry.range.start.offset);
      if (entry.kind === 'block') {
        const label = entry.label ? ` ${entry.label.value}` : '';
        this.body(entry.keyword + label, entry.range.start.offset, entry.range.end.offset, entry.body, inner);
      } else {
        if (this.commentIn(entry.range.start.offset, entry.range.end.offset)) {
          throw new Refusal(`not formatted: a comment inside the value of '${entry.key.join('.')}' at line ${entry.range.start.line} (move it above the line)`);
        }
        this.line(inner + this.property(entry), entry.range.end.offset);
      }
      previousEnd = entry.range.end.offset;
    }
    // Comments after the last entry stay inside the block.
    this.commentsBefore(end - 1, inner, previousEnd);
    this.out.push(`${indent}}`);
    this.trailingComment(end);
  }

  /** One output line, with the comment that followed it on the same source line. */
  private line(content: string, sourceEnd: number): void {
    this.out.push(content);
    this.trailingComment(sourceEnd);
  }

  private trailingComment(sourceEnd: number): void {
    const comment = this.comments[this.next];
    if (!comment || comment.startOffset < sourceEnd) return;
    const between = this.text.slice(sourceEnd, comment.startOffset);
    if (/[\r\n]/.test(between) || !/^[\s,]*$/.test(between)) return;
    this.out[this.out.length - 1] += ' ' + comment.image;
    this.next++;
  }

  /** Own-line comments up to `offset`, each at `indent`; returns the source end of the last one. */
  private commentsBefore(offset: number, indent: string, previousEnd: number | undefined): number | undefined {
    let end = previousEnd;
    while (this.next < this.comments.length && this.comments[this.next].startOffset < offset) {
      const comment = this.comments[this.next++];
      this.blankLineIfAny(end, comment.startOffset);
      this.out.push(indent + comment.image);
      end = comment.startOffset + comment.image.length;
    }
    return end;
  }

  /** Keeps one blank line where the source had at least one between two items. */
  private blankLineIfAny(previousEnd: number | undefined, start: number): void {
    const last = this.out[this.out.length - 1];
    if (previousEnd === undefined || last === undefined || last === '' || last.endsWith('{')) return;
    if (/\n[ \t\f\v\r]*\n/.test(this.text.slice(previousEnd, start).replace(/\r\n?/g, '\n'))) this.out.push('');
  }

  private commentIn(start: number, end: number): boolean {
    return this.comments.some((c) => c.startOffset > start && c.startOffset < end);
  }

  private source(start: number, end: number): string {
    return this.text.slice(start, end);
  }

  private property(p: Property): string {
    return `${p.key.join('.')}: ${this.value(p.value)}`;
  }

  private value(v: Value): string {
    switch (v.kind) {
      case 'list':
        return `[${v.items.map((i) => this.value(i)).join(', ')}]`;
      case 'object':
        return v.entries.length ? `{ ${v.entries.map((e) => this.property(e)).join(', ')} }` : '{}';
      case 'call':
        return `${v.name}(${[...v.args.map((a) => this.value(a)), ...v.named.map((n) => this.property(n))].join(', ')})`;
      default:
        // Numbers and strings as written: 1e-4 stays 1e-4, 'single' quotes stay.
        return this.source(v.range.start.offset, v.range.end.offset);
    }
  }
}
