// The static verbs as a person runs them: exit codes, tsc-style output, files written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keyReference, schemaJson } from '../../scripts/docs-content.ts';
import { BASE, repoRoot, tempDir } from '../compiler/helpers.ts';
import { cliRunner } from './helpers.ts';

const dadfc = cliRunner();

test('check: every pipeline file passes with exit 0', () => {
  const r = dadfc('check', 'pipelines/dadf.dadf', 'pipelines/tiny.yaml', 'pipelines/ablations/phi-pm.dadf');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /pipeline tiny ok/);
});

test('check: a broken pipeline gives exit 1, file:line:col, a code frame, all errors, no stack trace', () => {
  const dir = tempDir();
  const file = join(dir, 'broken.dadf');
  writeFileSync(file, BASE.replace('heads: 2', 'heads: 5').replace('conv_pw_5,', 'conv_pw5,'));
  const r = dadfc('check', file);
  assert.equal(r.code, 1);
  assert.match(r.err, /broken\.dadf:3:\d+ - error DADF4001: mobilenet_v1 has no tap 'conv_pw5'; did you mean 'conv_pw_5'\?/);
  assert.match(r.err, /broken\.dadf:5:\d+ - error DADF4006/);
  assert.match(r.err, /~~~/, 'code frame underline');
  assert.match(r.err, /Found 2 errors/);
  assert.doesNotMatch(r.err, /at .*\.ts:\d+/, 'no stack trace');
});

test('usage errors exit 2; a missing file exits 1 with one line', () => {
  assert.equal(dadfc('check').code, 2);
  assert.equal(dadfc('frobnicate').code, 2);
  assert.equal(dadfc('print-config', 'pipelines/tiny.dadf', '--set', 'nonsense').code, 2);
  const missing = dadfc('check', 'no/such.dadf');
  assert.equal(missing.code, 1);
  assert.match(missing.err, /no\/such\.dadf - error: no such file/);
});

test('print-config dadf --set flow.over=[prior] equals the phi-p ablation (dadf and yaml formats)', () => {
  for (const format of ['dadf', 'yaml']) {
    const a = dadfc('print-config', 'pipelines/dadf.dadf', '--set', 'flow.over=[prior]', '--set', 'name=phi_p', '--format', format);
    const b = dadfc('print-config', 'pipelines/ablations/phi-p.dadf', '--format', format);
    assert.equal(a.code, 0, a.err);
    assert.equal(a.out, b.out);
    assert.match(a.out, /over: \[prior\]|over:\n\s+- prior\n\s+steps/);
  }
});

test('compile writes a plan with shapes, parameters and FLOPs', () => {
  const dir = tempDir();
  const r = dadfc('compile', 'pipelines/tiny.dadf', '-o', dir);
  assert.equal(r.code, 0, r.err);
  const plan = JSON.parse(readFileSync(join(dir, 'tiny.plan.json'), 'utf8'));
  assert.equal(plan.format, 'dadf-plan');
  const block = plan.nodes.find((n: { op: string }) => n.op === 'dual_attention_block');
  assert.deepEqual(block.shape, [32, 24]);
  // Pre-norm block, width 24, MLP 48, qkv bias: 2 norms + qkv + proj + MLP.
  assert.equal(block.params, 4 * 24 + 24 * 72 + 72 + 24 * 24 + 24 + 24 * 48 + 48 + 48 * 24 + 24);
  assert.ok(plan.totals.flops > 0 && plan.totals.params > 0);
  assert.ok(existsSync(join(dir, 'tiny.plan.json')));
});

test('schema is valid JSON and the committed docs are up to date', () => {
  const r = dadfc('schema');
  assert.equal(r.code, 0);
  assert.equal(r.out, schemaJson());
  assert.equal(readFileSync(join(repoRoot, 'docs/pipeline.schema.json'), 'utf8'), schemaJson(), 'run: node --import tsx scripts/docs.ts');
  assert.ok(readFileSync(join(repoRoot, 'docs/language.md'), 'utf8').includes(keyReference()), 'run: node --import tsx scripts/docs.ts');
});
