// A dadf-cpu stage-2 step with the frozen transformer's outputs recomputed in the step (as
// before issue 19) against the same step on reconstructions cached once (runtime/train/
// reconstructions.ts), interleaved A/B so that both see the same load; wall and CPU time
// (process.cpuUsage, both threads) per step, median over the reps.
// Usage: node --import tsx bench/stage2.ts [--reps 5] [--set key=value]...
import * as tf from '@tensorflow/tfjs-core';
import { loadavg } from 'node:os';
import { cliOption, dadfCpuSpec } from './lib/dadf-cpu.ts';
import { modelDims } from '../compiler/dims.ts';
import { describeBackend, initBackend } from '../runtime/backend.ts';
import { createModel, type Reconstruction } from '../runtime/model/index.ts';
import { mulberry32, normalArray } from '../runtime/model/prng.ts';
import { batchTensors } from '../runtime/train/features.ts';
import { batchReconstruction, reconstructAll } from '../runtime/train/reconstructions.ts';

const option = cliOption;
const reps = Number(option('reps')[0] ?? 5);
const info = await initBackend('wasm', { threads: 2 });
const spec = dadfCpuSpec();
const dims = modelDims(spec);
const batch = spec.train.batch;
const model = createModel(spec, dims, 0);
const images = 2 * batch;
const rng = mulberry32(1);
const features = dims.scales.map((s) => Array.from({ length: images }, () => normalArray(s.size * s.size * s.channels, 0, 1, rng)));
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

console.log(`${describeBackend(info)}; load average ${load()}`);
const cacheStart = performance.now();
const cached = reconstructAll(model, features, dims, batch);
console.log(`cache: ${images} images in ${((performance.now() - cacheStart) / 1000).toFixed(2)} s (once per stage-2 run)`);

function step(indices: number[], reconstruct: (prior: tf.Tensor4D[]) => Reconstruction): void {
  const prior = batchTensors(features, indices, dims);
  const rec = reconstruct(prior);
  const { value, grads } = tf.variableGrads(() => model.flowLoss(prior, rec), model.flowVariables());
  value.dataSync();
  tf.dispose([value, ...Object.values(grads), ...prior, ...rec.self, ...rec.memory]);
}

const variants: [string, (indices: number[]) => void][] = [
  ['transformer forward in every step', (indices) => step(indices, (prior) => model.reconstruct(prior))],
  ['cached reconstructions', (indices) => step(indices, () => batchReconstruction(cached, indices, dims))],
];
const wall: number[][] = variants.map(() => []);
const cpu: number[][] = variants.map(() => []);
for (let r = -1; r < reps; r++) {
  const indices = Array.from({ length: batch }, (_, k) => (r * 3 + k * 5 + 7) % images);
  variants.forEach(([, run], v) => {
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    run(indices);
    const c = process.cpuUsage(c0);
    if (r < 0) return; // warm-up
    wall[v].push(performance.now() - w0);
    cpu[v].push((c.user + c.system) / 1000);
  });
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`dadf-cpu stage-2 step at batch ${batch} (${dims.inputSize} px), median of ${reps} interleaved reps:`);
variants.forEach(([name], v) =>
  console.log(`  ${name.padEnd(36)} wall ${median(wall[v]).toFixed(0).padStart(6)} ms   cpu ${median(cpu[v]).toFixed(0).padStart(6)} ms`),
);
console.log(
  `  cached / per-step: wall ${(median(wall[1]) / median(wall[0])).toFixed(2)}, cpu ${(median(cpu[1]) / median(cpu[0])).toFixed(2)}; load average after ${load()}`,
);
model.dispose();
