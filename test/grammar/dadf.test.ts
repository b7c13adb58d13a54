import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Block, Property, Value } from '../../grammar/ast.ts';
import { isUserError } from '../../common/errors.ts';
import { formatDiagnostic, parseDadf, parseDadfValue, parseFile, parseText } from '../../grammar/index.ts';
import { assertAllRangesInside, pipelineFiles, readRepoFile } from './helpers.ts';

function only<T>(items: T[]): T {
  assert.equal(items.length, 1);
  return items[0];
}

function property(body: Array<Property | Block>, key: string): Property {
  const found = body.find((e): e is Property => e.kind === 'property' && e.key.join('.') === key);
  assert.ok(found, `no property ${key}`);
  return found;
}

function block(body: Array<Property | Block>, keyword: string, label?: string): Block {
  const found = body.find((e): e is Block => e.kind === 'block' && e.keyword === keyword && e.label?.value === label);
  assert.ok(found, `no block ${keyword} ${label ?? ''}`);
  return found;
}

/** The value of `key: value` in a one-pipeline, one-property file. */
function parsedValue(source: string): Value {
  const { ast, diagnostics } = parseDadf(`pipeline p { v: ${source} }`, 'v.dadf');
  assert.deepEqual(diagnostics, []);
  return property(only(ast.pipelines).body, 'v').value;
}

describe('pipelines/ parse cleanly', () => {
  const files = pipelineFiles();
  test('there are pipelines to parse', () => assert.ok(files.some((f) => f.endsWith('.dadf'))));
  for (const file of files) {
    test(file, () => {
      const { ast, diagnostics } = parseText(readRepoFile(file), file);
      assert.deepEqual(diagnostics, []);
      assert.ok(ast.pipelines.length >= 1);
      assertAllRangesInside(ast, diagnostics);
    });
  }

  test('dadf.dadf has the blocks and values of the paper pipeline', () => {
    const { ast } = parseFile('pipelines/dadf.dadf');
    const p = only(ast.pipelines);
    assert.equal(p.name, 'dadf');
    assert.deepEqual(
      p.body.map((e) => (e.kind === 'block' ? e.keyword : e.key.join('.'))),
      ['input', 'backbone', 'embed', 'transformer', 'flow', 'score', 'train'],
    );
    const backbone = block(p.body, 'backbone', 'wide_resnet50_2');
    const weights = property(backbone.body, 'weights').value;
    assert.equal(weights.kind, 'call');
    assert.equal(weights.kind === 'call' && weights.name, 'env');
    assert.equal(weights.kind === 'call' && weights.args[0].kind, 'string');
    const train = block(p.body, 'train');
    const optimizer = property(train.body, 'optimizer').value;
    assert.ok(optimizer.kind === 'call');
    assert.deepEqual(
      optimizer.named.map((n) => n.key[0]),
      ['lr', 'betas', 'weight_decay'],
    );
    assert.deepEqual(optimizer.named[0].value, { ...optimizer.named[0].value, kind: 'number', value: 1e-4 });
    assert.equal(block(train.body, 'stage', 'flow').body.length, 3);
    const memory = block(block(p.body, 'transformer').body, 'memory');
    assert.equal((property(memory.body, 'tokens').value as { value: number }).value, 256);
  });

  test('an ablation extends its parent by file path and overrides a dotted key', () => {
    const { ast } = parseFile('pipelines/ablations/phi-ps.dadf');
    const p = only(ast.pipelines);
    assert.deepEqual(
      p.extends.map((e) => e.value),
      ['../dadf.dadf'],
    );
    const over = property(p.body, 'flow.over');
    assert.deepEqual(over.key, ['flow', 'over']);
    assert.deepEqual(over.value.kind === 'list' && over.value.items.map((i) => (i.kind === 'ident' ? i.value : '?')), ['prior', 'self']);
  });
});

