// A flow step in pieces (runtime/train/microbatch.ts): the loss and gradients of the whole batch,
// and pieces only where one step's tape would not fit in the wasm heap.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { compilePipeline } from '../../compiler/index.ts';
import { modelDims } from '../../compiler/dims.ts';
import { initBackend } from '../../runtime/backend.ts';
import { createModel, type DadfModel } from '../../runtime/model/index.ts';
import { mulberry32, normalArray } from '../../runtime/model/prng.ts';
import { flowGrads, flowMicroBatch } from '../../runtime/train/microbatch.ts';
import { repoRoot } from '../compiler/helpers.ts';
import { tinySpec } from '../model/tiny-spec.ts';

before(async () => {
  await initBackend('wasm');
});

test('a flow step taken two samples at a time has the loss and gradients of the whole batch of 5', () => {
  const spec = tinySpec();
  const dims = modelDims(spec);
  const model = createModel(spec, dims, 5);
  const rng = mulberry32(8);
  const batch = (channels: (s: (typeof dims.scales)[number]) => number) =>
    dims.scales.map((s) => tf.tensor4d(normalArray(5 * s.size * s.size * channels(s), 0, 1, rng), [5, s.size, s.size, channels(s)]));
  const prior = batch((s) => s.channels);
  const rec = model.reconstruct(prior);
  const run = (micro: number) => {
    const before = tf.memory().numTensors;
    const { value, grads } = flowGrads(model, prior, rec, model.flowVariables(), micro);
    const out = { loss: value.dataSync()[0], grads: Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, g.dataSync() as Float32Array])) };
    tf.dispose([value, ...Object.values(grads)]);
    assert.equal(tf.memory().numTensors, before, `micro-batch ${micro}: no tensor left behind`);
    return out;
  };
  const whole = run(5);
  const pieces = run(2);
  assert.ok(Number.isFinite(whole.loss));
  assert.ok(Math.abs(pieces.loss - whole.loss) <= 1e-5 * Math.abs(whole.loss), `loss ${pieces.loss} vs ${whole.loss}`);
  assert.deepEqual(Object.keys(pieces.grads).sort(), Object.keys(whole.grads).sort());
  for (const [name, expected] of Object.entries(whole.grads)) {
    const scale = Math.max(1e-6, ...expected.map(Math.abs));
    const worst = Math.max(...expected.map((e, i) => Math.abs(pieces.grads[name][i] - e)));
    assert.ok(worst <= 1e-5 * scale, `gradient of ${name} differs by ${worst} (largest value ${scale})`);
  }
  tf.dispose([...prior, ...rec.self, ...rec.memory]);
  model.dispose();
});

/** The spec and dims of dadf-cpu with overrides, as a model shape (no weights are built). */
function shapeOf(sets: string[]): DadfModel {
  const { spec, diagnostics } = compilePipeline(join(repoRoot, 'pipelines/dadf-cpu.dadf'), { sets: [...sets, 'backbone.random=true'] });
  assert.ok(spec, diagnostics.map((d) => d.message).join('; '));
  return { spec, dims: modelDims(spec) } as DadfModel;
}

test('the flow step is split only on wasm, and only where its tape would not fit the heap', () => {
  const cpu = shapeOf([]);
  assert.equal(flowMicroBatch(cpu, 16, 'wasm'), 16, 'dadf-cpu at batch 16 fits (1.3 GiB of heap measured)');
  const lite = shapeOf(['backbone.alpha=1.0', 'input.size=256', 'transformer.memory.tokens=256']);
  const micro = flowMicroBatch(lite, 16, 'wasm');
  assert.ok(micro >= 1 && micro <= 2, `α1.0 at 256 px: ${micro} samples at a time (3 exhaust the 4 GiB heap)`);
  assert.equal(flowMicroBatch(lite, 16, 'tensorflow'), 16, 'native TensorFlow has no 4 GiB heap');
});
