// One broken pipeline per checker rule: each must give its code at the right line:column.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, compileTexts, errorsOf, where } from './helpers.ts';

/** BASE with `from` replaced by `to` (asserting `from` is there, so tests cannot rot). */
function variant(from: string, to: string): string {
  assert.ok(BASE.includes(from), `BASE contains ${from}`);
  return BASE.replace(from, to);
}

test('the base pipeline is clean and has a plan', () => {
  const r = compileTexts({ 'p.dadf': BASE });
  assert.deepEqual(errorsOf(r.diagnostics), []);
  assert.ok(r.spec && r.plan);
  assert.equal(r.plan.dims.tokens, 16);
  assert.equal(r.plan.dims.width, 24);
  assert.deepEqual(
    r.plan.dims.scales.map((s) => [s.size, s.channels, s.grid]),
    [
      [16, 32, 4],
      [8, 64, 4],
      [4, 128, 4],
    ],
  );
});

/** [code, line, marker]: the diagnostic must start at the first occurrence of marker on that line. */
type Expect = [code: string, line: number, marker: string];
const cases: Array<{ rule: string; from: string; to: string; expect: Expect; message: RegExp }> = [
  {
    rule: 'unknown tap (did you mean)',
    from: 'conv_pw_5,',
    to: 'conv_pw5,',
    expect: ['DADF4001', 3, 'conv_pw5'],
    message: /no tap 'conv_pw5'; did you mean 'conv_pw_5'/,
  },
  { rule: 'alpha not published', from: 'alpha: 0.25', to: 'alpha: 0.3', expect: ['DADF4002', 3, '0.3'], message: /alpha 0.3/ },
  {
    rule: 'patch count differs from taps',
    from: 'patch: [4, 2, 1]',
    to: 'patch: [4, 2]',
    expect: ['DADF4003', 4, '[4, 2]'],
    message: /2 sizes but the backbone has 3 taps/,
  },
  {
    rule: 'patch does not divide its tap',
    from: 'patch: [4, 2, 1]',
    to: 'patch: [3, 2, 1]',
    expect: ['DADF4004', 4, '3, 2, 1'],
    message: /patch 3 does not divide the 16×16 feature map of 'conv_pw_3'/,
  },
  {
    rule: 'scales reach different token grids',
    from: 'patch: [4, 2, 1]',
    to: 'patch: [4, 4, 1]',
    expect: ['DADF4005', 4, '4, 1]'],
    message: /gives 2×2 tokens but scale 1 gives 4×4/,
  },
  {
    rule: 'heads do not divide the width',
    from: 'heads: 2',
    to: 'heads: 5',
    expect: ['DADF4006', 5, '5,'],
    message: /5 heads do not divide the token width 24/,
  },
  {
    rule: 'memory tokens differ from the token count',
    from: 'tokens: 16',
    to: 'tokens: 10',
    expect: ['DADF4007', 5, '10'],
    message: /must equal the token count 16/,
  },
  {
    rule: 'unknown flow stream (did you mean)',
    from: 'over: [prior, self, memory]',
    to: 'over: [prior, slef, memory]',
    expect: ['DADF3003', 6, 'slef'],
    message: /cannot be 'slef'; did you mean 'self'/,
  },
  {
    rule: 'flow stream twice',
    from: 'over: [prior, self, memory]',
    to: 'over: [prior, self, self]',
    expect: ['DADF3006', 6, 'self]'],
    message: /lists 'self' twice/,
  },
  { rule: 'clamp must be positive', from: 'clamp: 2.0', to: 'clamp: 0', expect: ['DADF3004', 6, '0 }'], message: /'flow.clamp' must be > 0/ },
  { rule: 'steps at least 1', from: 'steps: 2', to: 'steps: 0', expect: ['DADF3004', 6, '0,'], message: /'flow.steps' must be >= 1/ },
  { rule: 'training numbers positive', from: 'batch: 4', to: 'batch: -4', expect: ['DADF3004', 7, '-4'], message: /'train.batch' must be >= 1/ },
  {
    rule: 'unknown key (did you mean)',
    from: 'steps: 2',
    to: 'stepz: 2',
    expect: ['DADF3001', 6, 'stepz'],
    message: /unknown key 'stepz' in 'flow'; did you mean 'steps'/,
  },
  {
    rule: 'wrong value type',
    from: 'depth: 1',
    to: 'depth: "one"',
    expect: ['DADF3002', 5, '"one"'],
    message: /'transformer.depth' must be an integer, got 'one'/,
  },
  {
    rule: 'stage references an unknown loss',
    from: 'stage flow { epochs: 1 }',
    to: 'stage flow { epochs: 1, loss: mse }',
    expect: ['DADF4010', 7, 'mse'],
    message: /stage flow has no loss 'mse'/,
  },
  {
    rule: 'score scale out of range',
    from: '  train {',
    to: '  score { scales: [1, 4] }\n  train {',
    expect: ['DADF4012', 7, '4]'],
    message: /names scale 4, but there are 3 scales/,
  },
  {
    rule: 'smoothing too wide for the map',
    from: '  train {',
    to: '  score { smooth: 16 }\n  train {',
    expect: ['DADF4029', 7, '16 }'],
    message: /sigma 16 needs a 64-pixel mirrored border, but the maps are 64×64 pixels/,
  },
  {
    rule: 'calibrated maps cannot be fused by product',
    from: '  train {',
    to: '  score { calibrate: validation, fuse: product }\n  train {',
    expect: ['DADF4020', 7, 'product'],
    message: /cannot be fused by product/,
  },
  {
    rule: 'calibration needs a validation split',
    from: 'train { batch: 4,',
    to: 'score { calibrate: validation }\n  train { validation: 0, batch: 4,',
    expect: ['DADF4021', 7, 'validation }'],
    message: /needs a validation split, but train.validation is 0/,
  },
  {
    rule: 'flow position code not a multiple of 4',
    from: 'clamp: 2.0 }',
    to: 'clamp: 2.0, position: 6 }',
    expect: ['DADF4022', 6, '6 }'],
    message: /needs a multiple of 4 channels/,
  },
  { rule: 'no weights and not random', from: 'random: true, ', to: '', expect: ['DADF4013', 3, 'backbone'], message: /has no weights/ },
  {
    rule: 'subnet must end with a conv',
    from: 'clamp: 2.0 }',
    to: 'clamp: 2.0, subnet: [dwconv3x3, relu] }',
    expect: ['DADF4014', 6, 'relu]'],
    message: /must end with a conv/,
  },
  {
    rule: 'sweep key must exist',
    from: '  train {',
    to: '  sweep { flow.overr: [[prior]] }\n  train {',
    expect: ['DADF4011', 7, 'flow.overr'],
    message: /sweep key 'flow.overr' is not a key.*did you mean 'flow.over'/,
  },
  {
    rule: 'missing required key',
    from: 'embed { patch: [4, 2, 1], dim: 8 }',
    to: 'embed { dim: 8 }',
    expect: ['DADF3005', 4, 'embed'],
    message: /missing required key 'embed.patch'/,
  },
  { rule: 'a block that takes no label', from: 'embed {', to: 'embed big {', expect: ['DADF2004', 4, 'big'], message: /block 'embed' takes no name/ },
];

