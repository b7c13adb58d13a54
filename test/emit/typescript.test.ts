// The emitted TypeScript module type-checks and builds the same graph as the runtime does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { compilePipeline, modelDims } from '../../compiler/index.ts';
import { emitTypeScript } from '../../compiler/emit/typescript.ts';
import { initBackend } from '../../runtime/backend.ts';
import { createModel, type DadfModel } from '../../runtime/model/index.ts';
import { pipelinesDir, repoRoot, tempDir } from '../compiler/helpers.ts';

test('the emitted module of tiny type-checks and gives identical outputs for one seed', async () => {
  await initBackend('cpu');
  const compiled = compilePipeline(join(pipelinesDir, 'tiny.dadf'));
  assert.ok(compiled.plan);
  const dir = tempDir();
  // An ES module project outside this checkout that depends on dadf, as a user's would.
  writeFileSync(join(dir, 'package.json'), '{ "type": "module", "dependencies": { "dadf": "*" } }\n');
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(repoRoot, join(dir, 'node_modules', 'dadf'), 'dir');
  const out = join(dir, 'tiny.ts');
  const emitted = emitTypeScript(compiled.plan, out, 'pipelines/tiny.dadf');
  assert.deepEqual(emitted.diagnostics, []);
  // Imported by package name (dadf/runtime: the compiled runtime), never by a path into a checkout.
  assert.match(emitted.text, /from "dadf\/runtime"|from 'dadf\/runtime'/);
  assert.doesNotMatch(emitted.text, /\.\.\//);
  assert.ok(readFileSync(join(repoRoot, 'package.json'), 'utf8').includes('"./runtime"'));
  writeFileSync(out, emitted.text);
  const generated = (await import(pathToFileURL(out).href)) as { build(seed?: number): DadfModel; shapes: Record<string, readonly number[]> };
  assert.deepEqual(generated.shapes.tokens, [16, 24]);

  const viaModule = generated.build(3);
  // The runtime the module imported (the package's compiled one): one model registry per copy.
  const packaged = (await import(pathToFileURL(join(dir, 'node_modules/dadf/dist/runtime/index.js')).href)) as typeof import('../../runtime/index.ts');
  const direct = packaged.createModel(compiled.spec!, modelDims(compiled.spec!), 3);
  const prior = modelDims(compiled.spec!).scales.map((s) => tf.randomNormal([2, s.size, s.size, s.channels], 0, 1, 'float32', 11) as tf.Tensor4D);
  const a = viaModule.anomalyMaps(prior);
  const b = direct.anomalyMaps(prior);
  assert.deepEqual(Array.from(a.maps.dataSync()), Array.from(b.maps.dataSync()));
  assert.deepEqual(Array.from(a.scores.dataSync()), Array.from(b.scores.dataSync()));
  tf.dispose([a.maps, a.scores, b.maps, b.scores, ...prior]);
  viaModule.dispose();
  direct.dispose();
});

test('a different seed gives a different graph (the comparison above can fail)', async () => {
  await initBackend('cpu');
  const spec = compilePipeline(join(pipelinesDir, 'tiny.dadf')).spec!;
  const dims = modelDims(spec);
  const x = createModel(spec, dims, 1).getWeights();
  const y = createModel(spec, dims, 2).getWeights();
  const name = Object.keys(x).find((k) => x[k].data.some((v) => v !== 0))!;
  assert.notDeepEqual(Array.from(x[name].data), Array.from(y[name].data));
});
