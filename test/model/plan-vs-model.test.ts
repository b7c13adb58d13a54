// The plan's counts and shapes against the live model, for every shipped pipeline: both are
// built from the block declarations (compiler/blocks), and this test catches the two drifting
// apart. Paper-sized pipelines (over 5 M parameters) are built with one transformer block and
// two flow steps (every block and step is declared by the same function, odd and even steps
// differ when kernels alternate); their shapes are checked on the small pipelines only.
// Pipelines whose scored heads are all fitted ones (no DADF model) have no parameters to count;
// every declared fitted head is fitted on a few random feature maps and its state checked
// against the arrays its block declares (compiler/blocks/fitted-heads.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { compilePipeline } from '../../compiler/index.ts';
import { modelDims } from '../../compiler/dims.ts';
import { headDims, headState } from '../../compiler/blocks/fitted-heads.ts';
import { declaredHeads, usesModel } from '../../compiler/heads.ts';
import { buildPlan, type Plan } from '../../compiler/plan.ts';
import type { Spec } from '../../compiler/spec.ts';
import { initBackend } from '../../runtime/backend.ts';
import { disposeHeads, fitHeads, headsToTensors } from '../../runtime/heads/index.ts';
import { createModel, type DadfModel } from '../../runtime/model/index.ts';
import { mulberry32, normalArray } from '../../runtime/model/prng.ts';
import { silentProgress } from '../../runtime/progress.ts';
import { pipelinesDir } from '../compiler/helpers.ts';
import { randomPrior } from './tiny-spec.ts';

const LIVE_LIMIT = 5_000_000;
const pipelines = [
  ...readdirSync(pipelinesDir).filter((f) => f.endsWith('.dadf')),
  ...readdirSync(join(pipelinesDir, 'ablations'))
    .filter((f) => f.endsWith('.dadf'))
    .map((f) => `ablations/${f}`),
];

function specOf(file: string, sets: string[] = []): Spec {
  const compiled = compilePipeline(join(pipelinesDir, file), { sets: ['backbone.random=true', ...sets] });
  assert.ok(compiled.spec, `${file}: ${JSON.stringify(compiled.diagnostics.filter((d) => d.severity === 'error'))}`);
  return compiled.spec;
}

/** Every node's named parameters exist in the model with the counted size; nothing is left over. */
function assertParamsMatch(plan: Plan, model: DadfModel, label: string): void {
  const weights = model.getWeights();
  const size = (name: string) => weights[name].data.length;
  const claimed = new Set<string>();
  for (const node of plan.nodes) {
    for (const name of node.weights ?? []) {
      assert.ok(name in weights, `${label}: plan node ${node.id} names ${name}, which the model does not have`);
      assert.ok(!claimed.has(name), `${label}: ${name} is counted twice`);
      claimed.add(name);
    }
    assert.equal(
      (node.weights ?? []).reduce((a, n) => a + size(n), 0),
      node.params,
      `${label}: parameters of ${node.id}`,
    );
  }
  const trainable = model.weightNames().filter((n) => !n.endsWith('.perm'));
  assert.deepEqual(
    trainable.filter((n) => !claimed.has(n)),
    [],
    `${label}: model parameters no plan node counts`,
  );
  const total = (vars: tf.Variable[]) => vars.reduce((a, v) => a + v.size, 0);
  assert.equal(total(model.transformerVariables()), plan.totals.transformerParams, `${label}: transformer parameters`);
  assert.equal(total(model.flowVariables()), plan.totals.flowParams, `${label}: flow parameters`);
}

/** The shapes the plan gives heads, flow steps, scale maps and the fused map, from a forward pass. */
function assertShapesMatch(plan: Plan, model: DadfModel, label: string): void {
  const node = (id: string) => plan.nodes.find((n) => n.id === id)!;
  const d = model.dims;
  const prior = randomPrior(d, 1, 3);
  const rec = model.reconstruct(prior);
  d.scales.forEach((_, i) => {
    assert.deepEqual(rec.self[i].shape.slice(1), node(`head${i + 1}`).shape, `${label}: head ${i + 1}`);
    assert.deepEqual(rec.memory[i].shape.slice(1), node(`head${i + 1}`).shape, `${label}: head ${i + 1} (memory)`);
  });
  if (model.spec.score.source === 'flow') {
    const out = model.flowForward(prior, rec);
    out.forEach((o, i) => assert.deepEqual(o.z.shape.slice(1), node(`flow${i + 1}.step${model.spec.flow.steps}`).shape, `${label}: flow ${i + 1}`));
    tf.dispose(out.flatMap((o) => [o.z, o.logdet]));
  }
  const maps = model.scaleMaps(prior);
  maps.forEach((m, k) =>
    assert.deepEqual([...m.shape.slice(1), 1], node(`map${d.scoredScales[k] + 1}`).shape, `${label}: map of scale ${d.scoredScales[k] + 1}`),
  );
  const calibration = d.scoredScales.map((i) => ({ scale: i + 1, mean: 0, std: 1 }));
  const { maps: fused, scores } = model.anomalyMaps(prior, calibration);
  assert.deepEqual([...fused.shape.slice(1), 1], node('score').inputs.map((id) => node(id).shape)[0], `${label}: fused map`);
  assert.equal(scores.shape[0], 1);
  tf.dispose([...prior, ...rec.self, ...rec.memory, ...maps, fused, scores]);
}

