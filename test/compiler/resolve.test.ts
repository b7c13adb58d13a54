// extends (single, multiple, by name and by path), cycles, --set, twins, print-config.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { compilePipeline, compileFile } from '../../compiler/index.ts';
import { toDadf, toYaml } from '../../compiler/print.ts';
import { BASE, compileTexts, errorsOf, pipelinesDir, where } from './helpers.ts';

test('single extends by path with a dotted override', () => {
  const r = compileTexts({ 'child.dadf': 'pipeline child extends "base.dadf" { flow.over: [prior] }', 'base.dadf': BASE });
  assert.deepEqual(errorsOf(r.diagnostics), []);
  assert.equal(r.spec!.name, 'child');
  assert.deepEqual(r.spec!.flow.over, ['prior']);
  assert.equal(r.spec!.flow.steps, 2, 'untouched keys come from the parent');
  assert.equal(r.plan!.dims.scales[0].flowChannels, 32);
});

test('multiple extends merge left to right, the child last', () => {
  const r = compileTexts({
    'c.dadf': 'pipeline c extends a, b { train.batch: 2 }\npipeline a extends "base" { flow.steps: 3, embed.dim: 4 }\npipeline b { flow.steps: 5 }',
    'base.dadf': BASE,
  });
  assert.deepEqual(errorsOf(r.diagnostics), []);
  assert.equal(r.spec!.flow.steps, 5);
  assert.equal(r.spec!.embed.dim, 4);
  assert.equal(r.spec!.train.batch, 2);
});

test('an extends cycle is reported at the extends that closes it', () => {
  const r = compileTexts({
    'a.dadf': 'pipeline a extends "b.dadf" { flow.steps: 1 }',
    'b.dadf': 'pipeline b extends "a.dadf" { flow.steps: 2 }',
  });
  const cycle = r.diagnostics.find((d) => d.code === 'DADF2101');
  assert.ok(cycle, JSON.stringify(r.diagnostics.map((d) => d.code)));
  assert.match(cycle.message, /extends cycle: .*a .*→ .*b .*→ .*a/);
  assert.match(cycle.range.file, /b\.dadf$/);
  assert.equal(cycle.range.start.column, 20);
});

test('a missing parent names what was looked for', () => {
  const r = compileTexts({ 'a.dadf': 'pipeline a extends "nope.dadf" { flow.steps: 1 }' });
  assert.deepEqual(where(r.diagnostics), ['DADF2102 1:20']);
});

test('--set parses typed values and wins over files', () => {
  const r = compileTexts({ 'p.dadf': BASE }, [
    'flow.over=[prior, self]',
    'train.batch=2',
    'flow.clamp=1.5e0',
    'backbone.random=true',
    'train.optimizer=adam(lr: 3e-4)',
  ]);
  assert.deepEqual(errorsOf(r.diagnostics), []);
  assert.deepEqual(r.spec!.flow.over, ['prior', 'self']);
  assert.equal(r.spec!.train.batch, 2);
  assert.equal(r.spec!.flow.clamp, 1.5);
  assert.equal(r.spec!.train.optimizer.type, 'adam');
  assert.equal(r.spec!.train.optimizer.lr, 3e-4);
});

test('an unknown key from --set is reported against the --set text', () => {
  const r = compileTexts({ 'p.dadf': BASE }, ['flow.ovr=[prior]']);
  const d = errorsOf(r.diagnostics)[0];
  assert.equal(d.code, 'DADF3001');
  assert.match(d.message, /did you mean 'over'/);
  assert.match(d.range.file, /^--set flow\.ovr=\[prior\]/);
});

test('defaults fill what a pipeline leaves out', () => {
  const r = compileTexts({ 'p.dadf': BASE });
  const s = r.spec!;
  assert.equal(s.transformer.memory.query, 'memory');
  assert.equal(s.flow.permute, 'fixed');
  assert.deepEqual(s.flow.subnet, ['dwconv3x3', { type: 'leaky_relu', slope: 0.1 }, 'conv1x1']);
  assert.equal(s.train.optimizer.type, 'adamw');
  assert.equal(s.train.stages.reconstruct!.loss, 'mse');
  assert.equal(s.train.stages.flow!.loss, 'nll');
  assert.equal(s.score.fuse, 'mean');
});

function pipelineFiles(dir: string, ext: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? pipelineFiles(join(dir, e.name), ext) : e.name.endsWith(ext) ? [join(dir, e.name)] : [],
  );
}

test('every pipeline in pipelines/ checks without errors', () => {
  const files = [...pipelineFiles(pipelinesDir, '.dadf'), ...pipelineFiles(pipelinesDir, '.yaml')];
  assert.ok(files.length >= 14, `found ${files.length}`);
  for (const f of files) for (const r of compileFile(f)) assert.deepEqual(errorsOf(r.diagnostics), [], f);
});

test('every .dadf in pipelines/ and its YAML twin resolve to the identical Spec', () => {
  for (const dadf of pipelineFiles(pipelinesDir, '.dadf')) {
    const yaml = dadf.replace(/\.dadf$/, '.yaml');
    assert.ok(existsSync(yaml), `${yaml} exists`);
    const a = compilePipeline(dadf);
    const b = compilePipeline(yaml);
    assert.ok(a.spec && b.spec, `${dadf} and its twin compile`);
    assert.deepEqual(b.spec, a.spec, `${yaml} equals ${dadf}`);
  }
});

test('print-config of dadf with --set flow.over=[prior] equals the phi-p ablation', () => {
  const derived = compilePipeline(join(pipelinesDir, 'dadf.dadf'), { sets: ['flow.over=[prior]', 'name=phi_p'] });
  const ablation = compilePipeline(join(pipelinesDir, 'ablations/phi-p.dadf'));
  assert.ok(derived.spec && ablation.spec);
  assert.equal(toDadf(derived.spec), toDadf(ablation.spec));
  assert.equal(toYaml(derived.spec), toYaml(ablation.spec));
});

test('the printed .dadf of a Spec parses back to the same Spec', () => {
  for (const file of ['dadf-cpu.dadf', 'tiny.dadf', 'ablations/phi-pm.dadf']) {
    const first = compilePipeline(join(pipelinesDir, file));
    assert.ok(first.spec, file);
    const again = compileTexts({ 'printed.dadf': toDadf(first.spec) });
    // Relative weight paths are relative to the file that wrote them; compare the rest.
    assert.deepEqual(
      { ...again.spec, backbone: { ...again.spec!.backbone, weights: 0 } },
      { ...first.spec, backbone: { ...first.spec!.backbone, weights: 0 } },
      file,
    );
  }
});
