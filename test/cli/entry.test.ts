// bin/dadfc.js runs the compiled bundle only while no source folder is newer than it: the
// folders it watches must be exactly the ones the build compiles, or edits there would run stale.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../compiler/helpers.ts';

test('the entry watches every folder the build compiles', () => {
  const entry = readFileSync(join(repoRoot, 'bin/dadfc.js'), 'utf8');
  const watched = JSON.parse(entry.match(/const SOURCES = (\[[^\]]*\]);/)![1].replace(/'/g, '"')) as string[];
  const build = readFileSync(join(repoRoot, 'tsconfig.build.json'), 'utf8').replace(/^\s*\/\/.*$/gm, '');
  const compiled = JSON.parse(build).include as string[];
  assert.deepEqual([...watched].sort(), [...compiled].sort());
});
