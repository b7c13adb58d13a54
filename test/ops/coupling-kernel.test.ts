// The fused coupling step (native/coupling.c, runtime/ops/coupling-kernel.ts) against the plain
// formulation of runtime/model/flow.ts in the same process: the flow's z, log|det J|, loss and
// every flow gradient. Skipped where the addon is not built, unless CI requires it.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { modelDims } from '../../compiler/dims.ts';
import { initBackend } from '../../runtime/backend.ts';
import { createModel, type DadfModel } from '../../runtime/model/index.ts';
import { mulberry32, normalArray } from '../../runtime/model/prng.ts';
import { useFusedCoupling } from '../../runtime/ops/coupling-kernel.ts';
import { nativeKernelCalls } from '../../runtime/ops/native-kernels.ts';
import { tinySpec } from '../model/tiny-spec.ts';
import { nativeSkip, worstRelative as worst } from './helpers.ts';

const skip = nativeSkip();

before(async () => {
  await initBackend('wasm');
});

interface Result {
  z: Float32Array[];
  logdet: Float32Array[];
  loss: number;
  grads: Record<string, Float32Array>;
}

/** z and log|det J| of every scale, the flow loss and its gradients, fused or plain. */
function flowResults(model: DadfModel, prior: tf.Tensor4D[], rec: { self: tf.Tensor4D[]; memory: tf.Tensor4D[] }, fused: boolean): Result {
  useFusedCoupling(fused);
  try {
    const forward = tf.tidy(() =>
      model.flows.flatMap((f, i) => {
        const o = f.forward(model.flowInput(prior, rec, i));
        return [o.z, o.logdet];
      }),
    );
    const z = forward.filter((_, i) => i % 2 === 0).map((t) => t.dataSync() as Float32Array);
    const logdet = forward.filter((_, i) => i % 2 === 1).map((t) => t.dataSync() as Float32Array);
    tf.dispose(forward);
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => model.flowLoss(prior, rec), model.flowVariables());
    const out = { z, logdet, loss: value.dataSync()[0], grads: Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, g.dataSync() as Float32Array])) };
    tf.dispose([value, ...Object.values(grads)]);
    assert.equal(tf.memory().numTensors, before, `${fused ? 'fused' : 'plain'}: no tensor left behind`);
    return out;
  } finally {
    useFusedCoupling(true);
  }
}

function compare(sets: { permute: 'fixed' | 'none'; batch?: number; size?: number }) {
  const spec = tinySpec({
    flow: { permute: sets.permute },
    ...(sets.size ? { input: { size: sets.size }, transformer: { memory: { tokens: (sets.size / 16) ** 2 } } } : {}),
  });
  const dims = modelDims(spec);
  const model = createModel(spec, dims, 3);
  const n = sets.batch ?? 3;
  const rng = mulberry32(11);
  const maps = (channels: (s: (typeof dims.scales)[number]) => number) =>
    dims.scales.map((s) => tf.tensor4d(normalArray(n * s.size * s.size * channels(s), 0, 1, rng), [n, s.size, s.size, channels(s)]));
  const prior = maps((s) => s.channels);
  const rec = model.reconstruct(prior);
  const calls = nativeKernelCalls('DadfCoupling');
  const fused = flowResults(model, prior, rec, true);
  assert.ok(nativeKernelCalls('DadfCoupling') > calls, 'the fused kernel ran');
  assert.ok(nativeKernelCalls('DadfCouplingGrad') > 0, 'its gradient ran');
  const before = nativeKernelCalls('DadfCoupling');
  const plain = flowResults(model, prior, rec, false);
  assert.equal(nativeKernelCalls('DadfCoupling'), before, 'the plain run did not use it');
  fused.z.forEach((z, i) => assert.ok(worst(z, plain.z[i]) <= 1e-6, `z of scale ${i + 1} differs by ${worst(z, plain.z[i])}`));
  fused.logdet.forEach((l, i) => assert.ok(worst(l, plain.logdet[i]) <= 1e-5, `log|det J| of scale ${i + 1} differs by ${worst(l, plain.logdet[i])}`));
  assert.ok(Number.isFinite(plain.loss));
  assert.ok(Math.abs(fused.loss - plain.loss) <= 1e-5 * Math.abs(plain.loss), `loss ${fused.loss} vs ${plain.loss}`);
  assert.deepEqual(Object.keys(fused.grads).sort(), Object.keys(plain.grads).sort());
  for (const [name, expected] of Object.entries(plain.grads)) {
    const d = worst(fused.grads[name], expected);
    assert.ok(d <= 1e-5, `gradient of ${name} differs by ${d} of its largest value`);
  }
  tf.dispose([...prior, ...rec.self, ...rec.memory]);
  model.dispose();
}

test("the fused coupling step gives the plain formulation's z, log|det J|, loss and gradients (fixed permutation)", { skip }, () => {
  compare({ permute: 'fixed' });
});

test('the fused coupling step matches the plain formulation without a permutation', { skip }, () => {
  compare({ permute: 'none' });
});

test('the fused coupling step matches the plain formulation on maps large enough for two threads', { skip }, () => {
  compare({ permute: 'fixed', batch: 2, size: 128 });
});
