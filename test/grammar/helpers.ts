// Shared helpers for the grammar tests: the pipeline files of the repo, an AST walker that
// checks every range, and a range-free plain form of the AST for comparisons.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Block, Diagnostic, PipelineFile, Property, SourceRange, Value } from '../../grammar/ast.ts';
import { LineIndex } from '../../grammar/positions.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Every pipeline file under pipelines/ (.dadf, .yaml, .yml), relative to the repo root. */
export function pipelineFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(join(repoRoot, dir)).sort()) {
      const rel = join(dir, name);
      if (statSync(join(repoRoot, rel)).isDirectory()) walk(rel);
      else if (/\.(dadf|ya?ml)$/.test(name)) out.push(rel);
    }
  };
  walk('pipelines');
  return out;
}

export function readRepoFile(rel: string): string {
  return readFileSync(join(repoRoot, rel), 'utf8');
}

/** Asserts that a range lies inside the text and that its line/column agree with its offset. */
function assertRangeInside(range: SourceRange, lines: LineIndex, what: string): void {
  const n = lines.text.length;
  for (const [name, pos] of [
    ['start', range.start],
    ['end', range.end],
  ] as const) {
    assert.ok(Number.isInteger(pos.offset) && pos.offset >= 0 && pos.offset <= n, `${what}: ${name} offset ${pos.offset} outside [0, ${n}]`);
    assert.ok(pos.line >= 1 && pos.line <= lines.lineCount, `${what}: ${name} line ${pos.line} outside [1, ${lines.lineCount}]`);
    assert.deepEqual(
      { line: pos.line, column: pos.column },
      (({ line, column }) => ({ line, column }))(lines.position(pos.offset)),
      `${what}: ${name} line/column disagree with offset ${pos.offset}`,
    );
  }
  assert.ok(range.start.offset <= range.end.offset, `${what}: range ends before it starts`);
}

function assertCovers(outer: SourceRange, inner: SourceRange, what: string): void {
  assert.ok(outer.start.offset <= inner.start.offset && inner.end.offset <= outer.end.offset, `${what} is not inside its parent's range`);
}

/** Walks every node of the AST and every diagnostic, checking all their ranges (children inside parents). */
export function assertAllRangesInside(ast: PipelineFile, diagnostics: Diagnostic[]): void {
  const lines = new LineIndex(ast.text);
  for (const d of diagnostics) assertRangeInside(d.range, lines, `diagnostic ${d.code} '${d.message}'`);
  const value = (v: Value) => {
    assertRangeInside(v.range, lines, `${v.kind} value`);
    if (v.kind === 'list') v.items.forEach(value);
    if (v.kind === 'object') v.entries.forEach(entry);
    if (v.kind === 'call') {
      assertRangeInside(v.nameRange, lines, 'call name');
      v.args.forEach(value);
      v.named.forEach(entry);
    }
  };
  const entry = (e: Property | Block) => {
    assertRangeInside(e.range, lines, e.kind);
    if (e.kind === 'property') {
      assertRangeInside(e.keyRange, lines, 'key');
      value(e.value);
    } else {
      assertRangeInside(e.keywordRange, lines, 'block keyword');
      if (e.label) assertRangeInside(e.label.range, lines, 'block label');
      e.body.forEach(entry);
      e.body.forEach((child) => assertCovers(e.range, child.range, `entry of block ${e.keyword}`));
    }
  };
  for (const p of ast.pipelines) {
    assertRangeInside(p.range, lines, 'pipeline');
    assertRangeInside(p.nameRange, lines, 'pipeline name');
    p.extends.forEach((e) => assertRangeInside(e.range, lines, 'extends'));
    p.body.forEach(entry);
    p.body.forEach((child) => assertCovers(p.range, child.range, `entry of pipeline ${p.name}`));
  }
}

/**
 * The AST without ranges, with the two spellings that mean the same thing made equal: an
 * unlabelled block is an object-valued property, and a bare name is a string.
 */
export function plain(ast: PipelineFile): unknown {
  const value = (v: Value): unknown => {
    switch (v.kind) {
      case 'list':
        return v.items.map(value);
      case 'object':
        return Object.fromEntries(v.entries.map((p) => [p.key.join('.'), value(p.value)]));
      case 'call':
        return { call: v.name, args: v.args.map(value), named: Object.fromEntries(v.named.map((p) => [p.key.join('.'), value(p.value)])) };
      case 'null':
        return null;
      default:
        return v.value;
    }
  };
  const body = (entries: Array<Property | Block>): Record<string, unknown> =>
    Object.fromEntries(
      entries.map((e) => (e.kind === 'property' ? [e.key.join('.'), value(e.value)] : [e.label ? `${e.keyword} ${e.label.value}` : e.keyword, body(e.body)])),
    );
  return ast.pipelines.map((p) => ({ name: p.name, extends: p.extends.map((e) => e.value), body: body(p.body) }));
}
