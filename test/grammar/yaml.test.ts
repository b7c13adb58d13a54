import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Property, Value } from '../../grammar/ast.ts';
import { formatDiagnostic, parseDadf, parseText, parseYaml } from '../../grammar/index.ts';
import { assertAllRangesInside, plain } from './helpers.ts';

const dadfTwin = `pipeline small extends "base.dadf" {
  input { size: 64, normalize: backbone }
  flow.over: [prior, self]
  train { optimizer: { name: adamw, lr: 1e-3 }, seed: 0, ok: true, none: null, stages: [{ name: flow, epochs: 3 }] }
}
`;

const yamlTwin = `# yaml-language-server: $schema=../schema.json
pipeline: small
extends: base.dadf
input: { size: 64, normalize: backbone }
flow.over: [prior, self]
train:
  optimizer: { name: adamw, lr: 1e-3 }
  seed: 0
  ok: true
  none: null
  stages:
    - name: flow
      epochs: 3
`;

function top(key: string, body: Property[]): Property {
  const p = body.find((e) => e.key.join('.') === key);
  assert.ok(p, `no ${key}`);
  return p;
}

function entry(v: Value, key: string): Property {
  assert.ok(v.kind === 'object', `${v.kind} is not an object`);
  const p = v.entries.find((e) => e.key.join('.') === key);
  assert.ok(p, `no ${key}`);
  return p;
}

describe('YAML front end', () => {
  const { ast, diagnostics } = parseYaml(yamlTwin, 'small.yaml');

  test('the twin parses cleanly, modeline included', () => {
    assert.deepEqual(diagnostics, []);
    assert.equal(ast.format, 'yaml');
    assertAllRangesInside(ast, diagnostics);
  });

  test('has the same shape as its .dadf twin', () => {
    const fromDadf = parseDadf(dadfTwin, 'small.dadf');
    assert.deepEqual(fromDadf.diagnostics, []);
    assert.deepEqual(plain(ast), plain(fromDadf.ast));
  });

  test('scalars keep their YAML types', () => {
    const p = ast.pipelines[0];
    const train = top('train', p.body as Property[]).value;
    assert.deepEqual(entry(entry(train, 'optimizer').value, 'lr').value.kind, 'number');
    assert.deepEqual(entry(train, 'ok').value.kind, 'boolean');
    assert.deepEqual(entry(train, 'none').value.kind, 'null');
    assert.deepEqual(entry(entry(train, 'optimizer').value, 'name').value.kind, 'string');
  });

  test('name, extends, dotted keys and nested items carry exact ranges', () => {
    const p = ast.pipelines[0];
    assert.equal(p.name, 'small');
    assert.deepEqual([p.nameRange.start.line, p.nameRange.start.column, p.nameRange.end.column], [2, 11, 16]);
    assert.deepEqual(
      p.extends.map((e) => [e.value, e.range.start.line, e.range.start.column]),
      [['base.dadf', 3, 10]],
    );
    const over = top('flow.over', p.body as Property[]);
    assert.deepEqual(over.key, ['flow', 'over']);
    assert.deepEqual([over.keyRange.start.line, over.keyRange.start.column, over.keyRange.end.column], [5, 1, 10]);
    assert.equal(yamlTwin.slice(over.value.range.start.offset, over.value.range.end.offset), '[prior, self]');
    const stages = entry(top('train', p.body as Property[]).value, 'stages').value;
    assert.ok(stages.kind === 'list');
    const epochs = entry(stages.items[0], 'epochs');
    assert.deepEqual([epochs.keyRange.start.line, epochs.keyRange.start.column, epochs.value.range.start.column], [13, 7, 15]);
  });

  test('an empty value is null, placed right after its key', () => {
    const r = parseYaml('pipeline: e\ninput:\n', 'e.yaml');
    assert.deepEqual(r.diagnostics, []);
    const input = top('input', r.ast.pipelines[0].body as Property[]);
    assert.equal(input.value.kind, 'null');
    assert.ok(input.value.range.start.offset >= input.keyRange.end.offset);
  });

  test('extends as a list; several documents are several pipelines', () => {
    const r = parseYaml('pipeline: a\nextends: [x.yaml, y]\n---\npipeline: b\n', 'two.yaml');
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(
      r.ast.pipelines.map((p) => [p.name, p.extends.map((e) => e.value)]),
      [
        ['a', ['x.yaml', 'y']],
        ['b', []],
      ],
    );
  });

  test('aliases are expanded', () => {
    const r = parseYaml('pipeline: a\nbase: &b { size: 64 }\ninput: *b\n', 'alias.yaml');
    assert.deepEqual(r.diagnostics, []);
    const input = top('input', r.ast.pipelines[0].body as Property[]);
    assert.equal(entry(input.value, 'size').value.kind, 'number');
    assert.equal(input.value.range.start.line, 3);
  });

  test('parseText picks YAML by extension', () => {
    assert.equal(parseText(yamlTwin, 'x.yml').ast.format, 'yaml');
    assert.equal(parseText(dadfTwin, 'x.dadf').ast.format, 'dadf');
  });
});

describe('YAML diagnostics', () => {
  test('a syntax error is DADF1005 at its place, with yaml’s own code frame removed', () => {
    const text = 'pipeline: a\ninput: { size: 64\nflow: {}\n';
    const { diagnostics } = parseYaml(text, 'bad.yaml');
    assert.ok(diagnostics.length >= 1);
    assert.ok(diagnostics.every((d) => d.code === 'DADF1005'));
    assert.ok(diagnostics.every((d) => !d.message.includes('\n')));
    assertAllRangesInside(parseYaml(text, 'bad.yaml').ast, diagnostics);
    assert.match(formatDiagnostic(diagnostics[0], text), /^bad\.yaml:\d+:\d+ - error DADF1005: /);
  });

  test('a duplicate key is DADF1005 on the second key', () => {
    const { diagnostics } = parseYaml('pipeline: a\nseed: 1\nseed: 2\n', 'dup.yaml');
    assert.deepEqual(
      diagnostics.map((d) => [d.code, d.range.start.line]),
      [['DADF1005', 3]],
    );
  });

  test('a document without a pipeline name is DADF1006', () => {
    const { diagnostics } = parseYaml('input: { size: 64 }\n', 'anon.yaml');
    assert.deepEqual(
      diagnostics.map((d) => [d.code, d.range.start.line]),
      [['DADF1006', 1]],
    );
    assert.match(diagnostics[0].message, /pipeline: NAME/);
  });

  test('a top level that is not a mapping is DADF1006', () => {
    const { ast, diagnostics } = parseYaml('- a\n- b\n', 'list.yaml');
    assert.deepEqual(
      diagnostics.map((d) => d.code),
      ['DADF1006'],
    );
    assert.deepEqual(ast.pipelines, []);
  });

  test('a non-scalar key and a bad extends are DADF1006 each, at their lines', () => {
    const { diagnostics } = parseYaml('pipeline: a\nextends: { x: 1 }\n? [k]\n: 1\n', 'keys.yaml');
    assert.deepEqual(
      diagnostics.map((d) => [d.code, d.range.start.line]),
      [
        ['DADF1006', 2],
        ['DADF1006', 3],
      ],
    );
  });

  test('an empty file is no pipelines and no diagnostics', () => {
    assert.deepEqual(parseYaml('', 'e.yaml').diagnostics, []);
    assert.deepEqual(parseYaml('# only a comment\n', 'e.yaml').ast.pipelines, []);
  });
});
