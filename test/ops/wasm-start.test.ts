// The threaded wasm backend starts every time. It used to end 1 start in 6 to 20 under load
// with exit code 13 and no output: the pthread worker script was rewritten for each of the 8
// pool workers while earlier ones were still reading it (runtime/wasm-threads.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { withFileWorkers } from '../../runtime/wasm-threads.ts';
import { repoRoot } from '../compiler/helpers.ts';

test('the worker script is written once and never rewritten while workers read it', async () => {
  const text = 'self.onmessage = () => importScripts(objectUrl);';
  const seen = await withFileWorkers(1, async () => {
    const first = URL.createObjectURL(new Blob([text]));
    const before = statSync(first, { bigint: true }).mtimeNs;
    const again = Array.from({ length: 7 }, () => URL.createObjectURL(new Blob([text])));
    return { first, before, again, after: statSync(first, { bigint: true }).mtimeNs, content: readFileSync(first, 'utf8') };
  });
  assert.ok(
    seen.again.every((p) => p === seen.first),
    'one file for one text',
  );
  assert.equal(seen.after, seen.before, 'not written again');
  assert.match(seen.content, /importScripts\(".*factory\.cjs"\)/);
});

function start(): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/ops/fixtures/start-wasm.ts')], { cwd: repoRoot });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

test('six starts of the threaded wasm backend, two at a time, all finish', async () => {
  const results = [];
  for (let round = 0; round < 3; round++) results.push(...(await Promise.all([start(), start()])));
  for (const r of results) {
    assert.equal(r.code, 0, `exit ${r.code}: ${r.err.slice(0, 300)}`);
    assert.match(r.out, /^started tfjs wasm \(.*2 threads\); matmul: .+ 32768\n$/);
  }
});