describe('source ranges', () => {
  const text = [
    'pipeline small extends base, "../other.dadf" {', // line 1
    '  input { size: 64 }', // line 2
    '  flow.over: [prior, "self"]', // line 3
    '  backbone mobilenet_v1 { taps: [a, b] }', // line 4
    '}',
  ].join('\n');
  const { ast, diagnostics } = parseDadf(text, 'small.dadf');
  const p = only(ast.pipelines);

  test('parses without diagnostics', () => assert.deepEqual(diagnostics, []));

  test('pipeline name, extends and whole-pipeline range', () => {
    assert.deepEqual(p.nameRange, { file: 'small.dadf', start: { offset: 9, line: 1, column: 10 }, end: { offset: 14, line: 1, column: 15 } });
    assert.deepEqual(
      p.extends.map((e) => [e.value, e.range.start.column, e.range.end.column]),
      [
        ['base', 24, 28],
        ['../other.dadf', 30, 45],
      ],
    );
    assert.deepEqual(p.range.start, { offset: 0, line: 1, column: 1 });
    assert.deepEqual(p.range.end, { offset: text.length, line: 5, column: 2 });
  });

  test('a dotted key, its list value and a string item', () => {
    const over = property(p.body, 'flow.over');
    assert.deepEqual([over.keyRange.start.line, over.keyRange.start.column, over.keyRange.end.column], [3, 3, 12]);
    assert.equal(text.slice(over.keyRange.start.offset, over.keyRange.end.offset), 'flow.over');
    assert.equal(text.slice(over.value.range.start.offset, over.value.range.end.offset), '[prior, "self"]');
    assert.deepEqual([over.value.range.start.column, over.value.range.end.column], [14, 29]);
    assert.ok(over.value.kind === 'list');
    const self = over.value.items[1];
    assert.deepEqual(self.kind === 'string' && [self.value, self.range.start.line, self.range.start.column, self.range.end.column], ['self', 3, 22, 28]);
    assert.equal(text.slice(over.range.start.offset, over.range.end.offset), 'flow.over: [prior, "self"]');
  });

  test('a block label and a nested list item', () => {
    const backbone = block(p.body, 'backbone', 'mobilenet_v1');
    assert.deepEqual([backbone.keywordRange.start.line, backbone.keywordRange.start.column], [4, 3]);
    assert.deepEqual([backbone.label!.range.start.line, backbone.label!.range.start.column, backbone.label!.range.end.column], [4, 12, 24]);
    assert.equal(text.slice(backbone.range.start.offset, backbone.range.end.offset), 'backbone mobilenet_v1 { taps: [a, b] }');
    const taps = property(backbone.body, 'taps').value;
    assert.ok(taps.kind === 'list');
    assert.deepEqual([taps.items[1].range.start.line, taps.items[1].range.start.column, taps.items[1].range.end.column], [4, 37, 38]);
  });

  test('ranges of a file with CRLF line breaks count lines the same way', () => {
    const crlf = parseDadf(text.replace(/\n/g, '\r\n'), 'crlf.dadf');
    assert.deepEqual(crlf.diagnostics, []);
    const taps = property(block(only(crlf.ast.pipelines).body, 'backbone', 'mobilenet_v1').body, 'taps');
    assert.deepEqual([taps.keyRange.start.line, taps.keyRange.start.column], [4, 27]);
    assertAllRangesInside(crlf.ast, crlf.diagnostics);
  });
});

describe('lexer', () => {
  test('numbers: integers, decimals, signs and exponents', () => {
    const v = parsedValue('[1, 2.0, -3, +4, 1e-4, 2.5E+3, -0.5e2, .5]');
    assert.ok(v.kind === 'list');
    assert.deepEqual(
      v.items.map((i) => i.kind === 'number' && i.value),
      [1, 2, -3, 4, 1e-4, 2500, -50, 0.5],
    );
  });

  test('strings: both quotes and escapes', () => {
    const v = parsedValue(String.raw`["a\"b", 'it\'s', "tab\there", "nl\n", "back\\slash", "\u00e9\u{1F600}", 'say "hi"', "\q"]`);
    assert.ok(v.kind === 'list');
    assert.deepEqual(
      v.items.map((i) => i.kind === 'string' && i.value),
      ['a"b', "it's", 'tab\there', 'nl\n', 'back\\slash', 'é😀', 'say "hi"', 'q'],
    );
  });

  test('keywords true/false/null versus names that start with them', () => {
    const v = parsedValue('[true, false, null, trueish, nullable, pipeline_x]');
    assert.ok(v.kind === 'list');
    assert.deepEqual(
      v.items.map((i) => i.kind),
      ['boolean', 'boolean', 'null', 'ident', 'ident', 'ident'],
    );
  });

  test('comments of all three kinds, and newlines, are insignificant', () => {
    const text = [
      '# hash comment',
      'pipeline c { // line comment',
      '  a: 1 /* block',
      '  comment */ b: [ 2, # inside a list',
      '  3 ]',
      '  /* c: 4 */',
      '}',
    ].join('\n');
    const { ast, diagnostics } = parseDadf(text, 'c.dadf');
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(
      only(ast.pipelines).body.map((e) => (e as Property).key[0]),
      ['a', 'b'],
    );
  });

  test('commas between entries are optional, also after blocks', () => {
    const { ast, diagnostics } = parseDadf('pipeline x { a: 1, b: 2 c: 3, t { d: 4 }, s x { }, }', 'x.dadf');
    assert.deepEqual(diagnostics, []);
    assert.equal(only(ast.pipelines).body.length, 5);
  });

  test('several pipelines in one file, and extends by name', () => {
    const { ast, diagnostics } = parseDadf('pipeline a { }\npipeline b extends a { x: 1 }', 'two.dadf');
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(
      ast.pipelines.map((p) => [p.name, p.extends.map((e) => e.value)]),
      [
        ['a', []],
        ['b', ['a']],
      ],
    );
  });

  test('calls with positional, named and no arguments; inline objects', () => {
    const v = parsedValue('[f(), g(1, "two", k: [3]), h(x: { y: 1, z.w: 2 },)]');
    assert.ok(v.kind === 'list');
    const [f, g, h] = v.items;
    assert.ok(f.kind === 'call' && g.kind === 'call' && h.kind === 'call');
    assert.deepEqual([f.args.length, f.named.length, g.args.length, g.named.length], [0, 0, 2, 1]);
    const x = h.named[0].value;
    assert.ok(x.kind === 'object');
    assert.deepEqual(
      x.entries.map((e) => e.key),
      [['y'], ['z', 'w']],
    );
  });
});

