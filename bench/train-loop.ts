// Where a `dadfc run` step's time goes beyond the gradients (issue 19): one stage-1 and one
// stage-2 step of dadf-cpu at the run's batch (8), timed part by part as runtime/train/stages.ts
// does them: stacking the batch, loss and gradients, the optimizer update, disposing; then the
// per-epoch work: validation loss and the checkpoint. Wall and CPU (process.cpuUsage, both
// threads) per part, medians over --reps steps after one warm-up; kernel calls per part from
// tf.profile. Random features (a step's speed does not depend on the values).
// Usage: node --import tsx bench/train-loop.ts [--reps 10] [--set key=value]...
import * as tf from '@tensorflow/tfjs-core';
import { loadavg, tmpdir } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { modelDims } from '../compiler/dims.ts';
import { initBackend } from '../runtime/backend.ts';
import { createModel } from '../runtime/model/index.ts';
import { writeCheckpoint } from '../runtime/train/checkpoint.ts';
import { batchTensors, type ScaleFeatures } from '../runtime/train/features.ts';
import { flowGrads } from '../runtime/train/microbatch.ts';
import { Optimizer } from '../runtime/train/optimizer.ts';
import { batchReconstruction, reconstructAll } from '../runtime/train/reconstructions.ts';
import { mulberry32, normalArray } from '../runtime/model/prng.ts';
import { cliOption, dadfCpuSpec } from './lib/dadf-cpu.ts';

const reps = Number(cliOption('reps')[0] ?? 10);
const info = await initBackend('wasm', { threads: 2 });
const load = () => loadavg()[0].toFixed(2);
console.log(`${info.description}; load average ${load()} at start; ${reps} steps per part after a warm-up`);

const spec = dadfCpuSpec();
const dims = modelDims(spec);
const model = createModel(spec, dims, 0);
const batch = spec.train.batch;
const rng = mulberry32(7);
const images = 48;
const features: ScaleFeatures = dims.scales.map((s) => Array.from({ length: images }, () => normalArray(s.size * s.size * s.channels, 0, 1, rng)));
const indices = Array.from({ length: batch }, (_, k) => k * 5);

interface Part {
  wall: number[];
  cpu: number[];
  kernels?: number;
}
const parts = new Map<string, Part>();
function timed<T>(name: string, run: () => T): T {
  const part = parts.get(name) ?? { wall: [], cpu: [] };
  parts.set(name, part);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const out = run();
  part.wall.push(performance.now() - t0);
  const cpu = process.cpuUsage(cpu0);
  part.cpu.push((cpu.user + cpu.system) / 1000);
  return out;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function kernelsOf(run: () => unknown): Promise<number> {
  const profile = await tf.profile(() => {
    const out = run();
    return out instanceof tf.Tensor ? out : undefined;
  });
  return profile.kernels.length;
}

async function stage(name: 'reconstruct' | 'flow'): Promise<void> {
  const variables = name === 'reconstruct' ? model.transformerVariables() : model.flowVariables();
  const lr = spec.train.stages[name]?.lr ?? spec.train.optimizer.lr;
  const optimizer = new Optimizer(variables, spec.train.optimizer, lr);
  const cached = name === 'flow' ? reconstructAll(model, features, dims, batch) : undefined;
  const step = (record: boolean) => {
    const t = record ? timed : <T>(_: string, run: () => T) => run();
    const prior = t(`${name}: stack batch`, () => batchTensors(features, indices, dims));
    const rec = cached ? t(`${name}: stack batch`, () => batchReconstruction(cached, indices, dims)) : undefined;
    const { value, grads } = t(`${name}: loss + gradients`, () =>
      rec ? flowGrads(model, prior, rec, variables) : tf.variableGrads(() => model.reconstructionLoss(prior, model.reconstruct(prior)), variables),
    );
    t(`${name}: read loss`, () => value.dataSync()[0]);
    t(`${name}: optimizer`, () => optimizer.apply(grads));
    t(`${name}: dispose`, () => tf.dispose([value, ...Object.values(grads), ...prior, ...(rec ? [...rec.self, ...rec.memory] : [])]));
  };
  step(false);
  for (let i = 0; i < reps; i++) step(true);
  const zeros = Object.fromEntries(variables.map((v) => [v.name, tf.zerosLike(v)]));
  parts.get(`${name}: optimizer`)!.kernels = await kernelsOf(() => optimizer.apply(zeros));
  tf.dispose(Object.values(zeros));
  console.log(`${name}: ${variables.length} variables, ${variables.reduce((a, v) => a + v.size, 0)} parameters`);
  for (let i = 0; i < Math.max(3, Math.floor(reps / 3)); i++)
    timed(`${name}: checkpoint (per epoch)`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'dadf-bench-'));
      const tensors = Object.fromEntries(Object.entries(model.getWeights()).map(([k, w]) => [k, w]));
      const state = optimizer.getState();
      for (const [k, slot] of Object.entries(state.slots)) {
        tensors[`opt/${k}/m`] = { shape: slot.shape, data: slot.m };
        tensors[`opt/${k}/v`] = { shape: slot.shape, data: slot.v };
      }
      writeCheckpoint(join(dir, 'checkpoint'), {}, tensors);
      rmSync(dir, { recursive: true });
    });
}

await stage('reconstruct');
await stage('flow');
console.log(`\n| part | wall ms | CPU ms | kernels |\n| --- | --- | --- | --- |`);
for (const [name, part] of parts) console.log(`| ${name} | ${median(part.wall).toFixed(1)} | ${median(part.cpu).toFixed(1)} | ${part.kernels ?? ''} |`);
console.log(`\nload average ${load()} at the end`);
model.dispose();
