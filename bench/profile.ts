// Where the time of dadf-cpu goes: per-kernel time (tf.profile) of a stage-1 step, a stage-2
// step and an inference batch (model only; the backbone is measured in bench/training.ts), on
// random features of the pipeline's sizes.
// Usage: node --import tsx bench/profile.ts [--backend wasm] [--set key=value]... [--top 14]
//        [--only stage1|stage2|flows|inference]... [--shapes Kernel]... (that kernel's time per input shapes)
import * as tf from '@tensorflow/tfjs-core';
import { unitCalibration } from '../runtime/train/calibration.ts';
import { loadavg } from 'node:os';
import { cliOption, dadfCpuSpec } from './lib/dadf-cpu.ts';
import { modelDims } from '../compiler/dims.ts';
import { initBackend } from '../runtime/backend.ts';
import { createModel, type DadfModel } from '../runtime/model/index.ts';
import { mulberry32, normalArray } from '../runtime/model/prng.ts';

const option = cliOption;
const info = await initBackend(option('backend')[0] ?? 'wasm', { threads: 2 });
const top = Number(option('top')[0] ?? 14);
const byShape = new Set(option('shapes'));
const spec = dadfCpuSpec();
const dims = modelDims(spec);
const batch = spec.train.batch;
const model = createModel(spec, dims, 0);
const rng = mulberry32(1);
const prior = dims.scales.map((s) => tf.tensor4d(normalArray(batch * s.size * s.size * s.channels, 0, 1, rng), [batch, s.size, s.size, s.channels]));

function gradStep(m: DadfModel, stage: 'reconstruct' | 'flow'): void {
  const rec = stage === 'flow' ? m.reconstruct(prior) : undefined;
  const loss = () => (stage === 'reconstruct' ? m.reconstructionLoss(prior, m.reconstruct(prior)) : m.flowLoss(prior, rec!));
  const g = tf.variableGrads(loss, stage === 'reconstruct' ? m.transformerVariables() : m.flowVariables());
  g.value.dataSync();
  tf.dispose([g.value, ...Object.values(g.grads), ...(rec ? [...rec.self, ...rec.memory] : [])]);
}

function inference(m: DadfModel): void {
  const out = m.anomalyMaps(prior, unitCalibration(m.dims));
  out.scores.dataSync();
  tf.dispose([out.maps, out.scores]);
}

async function profile(label: string, run: () => void): Promise<void> {
  run(); // warm-up: kernel setup, first allocations
  const started = performance.now();
  run();
  const wall = performance.now() - started;
  const p = await tf.profile(run);
  const byKernel = new Map<string, { n: number; ms: number }>();
  // Custom-gradient ops appear as "unnamed scope" entries that nest kernels listed on their own.
  for (const k of p.kernels) {
    if (k.name === 'unnamed scope') continue;
    // With --shapes, that kernel is listed once per combination of input shapes (and attributes, where tf.profile gives none: the output shape).
    const key = byShape.has(k.name) ? `${k.name} ${k.inputShapes.map((s) => `[${s}]`).join('·')} → [${k.outputShapes[0] ?? ''}]` : k.name;
    const e = byKernel.get(key) ?? { n: 0, ms: 0 };
    e.n++;
    e.ms += Number(k.kernelTimeMs) || 0;
    byKernel.set(key, e);
  }
  const total = [...byKernel.values()].reduce((s, e) => s + e.ms, 0);
  console.log(`\n${label}: ${(wall / 1000).toFixed(2)} s wall, kernels ${(total / 1000).toFixed(2)} s in ${p.kernels.length} calls`);
  for (const [name, e] of [...byKernel.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, top)) {
    console.log(`  ${name.padEnd(byShape.size > 0 ? 60 : 26)} ${e.ms.toFixed(0).padStart(7)} ms ${((100 * e.ms) / total).toFixed(1).padStart(5)}%  ×${e.n}`);
  }
}

const s = dims.scales;
console.log(
  `${info.description}; load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} (2 cores: above ~2, times are inflated)`,
);
console.log(
  `dadf-cpu at ${dims.inputSize} px, batch ${batch}: width ${dims.width}, depth ${spec.transformer.depth}, heads ${dims.heads}, ` +
    `${dims.tokens} tokens, flow ${spec.flow.steps} steps on ${s.map((x) => `${x.size}²×${x.flowChannels}`).join(', ')}`,
);
const only = option('only');
const want = (part: string) => only.length === 0 || only.includes(part);
if (want('stage1')) await profile(`stage 1 step (reconstruct, batch ${batch})`, () => gradStep(model, 'reconstruct'));
if (want('stage2')) await profile(`stage 2 step (flow, batch ${batch}; transformer forward included)`, () => gradStep(model, 'flow'));
if (want('flows')) {
  // The stage-2 step as the PyTorch reference trains it: reconstructions computed once, outside.
  const rec = model.reconstruct(prior);
  await profile(`stage 2 flows only (batch ${batch}; reconstructions precomputed)`, () => {
    const g = tf.variableGrads(() => model.flowLoss(prior, rec), model.flowVariables());
    g.value.dataSync();
    tf.dispose([g.value, ...Object.values(g.grads)]);
  });
  tf.dispose([...rec.self, ...rec.memory]);
}
if (want('inference')) await profile(`inference (anomalyMaps, batch ${batch}, backbone excluded)`, () => inference(model));
model.dispose();
