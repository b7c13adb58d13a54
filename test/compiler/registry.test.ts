// The checker's registry: one rule per code, in code order, each documented.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RULES } from '../../compiler/rules/index.ts';
import { pipelinesDir } from './helpers.ts';

test('checker rules are registered once each, in code order, and listed in docs/language.md', () => {
  const codes = RULES.map((r) => r.code);
  assert.ok(codes.length >= 20, `${codes.length} rules`);
  codes.forEach((c, i) => {
    assert.match(c, /^DADF40\d\d$/);
    if (i > 0) assert.ok(c > codes[i - 1], `${c} after ${codes[i - 1]}`);
  });
  const docs = readFileSync(join(pipelinesDir, '..', 'docs/language.md'), 'utf8');
  const undocumented = RULES.filter((r) => !new RegExp(`\\| ${r.code}( \\(warning\\))? \\|`).test(docs)).map((r) => `${r.code} (${r.title})`);
  assert.deepEqual(undocumented, []);
  for (const r of RULES) assert.equal(docs.includes(`| ${r.code} (warning) |`), r.severity === 'warning', `${r.code} severity in the docs`);
});
