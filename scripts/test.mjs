#!/usr/bin/env node
// Runs every test/**/*.test.ts with Node's own test runner (Node 20's --test has no globs).
// Arguments narrow the run: `npm test -- test/grammar` or a single file.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function collect(path, out) {
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path).sort()) {
      if (name === 'fixtures' || name === 'node_modules') continue;
      collect(join(path, name), out);
    }
  } else if (path.endsWith('.test.ts')) {
    out.push(path);
  }
  return out;
}

const roots = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const flags = process.argv.slice(2).filter((a) => a.startsWith('-'));
const files = (roots.length ? roots : ['test']).flatMap((r) => collect(r, []));
if (files.length === 0) {
  console.error('no test files found under ' + (roots.join(', ') || 'test'));
  process.exit(1);
}
// The CLI that tests spawn, and the dadf/runtime export a generated module imports, are the
// compiled ones (as users run them): build first (incremental, seconds when nothing changed).
const build = spawnSync(process.execPath, [join(import.meta.dirname, 'build.mjs'), '--tolerate-type-errors'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--import', './test/setup.mjs', '--test', '--test-concurrency=2', '--test-reporter=spec', ...flags, ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
