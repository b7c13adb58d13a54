// Where the cursor is, for completion: at a key of some block, at the value of a key, in a
// list, after `backbone `. Read from the tokens before the cursor (the text is often broken
// while typing, so the AST alone would not do). YAML: the parent keys come from indentation,
// the rest of the line is read with the .dadf tokens (YAML's flow style is close to them).
import { Lexer, type IToken } from 'chevrotain';
import { allTokens } from '../grammar/index.ts';

const lexer = new Lexer(allTokens, { positionTracking: 'onlyOffset', ensureOptimizations: false });

export type CursorContext =
  /** At a key of the mapping at `path` ([] = the pipeline body). */
  | { kind: 'key'; path: string[]; inCall: boolean; yaml: boolean; pipeline?: string; arch?: string }
  /** At the value of the key at `path`; `inList` when inside its `[ ... ]`. */
  | { kind: 'value'; path: string[]; inList: boolean; pipeline?: string; arch?: string }
  /** After a block keyword that takes a name: `backbone `, `stage `. */
  | { kind: 'label'; keyword: string; pipeline?: string }
  /** Outside any pipeline: `pipeline NAME { ... }` comes next. */
  | { kind: 'top' }
  | { kind: 'none' };

interface Frame {
  kind: 'block' | 'object' | 'list' | 'call';
  path: string[];
}

const is = (t: IToken | undefined, ...names: string[]) => t !== undefined && names.includes(t.tokenType.name);
const isName = (t: IToken | undefined) => is(t, 'Identifier', 'DashedName', 'True', 'False', 'Null', 'Pipeline', 'Extends');
const isColon = (t: IToken | undefined) => is(t, 'Colon', 'EqualsSlip');
/** Offset just after a token (the lexer tracks start offsets only). */
const endOf = (t: IToken) => t.startOffset + t.image.length;

/** Path of a block inside `path`: `stage flow` → stages.flow, `head knn` → heads.knn; `backbone resnet18` → backbone. */
export function blockPath(path: string[], keyword: string, label?: string): string[] {
  if (keyword === 'stage' && label) return [...path, 'stages', label];
  if (keyword === 'head' && label) return [...path, 'heads', label];
  return [...path, keyword];
}

/** Walks tokens (all before the cursor) from the given frames; what is open at the end. */
function walk(tokens: IToken[], stack: Frame[], pending: string[] | undefined, state: { pipeline?: string; arch?: string }): CursorContext {
  let i = 0;
  const top = () => stack[stack.length - 1];
  while (i < tokens.length) {
    const t = tokens[i];
    const frame = top();
    if (pending !== undefined) {
      // The value of `key:` starts here.
      const path = [...(frame?.path ?? []), ...pending];
      pending = undefined;
      // `key:` with its value missing (`normalize: }`, or the next key follows): nothing to consume.
      if (is(t, 'RCurly', 'RSquare', 'RParen', 'Comma', 'SemicolonSlip') || (isName(t) && isColon(tokens[i + 1]))) continue;
      if (is(t, 'LCurly')) stack.push({ kind: 'object', path });
      else if (is(t, 'LSquare')) stack.push({ kind: 'list', path });
      else if (isName(t) && is(tokens[i + 1], 'LParen')) {
        stack.push({ kind: 'call', path });
        i++;
      } else if (path.join('.') === 'backbone.arch' && isName(t)) state.arch = t.image;
      i++;
      continue;
    }
    if (frame === undefined) {
      // Outside pipelines: `pipeline NAME [extends ...] {`.
      if (is(t, 'Pipeline')) {
        const open = tokens.findIndex((x, j) => j > i && is(x, 'LCurly'));
        if (open < 0) return { kind: 'none' };
        state.pipeline = isName(tokens[i + 1]) ? tokens[i + 1].image : undefined;
        delete state.arch;
        stack.push({ kind: 'block', path: [] });
        i = open + 1;
        continue;
      }
      i++;
      continue;
    }
    if (is(t, 'RCurly', 'RSquare', 'RParen')) {
      stack.pop();
      i++;
      continue;
    }
    if (frame.kind === 'list') {
      if (is(t, 'LCurly')) stack.push({ kind: 'object', path: [...frame.path, '*'] });
      else if (is(t, 'LSquare')) stack.push({ kind: 'list', path: [...frame.path, '*'] });
      else if (isName(t) && is(tokens[i + 1], 'LParen')) {
        stack.push({ kind: 'call', path: [...frame.path, '*'] });
        i++;
      }
      i++;
      continue;
    }
    if (frame.kind === 'call' && !(isName(t) && isColon(tokens[i + 1]))) {
      // Positional arguments: values we do not complete.
      if (is(t, 'LSquare')) stack.push({ kind: 'list', path: [...frame.path, '*'] });
      else if (is(t, 'LCurly')) stack.push({ kind: 'object', path: [...frame.path, '*'] });
      else if (is(t, 'LParen')) stack.push({ kind: 'call', path: frame.path });
      i++;
      continue;
    }
    if (isName(t)) {
      // key(.key)*: → a property; NAME [LABEL] { → a block.
      let j = i;
      const parts = [t.image];
      while (is(tokens[j + 1], 'Dot') && isName(tokens[j + 2])) {
        parts.push(tokens[j + 2].image);
        j += 2;
      }
      // `flow.` with the cursor after the dot: the keys of flow come next.
      if (is(tokens[j + 1], 'Dot') && j + 2 === tokens.length && frame.kind !== 'call') {
        return { kind: 'key', path: [...frame.path, ...parts], inCall: false, yaml: false, ...state };
      }
      if (isColon(tokens[j + 1])) {
        pending = parts;
        i = j + 2;
        continue;
      }
      if (frame.kind === 'block') {
        if (is(tokens[i + 1], 'LCurly')) {
          stack.push({ kind: 'block', path: blockPath(frame.path, t.image) });
          i += 2;
          continue;
        }
        if (isName(tokens[i + 1]) && is(tokens[i + 2], 'LCurly')) {
          if (t.image === 'backbone' && frame.path.length === 0) state.arch = tokens[i + 1].image;
          stack.push({ kind: 'block', path: blockPath(frame.path, t.image, tokens[i + 1].image) });
          i += 3;
          continue;
        }
        // `backbone ` with the cursor right after: the block's name comes next.
        if (i === tokens.length - 1 && (t.image === 'backbone' || t.image === 'stage')) return { kind: 'label', keyword: t.image, pipeline: state.pipeline };
      }
    }
    i++;
  }
  const frame = top();
  if (pending !== undefined) return { kind: 'value', path: [...(frame?.path ?? []), ...pending], inList: false, ...state };
  if (!frame) return { kind: 'top' };
  if (frame.kind === 'list') return { kind: 'value', path: frame.path, inList: true, ...state };
  return { kind: 'key', path: frame.path, inCall: frame.kind === 'call', yaml: false, ...state };
}

