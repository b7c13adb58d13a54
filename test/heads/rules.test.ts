// Checker rules of the heads (one broken pipeline each, code at the right place), the model's
// rules lifted when no scored head uses it, and the plan's memory estimate of each head.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, compileTexts, errorsOf, where } from '../compiler/helpers.ts';

const withHeads = (heads: string, score: string) => BASE.replace('  train {', `${heads}\n  score { ${score} }\n  train {`);

const cases: Array<{ rule: string; text: string; code: string; at: string; message: RegExp }> = [
  {
    rule: 'a scored head the pipeline does not declare',
    text: withHeads('', 'heads: [flow, knn]'),
    code: 'DADF4023',
    at: '8:25',
    message: /declares no knn head/,
  },
  {
    rule: 'a model map other than score.source',
    text: withHeads('  head gaussian { }', 'heads: [reconstruction, gaussian]'),
    code: 'DADF4024',
    at: '8:19',
    message: /score.source is 'flow'/,
  },
  {
    rule: 'a head scale out of range',
    text: withHeads('  head gaussian { scales: [2, 4] }', 'heads: [gaussian]'),
    code: 'DADF4025',
    at: '7:31',
    message: /names scale 4, but there are 3 scales/,
  },
  {
    rule: 'several heads without a validation split',
    text: withHeads('  head gaussian { }', 'heads: [flow, gaussian]').replace('batch: 4,', 'batch: 4, validation: 0,'),
    code: 'DADF4026',
    at: '8:18',
    message: /train.validation is 0/,
  },
  { rule: 'an even neighbourhood', text: withHeads('  head knn { aggregate: 2 }', 'heads: [knn]'), code: 'DADF4027', at: '7:25', message: /must be odd/ },
  {
    rule: 'more Gaussian channels than the scales have',
    text: withHeads('  head gaussian { scales: [2], channels: 65 }', 'heads: [gaussian]'),
    code: 'DADF4028',
    at: '7:42',
    message: /its scales have 64 channels/,
  },
];
for (const c of cases) {
  test(`rule: ${c.rule}`, () => {
    const r = compileTexts({ 'p.dadf': c.text });
    assert.deepEqual(where(r.diagnostics), [`${c.code} ${c.at}`], JSON.stringify(errorsOf(r.diagnostics)));
    assert.match(errorsOf(r.diagnostics)[0].message, c.message);
  });
}

test('without a scored head that needs it, the DADF model is not checked, planned or counted', () => {
  const broken = BASE.replace('tokens: 16', 'tokens: 10'); // DADF4007 while the model is scored
  assert.deepEqual(
    where(compileTexts({ 'p.dadf': broken }).diagnostics).map((w) => w.split(' ')[0]),
    ['DADF4007'],
  );
  const r = compileTexts({ 'p.dadf': withHeads('  head gaussian { scales: [2] }', 'heads: [gaussian]').replace('tokens: 16', 'tokens: 10') });
  assert.deepEqual(errorsOf(r.diagnostics), []);
  assert.ok(r.plan);
  assert.deepEqual(
    r.plan.nodes.map((n) => n.op),
    ['image', 'backbone_tap', 'backbone_tap', 'backbone_tap', 'gaussian_head', 'upsample', 'image_score'],
  );
  assert.equal(r.plan.totals.params, 0);
});

test('plan: covariance bytes of the Gaussian and memory-bank bytes per training image of the knn head', () => {
  // α0.25 at 64 px: conv_pw_5 is 8×8×64, conv_pw_11 4×4×128.
  const r = compileTexts({
    'p.dadf': withHeads(
      '  head gaussian { scales: [2], channels: 10 }\n  head knn { scales: [2, 3], coreset: 0.5 }',
      'heads: [flow, gaussian, knn], combine: max',
    ),
  });
  assert.deepEqual(errorsOf(r.diagnostics), []);
  const node = (op: string) => r.plan!.nodes.find((n) => n.op === op)!;
  assert.equal(node('gaussian_head').bytes, 64 * (10 * 10 + 10) * 4);
  assert.equal(node('knn_head').bytesPerTrainingImage, 0.5 * 64 * (64 + 128) * 4);
  assert.deepEqual(node('knn_head').shape, [8, 8, 1]);
  const combine = node('combine_heads');
  assert.equal(combine.inputs.length, 3);
  assert.equal(combine.attrs?.method, 'max');
  assert.equal(r.plan!.totals.headBytes, 64 * 110 * 4);
});

test('shared Gaussian: one covariance, whatever the grid', () => {
  const r = compileTexts({ 'p.dadf': withHeads('  head gaussian { scales: [1], per_position: false }', 'heads: [gaussian]') });
  assert.equal(r.plan!.nodes.find((n) => n.op === 'gaussian_head')!.bytes, (32 * 32 + 32) * 4);
});
