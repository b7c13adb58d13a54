// The one top-level error path: user errors as one message; internal errors as one line with a
// hint to report them, the stack only with DADF_DEBUG=1, never Node's dump of the source line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, tempDir } from '../compiler/helpers.ts';
import { aliasBomb } from '../compiler/hostile.ts';

const fault = join(repoRoot, 'test/cli/fixtures/throw-after-start.mjs');

function dadfc(args: string[], env: Record<string, string> = {}, preload?: string) {
  const r = spawnSync(process.execPath, [...(preload ? ['--import', preload] : []), join(repoRoot, 'bin/dadfc.js'), ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', DADF_DEBUG: '', ...env },
    input: '',
    timeout: 60_000,
  });
  return { code: r.status, err: r.stderr, out: r.stdout };
}

const noStack = (s: string) => assert.doesNotMatch(s, /\n\s+at .*:\d+:\d+/, 'no stack trace');

for (const how of ['throw', 'reject']) {
  test(`an uncaught ${how} after start: one line, a report hint, exit 3`, () => {
    const r = dadfc(['lsp'], { DADF_TEST_FAULT: how }, fault);
    assert.equal(r.code, 3, r.err);
    assert.match(r.err, /^internal error: Error: boom x+…\n/);
    assert.match(r.err, /this is a bug in dadfc: please open an issue .* DADF_DEBUG=1/);
    noStack(r.err);
    assert.ok(r.err.length < 800, `short (${r.err.length} characters)`);
  });
}

test('DADF_DEBUG=1 adds the stack trace, each frame cut short', () => {
  const r = dadfc(['lsp'], { DADF_TEST_FAULT: 'throw', DADF_DEBUG: '1' }, fault);
  assert.equal(r.code, 3);
  assert.match(r.err, /\n\s+at .*throw-after-start\.mjs:\d+:\d+/);
  assert.ok(
    r.err.split('\n').every((l) => l.length <= 400),
    'no line longer than the cut',
  );
});

test('check on 5 MB of random bytes: one message, exit 1, no stack', () => {
  const file = join(tempDir(), 'random.dadf');
  writeFileSync(file, randomBytes(5 * 1024 * 1024));
  const r = dadfc(['check', file]);
  assert.equal(r.code, 1);
  assert.match(r.err, /error DADF1007: this file has [\d,]+ characters; pipeline files are read up to 1,048,576/);
  noStack(r.err);
});

test('check on a YAML alias bomb ends with one message', () => {
  const file = join(tempDir(), 'bomb.yaml');
  writeFileSync(file, aliasBomb());
  const r = dadfc(['check', file]);
  assert.equal(r.code, 1);
  assert.match(r.err, /error DADF1009: this YAML document expands to more than/);
  noStack(r.err);
});
