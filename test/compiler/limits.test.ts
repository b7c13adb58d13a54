// Resource limits of the front end and the checker (docs/limits.md): each hostile input is
// generated here, refused with one diagnostic that names the limit, in bounded time and memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileFile, memoryDiagnostic, PipelineSpec } from '../../compiler/index.ts';
import { grammarCodes, MAX_DIAGNOSTICS_PER_FILE, MAX_PIPELINE_CHARS, MAX_YAML_VALUES } from '../../grammar/index.ts';
import { isUserError } from '../../common/errors.ts';
import { assertFitsInMemory } from '../../runtime/train/memory.ts';
import { BASE, compileTexts, errorsOf, tempDir } from './helpers.ts';
import { aliasBomb } from './hostile.ts';

test('a YAML alias bomb is refused after a bounded number of values', () => {
  const text = aliasBomb();
  assert.ok(text.length < 700, `the bomb is small (${text.length} bytes)`);
  const heapBefore = process.memoryUsage().heapUsed;
  const started = performance.now();
  const result = compileTexts({ 'bomb.yaml': text });
  const seconds = (performance.now() - started) / 1000;
  const grownMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
  const bomb = errorsOf(result.diagnostics).find((d) => d.code === grammarCodes.yamlExpansion);
  assert.ok(bomb, `DADF1009 reported: ${result.diagnostics.map((d) => d.code).join(', ')}`);
  assert.match(bomb.message, new RegExp(`more than ${MAX_YAML_VALUES} values`));
  // Without the limit this expands 9^10 values: minutes and gigabytes.
  assert.ok(seconds < 10, `refused in ${seconds.toFixed(1)} s`);
  assert.ok(grownMiB < 200, `heap grew ${grownMiB.toFixed(0)} MiB`);
});

test('5 MB of random bytes: one diagnostic naming the size limit, no exception', () => {
  const dir = tempDir();
  const file = join(dir, 'random.dadf');
  writeFileSync(file, randomBytes(5 * 1024 * 1024));
  const [result] = compileFile(file);
  assert.equal(result.diagnostics.length, 1);
  assert.equal(result.diagnostics[0].code, grammarCodes.tooLarge);
  assert.match(result.diagnostics[0].message, new RegExp(MAX_PIPELINE_CHARS.toLocaleString('en-US')));
});

test('random bytes under the size limit: the diagnostics are capped, with a count of the rest', () => {
  const dir = tempDir();
  const file = join(dir, 'random.dadf');
  // Characters no token starts with, apart: under the size limit, one lexing error each.
  const noise = Array.from(randomBytes(100_000), (b) => '$%^~|?@`'[b % 8]).join(' ');
  writeFileSync(file, noise);
  const [result] = compileFile(file);
  assert.equal(result.diagnostics.length, MAX_DIAGNOSTICS_PER_FILE + 1);
  const last = result.diagnostics.find((d) => d.code === grammarCodes.tooManyDiagnostics);
  assert.ok(last, 'the last diagnostic counts the ones left out');
  assert.match(last.message, /^\d+ more problems/);
});

for (const [key, value, limit] of [
  ['flow.steps', '1000000000', '64'],
  ['flow.steps', '100000', '64'],
  ['input.size', '1e9', '4096'],
  ['train.batch', '100000', '4096'],
  ['transformer.depth', '1000', '64'],
] as const) {
  test(`--set ${key}=${value} is refused with the value and the limit`, () => {
    const result = compileTexts({ 'p.dadf': BASE }, [`${key}=${value}`]);
    const error = errorsOf(result.diagnostics).find((d) => d.code === 'DADF3004');
    assert.ok(error, `a range error: ${result.diagnostics.map((d) => d.message).join('; ')}`);
    assert.ok(error.message.includes(key) && error.message.includes(String(Number(value))) && error.message.includes(`<= ${limit}`), error.message);
    assert.equal(result.plan, undefined, 'no plan is built past a limit');
  });
}

test('every number in the pipeline schema has an upper bound', () => {
  const unbounded: string[] = [];
  const walk = (node: unknown, path: string) => {
    if (node === null || typeof node !== 'object') return;
    const n = node as Record<string, unknown>;
    if ((n.type === 'integer' || n.type === 'number') && n.maximum === undefined && n.exclusiveMaximum === undefined) unbounded.push(path);
    if (n.type === 'array' && n.maxItems === undefined && path !== '' && !path.endsWith('betas')) unbounded.push(`${path}[] (items)`);
    for (const [k, v] of Object.entries(n)) if (typeof v === 'object') walk(v, k === 'properties' || k === 'anyOf' || k === 'items' ? path : `${path}.${k}`);
  };
  walk(PipelineSpec, '');
  assert.deepEqual(unbounded, []);
});

test('a file of many pipelines is read and parsed once, not once per pipeline', () => {
  const dir = tempDir();
  const file = join(dir, 'many.dadf');
  const many = Array.from({ length: 40 }, (_, i) => BASE.replace('pipeline base', `pipeline p${i}`)).join('\n');
  writeFileSync(file, many);
  let reads = 0;
  const results = compileFile(file, { readFile: (p) => (reads++, readFileSync(p, 'utf8')) });
  assert.equal(results.length, 40);
  assert.ok(
    results.every((r) => r.spec),
    'all compile',
  );
  assert.equal(reads, 1);
});

test("a plan larger than this machine's memory gets a warning with the numbers; training refuses it", () => {
  const result = compileTexts({ 'p.dadf': BASE });
  assert.ok(result.plan && result.spec);
  const warning = memoryDiagnostic(
    result.plan,
    result.diagnostics[0]?.range ?? { file: 'p', start: { offset: 0, line: 1, column: 1 }, end: { offset: 0, line: 1, column: 1 } },
    1024,
  );
  assert.ok(warning);
  assert.equal(warning.severity, 'warning');
  assert.match(warning.message, /needs at least [\d.]+ GiB .*parameters.*batch of 4.*this machine has 0\.00 GiB/);
  assert.throws(
    () => assertFitsInMemory(result.spec!, 1024),
    (e: unknown) => isUserError(e) && /not enough memory to train this pipeline: it needs at least/.test(e.message) && /free now/.test(e.message),
  );
  assert.doesNotThrow(() => assertFitsInMemory(result.spec!, 2 ** 40));
});
