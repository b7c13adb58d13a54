// Property: any edit or truncation of a valid pipeline compiles to a Spec or to diagnostics
// whose positions lie inside the file they name; never an exception, never a hang.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { compilePipeline } from '../../compiler/index.ts';
import type { Diagnostic } from '../../grammar/index.ts';
import { pipelinesDir, tempDir } from './helpers.ts';

const sources = ['tiny.dadf', 'dadf.dadf', 'tiny.yaml', 'dadf-cpu.yaml'].map((f) => ({ name: f, text: readFileSync(join(pipelinesDir, f), 'utf8') }));
const fragments = [
  '{',
  '}',
  '[',
  ']',
  ':',
  ',',
  '.',
  '"',
  "'",
  '(',
  ')',
  '#',
  '\n',
  '-',
  ' ',
  'extends',
  'pipeline',
  'stage',
  'flow',
  '1e-4',
  '0',
  'null',
  'true',
  '\t',
  '  ',
  '- ',
  '&a',
  '*a',
  '!!str',
];

type Edit = { at: number; remove: number; insert: string };
const edit = fc.record({
  at: fc.nat(),
  remove: fc.nat({ max: 12 }),
  insert: fc.oneof(fc.constantFrom(...fragments), fc.string({ maxLength: 6 })),
});

function apply(text: string, edits: Edit[], truncate: number | null): string {
  let out = text;
  for (const e of edits) {
    const at = e.at % (out.length + 1);
    out = out.slice(0, at) + e.insert + out.slice(at + e.remove);
  }
  return truncate === null ? out : out.slice(0, truncate % (out.length + 1));
}

function assertInside(d: Diagnostic, files: Map<string, string>) {
  const text = files.get(d.range.file);
  assert.ok(text !== undefined, `diagnostic names a file that was read: ${d.range.file}`);
  const lines = text.split('\n').length;
  for (const p of [d.range.start, d.range.end]) {
    assert.ok(p.offset >= 0 && p.offset <= text.length, `offset ${p.offset} in 0..${text.length}: ${d.code} ${d.message}`);
    assert.ok(p.line >= 1 && p.line <= lines, `line ${p.line} in 1..${lines}: ${d.code} ${d.message}`);
    assert.ok(p.column >= 1, `column ${p.column} >= 1`);
  }
  assert.ok(d.range.start.offset <= d.range.end.offset, 'start before end');
}

test('random edits and truncations of pipelines never crash and point inside the file', () => {
  const dir = tempDir();
  fc.assert(
    fc.property(fc.constantFrom(...sources), fc.array(edit, { maxLength: 4 }), fc.option(fc.nat(), { nil: null }), (source, edits, truncate) => {
      const text = apply(source.text, edits, truncate);
      const file = join(dir, source.name);
      writeFileSync(file, text);
      const started = Date.now();
      const result = compilePipeline(file);
      assert.ok(Date.now() - started < 2000, 'compiles in bounded time');
      assert.ok(result.spec !== undefined || result.diagnostics.some((d) => d.severity === 'error'), 'a Spec or an error');
      for (const d of result.diagnostics) assertInside(d, result.texts);
    }),
    { numRuns: 300, seed: 20261129 },
  );
});
