// Property-based fuzzing of both front ends: random edits and truncations of real pipelines
// must never throw or hang, and every range they report must lie inside the edited text.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { parseDadf, parseYaml } from '../../grammar/index.ts';
import { assertAllRangesInside, pipelineFiles, readRepoFile } from './helpers.ts';

/** Characters and tokens that stress the lexer and the parser's recovery. */
const fragments = [
  '{',
  '}',
  '[',
  ']',
  '(',
  ')',
  ':',
  ',',
  '.',
  '"',
  "'",
  '#',
  '//',
  '/*',
  '*/',
  '\\',
  '\n',
  '\r',
  '\r\n',
  '\t',
  ' ',
  'pipeline',
  'extends',
  'true',
  'null',
  'x',
  'stage flow',
  '1e-4',
  '-3',
  '2.0',
  '=',
  ';',
  '@',
  'é',
  '😀',
  '\u0000',
  // YAML's own structure
  '- ',
  ': ',
  '---',
  '&a',
  '*a',
  '!!str',
  '|',
  '>',
  '? ',
  '%YAML 1.2',
  '  ',
];

type Edit =
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'replace'; at: number; length: number; text: string }
  | { kind: 'truncate'; at: number };

const snippet = fc.oneof(fc.constantFrom(...fragments), fc.string({ maxLength: 4 }), fc.string({ unit: 'binary', maxLength: 3 }));
const position = fc.double({ min: 0, max: 1, noNaN: true });
const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: position, text: snippet }),
  fc.record({ kind: fc.constant('delete' as const), at: position, length: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ kind: fc.constant('replace' as const), at: position, length: fc.integer({ min: 1, max: 6 }), text: snippet }),
  fc.record({ kind: fc.constant('truncate' as const), at: position }),
);

function apply(text: string, edits: Edit[]): string {
  for (const e of edits) {
    const at = Math.floor(e.at * text.length);
    if (e.kind === 'insert') text = text.slice(0, at) + e.text + text.slice(at);
    else if (e.kind === 'delete') text = text.slice(0, at) + text.slice(at + e.length);
    else if (e.kind === 'replace') text = text.slice(0, at) + e.text + text.slice(at + e.length);
    else text = text.slice(0, at);
  }
  return text;
}

/**
 * A parse that never ends would be caught by the suite's timeout; this bound catches one that
 * is merely pathological. Typical parses take < 1 ms; the bound is loose because CI machines
 * (and this one, shared by several jobs) pause for GC and for other processes.
 */
const perParseLimitMs = 2000;

function check(parse: typeof parseDadf, text: string, file: string): void {
  const start = performance.now();
  const { ast, diagnostics } = parse(text, file);
  const took = performance.now() - start;
  assert.ok(took < perParseLimitMs, `parse took ${took.toFixed(1)} ms`);
  assert.equal(ast.text, text);
  for (const d of diagnostics) assert.match(d.code, /^DADF10\d\d$/);
  assertAllRangesInside(ast, diagnostics);
}

const files = pipelineFiles();
const dadfSeeds = files.filter((f) => f.endsWith('.dadf')).map((f) => [f, readRepoFile(f)] as const);
// The seeds are the shipped pipelines (pipelines/**/*.dadf and *.yaml), so the fuzzers follow the language.
const yamlSeeds = files.filter((f) => /\.ya?ml$/.test(f)).map((f) => [f, readRepoFile(f)] as const);

test('the fuzzers have seeds in both languages', () => {
  assert.ok(dadfSeeds.length > 0 && yamlSeeds.length > 0, `${dadfSeeds.length} .dadf and ${yamlSeeds.length} YAML pipelines`);
});

describe('fuzzing the .dadf front end', { timeout: 120_000 }, () => {
  for (const [file, seed] of dadfSeeds) {
    test(`random edits of ${file}`, () => {
      fc.assert(
        fc.property(fc.array(edit, { minLength: 1, maxLength: 6 }), (edits) => check(parseDadf, apply(seed, edits), file)),
        { numRuns: 150, seed: 2026 },
      );
    });
    test(`every truncation of ${file}`, () => {
      for (let at = 0; at <= seed.length; at++) check(parseDadf, seed.slice(0, at), file);
    });
  }
  test('random strings of .dadf tokens', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...fragments), { maxLength: 60 }), (parts) => check(parseDadf, parts.join(' '), 'random.dadf')),
      { numRuns: 300, seed: 7 },
    );
  });
});

describe('fuzzing the YAML front end', { timeout: 120_000 }, () => {
  for (const [file, seed] of yamlSeeds) {
    test(`random edits of ${file}`, () => {
      fc.assert(
        fc.property(fc.array(edit, { minLength: 1, maxLength: 6 }), (edits) => check(parseYaml, apply(seed, edits), file)),
        { numRuns: 150, seed: 2026 },
      );
    });
    test(`every truncation of ${file}`, () => {
      for (let at = 0; at <= seed.length; at++) check(parseYaml, seed.slice(0, at), file);
    });
  }
});
