// editors/vscode: its manifest points at a TextMate grammar that parses, whose patterns all
// compile as JavaScript regular expressions, and that colours a real pipeline sensibly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './client.ts';

const folder = join(repoRoot, 'editors/vscode');
const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'));
const grammarPath = join(folder, manifest.contributes.grammars[0].path);
const grammar = JSON.parse(readFileSync(grammarPath, 'utf8'));

interface Rule {
  name?: string;
  match?: string;
  begin?: string;
  end?: string;
  include?: string;
  patterns?: Rule[];
  captures?: Record<string, { name: string }>;
}

function allRules(rule: Rule, out: Rule[] = []): Rule[] {
  out.push(rule);
  for (const child of rule.patterns ?? []) allRules(child, out);
  return out;
}

/** Top-level rules with includes expanded, in order. */
function expand(rules: Rule[], seen = new Set<string>()): Rule[] {
  return rules.flatMap((r) => {
    if (!r.include) return [r];
    const name = r.include.slice(1);
    if (seen.has(name)) return [];
    const target: Rule = grammar.repository[name];
    return target.patterns && !target.match ? expand(target.patterns, new Set([...seen, name])) : [target];
  });
}

/** A one-line TextMate tokenizer, enough for the checks below: the earliest match wins, ties by order. */
function scopes(line: string): Array<[string, string]> {
  const rules = expand(grammar.patterns);
  const out: Array<[string, string]> = [];
  let at = 0;
  while (at < line.length) {
    let best: { index: number; rule: Rule; m: RegExpExecArray } | undefined;
    for (const rule of rules) {
      const re = new RegExp(rule.match ?? rule.begin!, 'g');
      re.lastIndex = at;
      const m = re.exec(line);
      if (m && m[0].length > 0 && (!best || m.index < best.index)) best = { index: m.index, rule, m };
    }
    if (!best) break;
    const { rule, m } = best;
    if (rule.begin) {
      const end = new RegExp(rule.end!, 'g');
      end.lastIndex = m.index + m[0].length;
      const e = end.exec(line);
      const stop = e ? e.index + e[0].length : line.length;
      out.push([line.slice(m.index, stop), rule.name!]);
      at = Math.max(stop, m.index + 1);
      continue;
    }
    if (rule.name) out.push([m[0], rule.name]);
    for (const [group, capture] of Object.entries(rule.captures ?? {})) if (m[Number(group)]) out.push([m[Number(group)], capture.name]);
    at = m.index + m[0].length;
  }
  return out;
}

test('the manifest declares the dadf language and a grammar that exists, outside the root build', () => {
  assert.equal(manifest.contributes.languages[0].id, 'dadf');
  assert.deepEqual(manifest.contributes.languages[0].extensions, ['.dadf']);
  assert.equal(manifest.contributes.grammars[0].language, 'dadf');
  assert.equal(manifest.contributes.grammars[0].scopeName, grammar.scopeName);
  assert.ok(existsSync(join(folder, manifest.main)));
  assert.ok(existsSync(join(folder, manifest.contributes.languages[0].configuration)));
  const root = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
  assert.ok(!JSON.stringify(root).includes('editors/vscode'), 'the extension is not part of the root package');
  assert.equal(root.dependencies['vscode-languageclient'], undefined, 'its client library stays its own dependency');
});

test('every pattern of the TextMate grammar compiles as a JavaScript RegExp', () => {
  const rules = [...allRules({ patterns: grammar.patterns }), ...Object.values(grammar.repository as Record<string, Rule>).flatMap((r) => allRules(r))];
  let count = 0;
  for (const rule of rules) {
    for (const source of [rule.match, rule.begin, rule.end]) {
      if (source === undefined) continue;
      assert.doesNotThrow(() => new RegExp(source), source);
      count++;
    }
    if (rule.include) assert.ok(rule.include === '$self' || grammar.repository[rule.include.slice(1)], rule.include);
  }
  assert.ok(count >= 15, `${count} patterns`);
});

test('a real pipeline is coloured: keywords, names, blocks, keys, numbers, calls, comments', () => {
  const lines = readFileSync(join(repoRoot, 'pipelines/dadf.dadf'), 'utf8').split('\n');
  const all = lines.flatMap(scopes);
  const scopeOf = (text: string) => all.find(([t]) => t === text)?.[1];
  assert.equal(scopeOf('pipeline'), 'keyword.other.pipeline.dadf');
  assert.equal(scopeOf('dadf'), 'entity.name.type.pipeline.dadf');
  assert.equal(scopeOf('input'), 'storage.type.block.dadf');
  assert.equal(scopeOf('wide_resnet50_2'), 'entity.name.tag.label.dadf');
  assert.equal(scopeOf('size'), 'variable.other.property.dadf');
  assert.equal(scopeOf('256'), 'constant.numeric.dadf');
  assert.equal(scopeOf('1e-4'), 'constant.numeric.dadf');
  assert.equal(scopeOf('adamw'), 'entity.name.function.call.dadf');
  assert.equal(scopeOf('prior'), 'constant.other.name.dadf');
  assert.equal(scopeOf('"DADF_WRN50_WEIGHTS"'), 'string.quoted.double.dadf');
  assert.ok(all.some(([t, s]) => s === 'comment.line.number-sign.dadf' && t.startsWith('# torchvision')));
  const child = scopes('pipeline phi_p extends "../dadf.dadf" { flow.over: [prior] } // phiP');
  assert.deepEqual(
    child.find(([t]) => t === 'extends'),
    ['extends', 'keyword.other.extends.dadf'],
  );
  assert.deepEqual(
    child.find(([t]) => t === 'flow.over'),
    ['flow.over', 'variable.other.property.dadf'],
  );
  assert.deepEqual(child.at(-1), ['// phiP', 'comment.line.double-slash.dadf']);
});
