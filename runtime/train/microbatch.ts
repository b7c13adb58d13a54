// A flow step in pieces small enough for the wasm heap. The wasm backend addresses at most 4 GiB,
// and a flow step's gradient tape holds ~130× the flow input of each sample (measured with
// bench/profile.ts: 64 tensors of that size after the forward, as much again during the
// backward). At α1.0, 256 px that is 1.4 GiB per sample, so a batch of 3 exhausts the heap and
// the process stalls instead of failing. The step is then computed a few samples at a time and
// the gradients summed, each piece's mean loss weighted by its share of the batch: the gradient
// of the whole batch's mean loss, up to float rounding (the flows treat every sample on its own).
import * as tf from '@tensorflow/tfjs-core';
import type { DadfModel, Reconstruction } from '../model/index.ts';
import { fusedCouplingRuns } from '../ops/coupling-kernel.ts';

/** Heap a flow step's tape may take: the 4 GiB of wasm32, less the cache, the model and room to spare. */
const WASM_STEP_BUDGET = 2 * 2 ** 30;
/** Bytes of tape per byte of flow input, per flow step (≈130 measured at 4 steps), with a margin. */
const TAPE_PER_STEP = 36;
/**
 * The same with the fused native coupling and LayerNorm kernels, which keep fewer intermediate
 * tensors (forward tape 37× the flow input at 4 steps against 61× plain; measured at α1.0, 256 px).
 */
const FUSED_TAPE_PER_STEP = 22;

/** Samples a flow step may take at once on the current backend: the whole batch except where the wasm heap is the limit. */
export function flowMicroBatch(model: DadfModel, batch: number, backend = tf.getBackend()): number {
  if (backend !== 'wasm') return batch;
  const inputBytes = model.dims.scales.reduce((sum, s) => sum + s.size * s.size * s.flowChannels * 4, 0);
  const perStep = fusedCouplingRuns() ? FUSED_TAPE_PER_STEP : TAPE_PER_STEP;
  const perSample = inputBytes * perStep * Math.max(1, model.spec.flow.steps);
  return Math.max(1, Math.min(batch, Math.floor(WASM_STEP_BUDGET / perSample)));
}

/** Rows [start, end) of every tensor of a batch. */
function rows<T extends tf.Tensor>(tensors: T[], start: number, end: number): T[] {
  return tensors.map((t) => tf.slice(t, start, end - start) as T);
}

/**
 * The flow loss (mean over the batch) and its gradients for `variables`, computed `micro`
 * samples at a time when the batch is larger (flowMicroBatch by default).
 */
export function flowGrads(
  model: DadfModel,
  prior: tf.Tensor4D[],
  rec: Reconstruction,
  variables: tf.Variable[],
  micro = flowMicroBatch(model, prior[0].shape[0]),
): { value: tf.Scalar; grads: tf.NamedTensorMap } {
  const batch = prior[0].shape[0];
  if (micro >= batch) return tf.variableGrads(() => model.flowLoss(prior, rec), variables);
  let value: tf.Scalar | undefined;
  let grads: tf.NamedTensorMap = {};
  for (let start = 0; start < batch; start += micro) {
    const end = Math.min(batch, start + micro);
    const piece = tf.variableGrads(() => {
      const part = { self: rows(rec.self, start, end), memory: rows(rec.memory, start, end) };
      return tf.mul(model.flowLoss(rows(prior, start, end), part), (end - start) / batch) as tf.Scalar;
    }, variables);
    const previous = { value, grads };
    value = value ? (tf.add(value, piece.value) as tf.Scalar) : piece.value;
    grads = Object.fromEntries(Object.entries(piece.grads).map(([name, g]) => [name, previous.grads[name] ? tf.add(previous.grads[name], g) : g]));
    if (previous.value) tf.dispose([previous.value, piece.value, ...Object.values(previous.grads), ...Object.values(piece.grads)]);
  }
  return { value: value!, grads };
}
