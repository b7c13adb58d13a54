// Why fast attention switches formulation by size: a dadf-cpu stage-1 step (reconstruct, batch
// 8, random features and backbone) on this backend with attention as per-(sample, head) plain
// 2-D matmuls vs tfjs's batched matMul, at 128 px (64 tokens × 48 dims per head) and 256 px
// (256 tokens × 48 dims). Alternating runs, median of each; prints ms and the ratio.
//   node --import tsx bench/attention.ts [--backend wasm]
import * as tf from '@tensorflow/tfjs-core';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { compilePipeline } from '../compiler/index.ts';
import { modelDims } from '../compiler/dims.ts';
import { describeBackend, initBackend } from '../runtime/backend.ts';
import { createModel } from '../runtime/model/index.ts';
import { mulberry32, normalArray } from '../runtime/model/prng.ts';
import { batchedAttention, bmm, fastOps, multiHeadAttention, SMALL_ATTENTION_MACS, type Ops } from '../runtime/ops/index.ts';
import { nativeMatmulRuns } from '../runtime/ops/blas-kernels.ts';

const { values } = parseArgs({ options: { backend: { type: 'string', default: 'wasm' } } });
console.log(describeBackend(await initBackend(values.backend)));
const pipeline = fileURLToPath(new URL('../pipelines/dadf-cpu.dadf', import.meta.url));
const variants: Array<[string, Ops]> = [
  ['per-head 2-D', { ...fastOps, attention: (q, k, v, h) => multiHeadAttention(q, k, v, h, bmm) }],
  ['batched', { ...fastOps, attention: batchedAttention }],
];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

for (const size of [128, 256]) {
  const tokens = (size / 16) ** 2;
  const spec = compilePipeline(pipeline, { sets: ['backbone.random=true', `input.size=${size}`, `transformer.memory.tokens=${tokens}`] }).spec!;
  const dims = modelDims(spec);
  const rng = mulberry32(1);
  const prior = dims.scales.map((s) => tf.tensor4d(normalArray(8 * s.size * s.size * s.channels, 0, 1, rng), [8, s.size, s.size, s.channels]));
  const times = new Map<string, number[]>(variants.map(([name]) => [name, []]));
  const models = variants.map(([name, ops]) => [name, createModel(spec, dims, 0, { ops })] as const);
  const step = (model: (typeof models)[number][1]) =>
    tf.tidy(() => void tf.variableGrads(() => model.reconstructionLoss(prior, model.reconstruct(prior)), model.transformerVariables()).value.dataSync());
  for (const [, model] of models) step(model); // warm-up
  for (let rep = 0; rep < 3; rep++) {
    for (const [name, model] of models) {
      const t = performance.now();
      step(model);
      times.get(name)!.push(performance.now() - t);
    }
  }
  const [a, b] = variants.map(([name]) => median(times.get(name)!));
  const macs = tokens * tokens * dims.headDim;
  const pick = macs < SMALL_ATTENTION_MACS || nativeMatmulRuns() ? 'batched' : 'per-head 2-D';
  console.log(
    `${size} px (${tokens} tokens × ${dims.headDim} dims = ${(macs / 1e3).toFixed(0)} k MACs per product): stage-1 step per-head 2-D ${a.toFixed(0)} ms, batched ${b.toFixed(0)} ms → per-head is ${(b / a).toFixed(2)}× the batched speed; fastOps picks ${pick}`,
  );
  for (const [, model] of models) model.dispose();
  tf.dispose(prior);
}
console.log(`load ${loadavg()[0].toFixed(2)} on ${cpus().length} cores (above ~2, times are inflated; the ratios less so)`);