describe('diagnostics and recovery', () => {
  test('three syntax errors in one file give three diagnostics on the right lines', () => {
    const text = [
      'pipeline broken {', // 1
      '  input { size 64 }', // 2: missing ':'
      '  embed { patch: [4, 2, 1], dim: 8 }', // 3
      '  flow { steps: 2 8 clamp: 2.0 }', // 4: stray value
      '  score { image: }', // 5: missing value
      '  train { batch: 4 }', // 6
      '}',
    ].join('\n');
    const { ast, diagnostics } = parseDadf(text, 'broken.dadf');
    assert.deepEqual(
      diagnostics.map((d) => [d.code, d.range.start.line, d.range.start.column]),
      [
        ['DADF1001', 2, 16],
        ['DADF1001', 4, 19],
        ['DADF1001', 5, 18],
      ],
    );
    assert.match(diagnostics[0].message, /expected ':' after key 'size', found '64'/);
    assert.match(diagnostics[1].message, /unexpected '8'/);
    assert.match(diagnostics[2].message, /expected a value after 'image:', found '}'/);
    // Recovery keeps the rest of the file: every block is in the AST, and `size 64` was repaired.
    const body = only(ast.pipelines).body;
    assert.deepEqual(
      body.map((e) => (e as Block).keyword),
      ['input', 'embed', 'flow', 'score', 'train'],
    );
    assert.deepEqual((property(block(body, 'input').body, 'size').value as { value: number }).value, 64);
    assert.deepEqual(
      block(body, 'flow').body.map((e) => (e as Property).key[0]),
      ['steps', 'clamp'],
    );
    assertAllRangesInside(ast, diagnostics);
  });

  test('errors in different pipelines of one file are all reported', () => {
    const text = 'pipeline a { x: }\npipeline b { y: [1 2] }\npipeline c { z 3 }\n';
    const { ast, diagnostics } = parseDadf(text, 'multi.dadf');
    assert.deepEqual(
      diagnostics.map((d) => d.range.start.line),
      [1, 2, 3],
    );
    assert.deepEqual(
      ast.pipelines.map((p) => p.name),
      ['a', 'b', 'c'],
    );
  });

  test('a value that does not parse is reported where it is', () => {
    const { diagnostics } = parseDadf('pipeline v { a: ) }', 'v.dadf');
    assert.deepEqual(
      diagnostics.map((d) => [d.code, d.range.start.column]),
      [['DADF1001', 17]],
    );
    assert.match(diagnostics[0].message, /expected a value after 'a:', found '\)'/);
  });

  test('a missing value before the next key is one diagnostic at the key, not a cascade', () => {
    const text = 'pipeline v {\n  batch:\n  seed: 0\n}';
    const { ast, diagnostics } = parseDadf(text, 'v.dadf');
    assert.deepEqual(
      diagnostics.map((d) => [d.code, d.range.start.line, d.range.start.column]),
      [['DADF1001', 2, 8]],
    );
    assert.match(diagnostics[0].message, /missing value after 'batch:' \(found the key 'seed' on the next line\)/);
    assert.deepEqual(
      only(ast.pipelines).body.map((e) => (e as Property).key[0]),
      ['seed'],
    );
  });

  test('a missing comma in a list or a call is one diagnostic and the items are kept', () => {
    const { ast, diagnostics } = parseDadf('pipeline l {\n  taps: [a b, c]\n  f: g(1 2)\n  next: 1\n}', 'l.dadf');
    assert.deepEqual(
      diagnostics.map((d) => [d.code, d.range.start.line, d.range.start.column]),
      [
        ['DADF1001', 2, 12],
        ['DADF1001', 3, 10],
      ],
    );
    assert.match(diagnostics[0].message, /expected ',' between list items/);
    const body = only(ast.pipelines).body;
    const taps = property(body, 'taps').value;
    assert.deepEqual(taps.kind === 'list' && taps.items.map((i) => (i.kind === 'ident' ? i.value : '?')), ['a', 'b', 'c']);
    const f = property(body, 'f').value;
    assert.equal(f.kind === 'call' && f.args.length, 2);
    assert.ok(property(body, 'next'));
  });

  test("a dashed name is one diagnostic that suggests '_'", () => {
    const { ast, diagnostics } = parseDadf('pipeline d { mlp-ratio: 2 }', 'd.dadf');
    assert.deepEqual(
      diagnostics.map((d) => [d.code, d.range.start.column, d.range.end.column]),
      [['DADF1001', 14, 23]],
    );
    assert.equal(diagnostics[0].hint, "did you mean 'mlp_ratio'?");
    assert.deepEqual(property(only(ast.pipelines).body, 'mlp-ratio').key, ['mlp-ratio']);
  });

  test("'{' forgotten after a block keyword says so", () => {
    const { diagnostics } = parseDadf('pipeline b {\n  score source: flow }\n}', 'b.dadf');
    assert.match(diagnostics[0].message, /expected ':' \(or '\{' to open a block\) after key 'score', found 'source'/);
    assert.equal(diagnostics[0].range.start.line, 2);
  });

  test('unterminated string: DADF1002, and parsing goes on', () => {
    const { ast, diagnostics } = parseDadf('pipeline s {\n  a: "open\n  b: 2\n}', 's.dadf');
    assert.deepEqual(
      diagnostics.map((d) => [d.code, d.range.start.line, d.range.start.column]),
      [['DADF1002', 2, 6]],
    );
    assert.deepEqual(
      only(ast.pipelines).body.map((e) => (e as Property).key[0]),
      ['a', 'b'],
    );
  });

  test('unknown character: DADF1003', () => {
    const { diagnostics } = parseDadf('pipeline u {\n  a: 1 @ b: 2\n}', 'u.dadf');
    assert.deepEqual(
      diagnostics.map((d) => [d.code, d.range.start.line, d.range.start.column]),
      [['DADF1003', 2, 8]],
    );
    assert.match(diagnostics[0].message, /unknown character "@"/);
  });

  test("'=' for ':' is one diagnostic, not a cascade", () => {
    const { ast, diagnostics } = parseDadf('pipeline e { steps = 8 }', 'e.dadf');
    assert.deepEqual(
      diagnostics.map((d) => [d.code, d.range.start.column]),
      [['DADF1001', 20]],
    );
    assert.equal((property(only(ast.pipelines).body, 'steps').value as { value: number }).value, 8);
  });

  test('missing closing brace: DADF1004 at the unclosed block', () => {
    const text = 'pipeline m {\n  train {\n    batch: 4\n';
    const { ast, diagnostics } = parseDadf(text, 'm.dadf');
    assert.deepEqual(
      diagnostics.map((d) => [d.code, d.range.start.line, d.range.start.column]),
      [['DADF1004', 2, 9]],
    );
    assert.match(diagnostics[0].message, /block 'train' is never closed/);
    // The partial pipeline is kept.
    assert.equal(property(block(only(ast.pipelines).body, 'train').body, 'batch').key[0], 'batch');
  });

  test('a missing } in the middle is blamed on the block whose indentation it breaks', () => {
    const text = readRepoFile('pipelines/dadf.dadf').replace('query: memory }\n  }', 'query: memory }\n');
    const { diagnostics } = parseDadf(text, 'dadf.dadf');
    assert.equal(diagnostics.length, 1);
    const [d] = diagnostics;
    assert.equal(d.code, 'DADF1004');
    assert.match(d.message, /block 'transformer' is never closed/);
    assert.equal(text.split('\n')[d.range.start.line - 1].trim(), 'transformer {');
  });

  test('a file that stops after the pipeline name: DADF1004 at the end', () => {
    const { diagnostics } = parseDadf('pipeline m', 'm.dadf');
    assert.deepEqual(
      diagnostics.map((d) => [d.code, d.range.start.offset]),
      [['DADF1004', 10]],
    );
  });

  test('unterminated block comment: DADF1004', () => {
    const { diagnostics } = parseDadf('pipeline k { }\n/* never closed', 'k.dadf');
    assert.deepEqual(
      diagnostics.map((d) => [d.code, d.range.start.line]),
      [['DADF1004', 2]],
    );
  });

  test('junk between pipelines is reported and skipped', () => {
    const { ast, diagnostics } = parseDadf('pipeline a { }\n}\npipeline b { }', 'j.dadf');
    assert.deepEqual(
      diagnostics.map((d) => [d.code, d.range.start.line]),
      [['DADF1001', 2]],
    );
    assert.deepEqual(
      ast.pipelines.map((p) => p.name),
      ['a', 'b'],
    );
  });

  test('empty and comment-only files have no pipelines and no diagnostics', () => {
    assert.deepEqual(parseDadf('', 'e.dadf'), { ast: { file: 'e.dadf', text: '', format: 'dadf', pipelines: [] }, diagnostics: [] });
    assert.deepEqual(parseDadf('# nothing\n', 'e.dadf').diagnostics, []);
  });
});