test('the plan counts the parameters and shapes the live model has, for every shipped pipeline', async () => {
  await initBackend('cpu');
  assert.ok(pipelines.length >= 5, pipelines.join(', '));
  let checked = 0;
  for (const file of pipelines) {
    let spec = specOf(file);
    if (!usesModel(spec)) {
      // Fitted heads only (padim, patchcore): the DADF model is not built, the plan counts no parameters.
      assert.equal(buildPlan(spec).totals.params, 0, file);
      continue;
    }
    checked++;
    const live = buildPlan(spec).totals.params <= LIVE_LIMIT;
    if (!live) spec = specOf(file, ['transformer.depth=1', 'flow.steps=2']);
    const plan = buildPlan(spec);
    const model = createModel(spec, modelDims(spec), 0);
    try {
      assertParamsMatch(plan, model, file);
      if (live) assertShapesMatch(plan, model, file);
    } finally {
      model.dispose();
    }
  }
  assert.ok(checked >= 5, `${checked} pipelines build the model`);
});

test('a subnet with two convs: the plan counts what the model builds (the first conv keeps its width)', async () => {
  await initBackend('cpu');
  const spec = specOf('tiny.dadf', ['flow.subnet=[conv3x3, relu, conv1x1]', 'flow.position=4']);
  const plan = buildPlan(spec);
  const model = createModel(spec, modelDims(spec), 0);
  try {
    assertParamsMatch(plan, model, 'two convs');
    assertShapesMatch(plan, model, 'two convs');
  } finally {
    model.dispose();
  }
});

test('fitted heads: the state each head fits has the shapes and bytes its block declares, for every shipped pipeline', async () => {
  await initBackend('cpu');
  const images = 3;
  let checked = 0;
  for (const file of pipelines) {
    if (declaredHeads(specOf(file)).length === 0) continue;
    // 64 px keeps a per-position Gaussian on α1.0 features small (an 8×8 grid).
    const spec = specOf(file, ['input.size=64', 'transformer.memory.tokens=16']);
    const dims = modelDims(spec);
    const plan = buildPlan(spec);
    const rng = mulberry32(5);
    const features = dims.scales.map((s) => Array.from({ length: images }, () => normalArray(s.size * s.size * s.channels, 0, 1, rng)));
    const { heads, records } = fitHeads(spec, dims, features, silentProgress);
    try {
      const stored = headsToTensors(heads);
      for (const kind of declaredHeads(spec)) {
        const state = headState(spec, headDims(spec, dims, kind));
        for (const decl of state) {
          const got = stored[`heads/${decl.name}`];
          assert.ok(got, `${file}: the fitted ${kind} head stores ${decl.name}`);
          const rows = decl.perTrainingImage ? Math.max(1, Math.round(decl.shape[0] * images)) : decl.shape[0];
          assert.deepEqual(got.shape, [rows, ...decl.shape.slice(1)], `${file}: shape of ${decl.name}`);
        }
        // The plan counts a bank per training image; the fitted one rounds to whole entries.
        const node = plan.nodes.find((n) => n.id === kind)!;
        const planned = node.bytes ?? (node.bytesPerTrainingImage ?? 0) * images;
        const rounding = node.bytes === undefined ? 4 * state[0].shape[1] : 0;
        assert.ok(Math.abs(records[kind]!.bytes - planned) <= rounding, `${file}: ${kind} state ${records[kind]!.bytes} bytes, planned ${planned}`);
      }
      checked++;
    } finally {
      disposeHeads(heads);
    }
  }
  assert.ok(checked >= 5, `${checked} pipelines declare fitted heads`);
});