for (const c of cases) {
  test(`rule: ${c.rule}`, () => {
    const text = variant(c.from, c.to);
    const [code, line, marker] = c.expect;
    const column = text.split('\n')[line - 1].indexOf(marker) + 1;
    assert.ok(column > 0, `marker ${marker} on line ${line}`);
    const expected = `${code} ${line}:${column}`;
    const r = compileTexts({ 'p.dadf': text });
    assert.ok(where(r.diagnostics).includes(expected), `expected ${expected}, got ${JSON.stringify(where(r.diagnostics))}`);
    const d = errorsOf(r.diagnostics).find((x) => `${x.code} ${x.range.start.line}:${x.range.start.column}` === expected);
    assert.match(d!.message, c.message);
    assert.equal(r.spec, undefined, 'a pipeline with errors has no Spec');
  });
}

test('all errors of a file are reported in one run', () => {
  const text = variant('heads: 2', 'heads: 5').replace('tokens: 16', 'tokens: 10').replace('conv_pw_5,', 'conv_pw5,');
  const codes = errorsOf(compileTexts({ 'p.dadf': text }).diagnostics).map((d) => d.code);
  assert.ok(codes.includes('DADF4001') && codes.includes('DADF4006'), codes.join(','));
});

test('missing weights file named in the pipeline is an error at the weights value', () => {
  const r = compileTexts({ 'p.dadf': variant('random: true, ', 'weights: "nope/model.json", ') });
  assert.deepEqual(where(r.diagnostics), [`DADF4017 3:${BASE.split('\n')[2].indexOf('alpha') + 1 + 'alpha: 0.25, weights: '.length}`]);
});

test('an unset env() with no file behind it is only a warning', () => {
  const r = compileTexts({ 'p.dadf': variant('random: true, ', 'weights: env("DADF_TEST_UNSET_VAR"), ') });
  assert.deepEqual(errorsOf(r.diagnostics), []);
  assert.equal(r.diagnostics[0]?.code, 'DADF4018');
  assert.ok(r.spec);
});

test('a weights file that does not fit the architecture is an error at the weights value', () => {
  const r = compileTexts({ 'p.dadf': variant('random: true, ', 'weights: "w.safetensors", '), 'w.safetensors': 'not a weights file at all' });
  const d = errorsOf(r.diagnostics).find((x) => x.code === 'DADF4019');
  assert.ok(d, JSON.stringify(r.diagnostics.map((x) => `${x.code} ${x.message}`)));
  assert.equal(d.range.start.line, 3);
});

test('score.smooth: the check allows a border up to one pixel smaller than the map', () => {
  const codes = (sigma: number) => compileTexts({ 'p.dadf': variant('  train {', `  score { smooth: ${sigma} }\n  train {`) }).diagnostics.map((d) => d.code);
  assert.ok(!codes(15.75).includes('DADF4029'), 'sigma 15.75 (border 63 < 64) is allowed');
  assert.ok(codes(15.76).includes('DADF4029'), 'sigma 15.76 (border 64) is refused');
});