/** The cursor context in a .dadf text. */
export function dadfContext(text: string, offset: number): CursorContext {
  const before = text.slice(0, offset);
  const lexed = lexer.tokenize(before);
  const comments = lexed.groups.comments ?? [];
  const lastComment = comments[comments.length - 1];
  if (lastComment && endOf(lastComment) >= offset && !/^\/\*[\s\S]*\*\/$/.test(lastComment.image)) return { kind: 'none' };
  let tokens = lexed.tokens;
  const last = tokens[tokens.length - 1];
  if (last && is(last, 'DoubleQuoted', 'SingleQuoted', 'UnterminatedString', 'NumberLiteral') && endOf(last) === offset) return { kind: 'none' };
  // The word being typed is what completion filters by; the context is what precedes it.
  if (last && isName(last) && endOf(last) === offset) tokens = tokens.slice(0, -1);
  return walk(tokens, [], undefined, {});
}

const keyLine = /^(\s*)(?:-\s+)?([A-Za-z_][\w.]*)\s*:(?:\s+(.*))?$/;

/** The cursor context in a YAML pipeline text. */
export function yamlContext(text: string, offset: number): CursorContext {
  const lineStart = Math.max(text.lastIndexOf('\n', offset - 1) + 1, 0);
  const linePrefix = text.slice(lineStart, offset);
  if (/(^|\s)#/.test(linePrefix)) return { kind: 'none' };
  const indent = /^\s*/.exec(linePrefix)![0].length;
  // Parents: the nearest less-indented `key:` lines that open a mapping or a list.
  const parents: string[] = [];
  let limit = indent;
  const above = text.slice(0, lineStart).split(/\r?\n/).reverse();
  for (const line of above) {
    if (limit === 0) break;
    if (/^\s*(#|$)/.test(line)) continue;
    const lineIndent = /^\s*/.exec(line)![0].length;
    if (lineIndent >= limit) continue;
    const m = keyLine.exec(line);
    if (m && (m[3] === undefined || m[3].startsWith('#'))) parents.unshift(...m[2].split('.'));
    limit = lineIndent;
  }
  const state: { arch?: string } = {};
  const arch = /\barch\s*:\s*([A-Za-z_]\w*)/.exec(text);
  if (arch) state.arch = arch[1];
  const rest = linePrefix.slice(indent);
  if (/^-\s*[A-Za-z0-9_]*$/.test(rest)) return { kind: 'value', path: parents, inList: true, ...state };
  const m = /^([A-Za-z_][\w.]*)\s*:\s*(.*)$/.exec(rest);
  if (!m) {
    if (/^[A-Za-z0-9_]*$/.test(rest)) return { kind: 'key', path: parents, inCall: false, yaml: true, ...state };
    return { kind: 'none' };
  }
  const key = m[1].split('.');
  // `pipeline:` and `extends:` take names and paths, nothing to list.
  if (parents.length === 0 && (key[0] === 'pipeline' || key[0] === 'extends')) return { kind: 'none' };
  // The value part of the line, read as .dadf tokens with the key already known.
  const valueText = m[2];
  const tokens = lexer.tokenize(valueText).tokens;
  const last = tokens[tokens.length - 1];
  const trimmed = last && isName(last) && valueText.endsWith(last.image) ? tokens.slice(0, -1) : tokens;
  const ctx = walk(trimmed, [{ kind: 'object', path: parents }], key, {});
  if (ctx.kind === 'key') return { ...ctx, yaml: true, ...state };
  if (ctx.kind === 'value') return { ...ctx, ...state };
  return ctx;
}