describe('formatDiagnostic', () => {
  test('tsc-style header, code frame with underline, hint', () => {
    const text = 'pipeline f {\n  input { size 64 }\n}\n';
    const [d] = parseDadf(text, 'f.dadf').diagnostics;
    const out = formatDiagnostic({ ...d, hint: 'write key: value' }, text);
    assert.equal(
      out,
      [
        "f.dadf:2:16 - error DADF1001: expected ':' after key 'size', found '64'",
        '',
        '2   input { size 64 }',
        '                 ~~',
        'hint: write key: value',
        '',
      ].join('\n'),
    );
  });

  test('colour adds ANSI codes only when asked', () => {
    const text = 'pipeline f { a 1 }';
    const [d] = parseDadf(text, 'f.dadf').diagnostics;
    assert.doesNotMatch(formatDiagnostic(d, text), /\u001b\[/);
    assert.match(formatDiagnostic(d, text, { color: true }), /\u001b\[31merror\u001b\[0m/);
  });

  test('tabs before the range keep the underline aligned; a multi-line range underlines each line', () => {
    const text = 'pipeline t {\n\tx 1\n}\n';
    const [d] = parseDadf(text, 't.dadf').diagnostics;
    assert.match(formatDiagnostic(d, text), /\n2 \tx 1\n  \t  ~\n/);
    const multi = formatDiagnostic(
      { ...d, range: { file: 't.dadf', start: { offset: 9, line: 1, column: 10 }, end: { offset: 15, line: 2, column: 3 } } },
      text,
    );
    assert.match(multi, /\n1 pipeline t \{\n           ~~~\n2 \tx 1\n  ~~\n/);
  });

  test('a zero-width range at the end of the file still gets one ~', () => {
    const text = 'pipeline m';
    const [d] = parseDadf(text, 'm.dadf').diagnostics;
    assert.match(formatDiagnostic(d, text), /\n1 pipeline m\n            ~\n/);
  });
});

describe('parseDadfValue (for --set key=value)', () => {
  test('reads lists, numbers, calls and strings as files do', () => {
    assert.deepEqual(parseDadfValue('[prior]').value?.kind, 'list');
    assert.deepEqual((parseDadfValue('1e-3').value as { value: number }).value, 1e-3);
    assert.deepEqual(parseDadfValue('adamw(lr: 1e-3)').value?.kind, 'call');
    assert.deepEqual(parseDadfValue('true').value?.kind, 'boolean');
    assert.deepEqual(parseDadfValue('"a b"').value, {
      kind: 'string',
      value: 'a b',
      range: { file: '<value>', start: { offset: 0, line: 1, column: 1 }, end: { offset: 5, line: 1, column: 6 } },
    });
  });

  test('trailing junk and bad input are diagnostics', () => {
    assert.equal(parseDadfValue('[1, 2').diagnostics[0].code, 'DADF1004');
    assert.equal(parseDadfValue('1 2').diagnostics[0].code, 'DADF1001');
    assert.equal(parseDadfValue('').diagnostics[0].code, 'DADF1004');
  });
});

describe('parseFile', () => {
  test('a missing file is a UserError naming the path', () => {
    assert.throws(
      () => parseFile('pipelines/does-not-exist.dadf'),
      (e: unknown) => isUserError(e) && e.where === 'pipelines/does-not-exist.dadf' && /no such file/.test(e.message),
    );
  });

  test('a directory is a UserError', () => {
    assert.throws(
      () => parseFile('pipelines'),
      (e: unknown) => isUserError(e) && /directory/.test(e.message),
    );
  });
});

// Parse speed is measured by bench/compiler.ts (wall times are not asserted in tests).
