// dadf-cpu training and inference speed as ratios measured in one run (issue 7):
//   1. a training step with fastOps vs the same step with stock tfjs ops;
//   2. the model's matmul kernels vs the best plain 2-D matmul throughput wasm reaches here;
//   3. inference images/s at the pipeline's size on 2 threads, backbone included;
//   4. memory (peak RSS, tfjs bytes) over training epochs: no growth.
// Random features of the pipeline's sizes (the speed of a step does not depend on the values).
// Usage: node --import tsx bench/training.ts [--set key=value]... [--only 1|2|3|4]...
import * as tf from '@tensorflow/tfjs-core';
import { unitCalibration } from '../runtime/train/calibration.ts';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compilePipeline } from '../compiler/index.ts';
import { modelDims, type ModelDims } from '../compiler/dims.ts';
import type { Spec } from '../compiler/spec.ts';
import { initBackend } from '../runtime/backend.ts';
import { loadBackbone } from '../runtime/backbones/index.ts';
import { createModel, type DadfModel } from '../runtime/model/index.ts';
import { stockOps } from '../runtime/ops/index.ts';
import { clipByGlobalNorm, Optimizer } from '../runtime/train/optimizer.ts';
import { medianSeconds as time, randomFeatures as features } from './lib/timing.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const sets = args.flatMap((a, i) => (a === '--set' ? [args[i + 1]] : []));
const only = args.flatMap((a, i) => (a === '--only' ? [Number(args[i + 1])] : []));
const part = (n: number) => only.length === 0 || only.includes(n);

function compile(extra: string[] = []): { spec: Spec; dims: ModelDims } {
  const c = compilePipeline(join(repoRoot, 'pipelines/dadf-cpu.dadf'), { sets: [...sets, ...extra] });
  if (!c.spec) throw new Error(`dadf-cpu does not check: ${c.diagnostics.map((d) => d.message).join('; ')}`);
  return { spec: c.spec, dims: modelDims(c.spec) };
}

type Stage = 'reconstruct' | 'flow';
function step(model: DadfModel, prior: tf.Tensor4D[], stage: Stage, optimizer?: Optimizer): void {
  const rec = stage === 'flow' ? model.reconstruct(prior) : undefined;
  const loss = () => (stage === 'reconstruct' ? model.reconstructionLoss(prior, model.reconstruct(prior)) : model.flowLoss(prior, rec!));
  const { value, grads } = tf.variableGrads(loss, stage === 'reconstruct' ? model.transformerVariables() : model.flowVariables());
  value.dataSync();
  if (optimizer) {
    const clipped = clipByGlobalNorm(grads, 1);
    optimizer.apply(clipped);
    if (clipped !== grads) tf.dispose(Object.values(clipped));
  }
  tf.dispose([value, ...Object.values(grads), ...(rec ? [...rec.self, ...rec.memory] : [])]);
}

const fmt = (x: number, d = 2) => x.toFixed(d);
const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
const load = () => loadavg()[0];
const loadNote = () => `load ${fmt(load())}${load() > 2.5 ? ' (machine busy: absolute times inflated, ratios less so)' : ''}`;

const full = compile();
const batch = full.spec.train.batch;
const s = full.dims;
console.log(
  `dadf-cpu: ${s.inputSize} px, batch ${batch}, width ${s.width}, depth ${full.spec.transformer.depth}, heads ${s.heads}, ${s.tokens} tokens; ` +
    `flows of ${full.spec.flow.steps} steps on ${s.scales.map((x) => `${x.size}²×${x.flowChannels}`).join(', ')}`,
);

// --- 1. fast vs stock training step ---------------------------------------------------------
// Stock tfjs cannot train this model on wasm (no Conv2DBackpropFilter / depthwise backprop
// kernels there), so the training ratio is measured on the cpu backend at a reduced size, and
// the forward ratio on wasm at full size.
const small = compile(['input.size=64', 'transformer.memory.tokens=16']);
const smallBatch = 2;
if (part(1)) {
  await initBackend('cpu');
  const prior = features(small.dims, smallBatch);
  const fast = createModel(small.spec, small.dims, 0);
  const stock = createModel(small.spec, small.dims, 0, { ops: stockOps });
  for (const stage of ['reconstruct', 'flow'] as Stage[]) {
    // One run each: the cpu backend has no warm-up cost worth a second (slow) run.
    const tFast = time(() => step(fast, prior, stage), 1, false);
    const tStock = time(() => step(stock, prior, stage), 1, false);
    console.log(
      `[1] cpu backend, 64 px, batch ${smallBatch}, ${stage} step: fast ${fmt(tFast)} s, stock ${fmt(tStock)} s → fast is ${fmt(tStock / tFast, 1)}× the stock speed`,
    );
  }
  fast.dispose();
  stock.dispose();
  tf.dispose(prior);
}

const info = await initBackend('wasm', { threads: 2 });
console.log(`wasm: ${info.description}; ${loadNote()}`);
const prior = features(full.dims, batch);
const fast = createModel(full.spec, full.dims, 0);
if (part(1)) {
  // Whether stock ops train on wasm at all: tried at the small size (the answer is the same).
  let stockTrains = 'trains';
  {
    const tiny = createModel(small.spec, small.dims, 0, { ops: stockOps });
    const tinyPrior = features(small.dims, smallBatch);
    try {
      step(tiny, tinyPrior, 'flow');
    } catch (error) {
      stockTrains = `cannot train on wasm: ${(error as Error).message.split('\n')[0]}`;
    }
    tiny.dispose();
    tf.dispose(tinyPrior);
  }
  const stock = createModel(full.spec, full.dims, 0, { ops: stockOps });
  const forward = (m: DadfModel) => () => {
    const r = m.reconstruct(prior);
    r.self[0].dataSync();
    tf.dispose([...r.self, ...r.memory]);
  };
  const tFast = time(forward(fast), 2);
  const tStock = time(forward(stock), 2);
  console.log(
    `[1] wasm, ${s.inputSize} px, batch ${batch}, transformer forward: fast ${fmt(tFast)} s, stock ${fmt(tStock)} s → ${fmt(tStock / tFast, 1)}×; stock flow step ${stockTrains}`,
  );
  stock.dispose();
}

// --- 2. matmul throughput ------------------------------------------------------------------
function gflops(m: number, k: number, n: number): number {
  const a = tf.randomNormal([m, k]);
  const b = tf.randomNormal([k, n]);
  const sec = time(() => tf.tidy(() => void tf.matMul(a, b).dataSync()), 3);
  tf.dispose([a, b]);
  return (2 * m * k * n) / sec / 1e9;
}
const best = part(2) ? Math.max(gflops(2048, 512, 512), gflops(4096, 192, 576), gflops(1024, 1024, 1024)) : 0;
for (const stage of part(2) ? (['reconstruct', 'flow'] as Stage[]) : []) {
  step(fast, prior, stage);
  const p = await tf.profile(() => step(fast, prior, stage));
  let flop = 0;
  let ms = 0;
  let all = 0;
  for (const k of p.kernels) {
    if (k.name === 'unnamed scope') continue;
    all += Number(k.kernelTimeMs) || 0;
    if (k.name !== 'BatchMatMul') continue;
    const [a, b] = k.inputShapes as number[][];
    const out = k.outputShapes[0] as number[];
    const kdim = a[a.length - 1] === out[out.length - 2] && a.length === 2 ? b[0] : a[a.length - 1];
    flop += 2 * out.reduce((x, y) => x * y, 1) * kdim;
    ms += Number(k.kernelTimeMs) || 0;
  }
  const rate = flop / (ms / 1000) / 1e9;
  console.log(
    `[2] ${stage} step: matmul kernels ${fmt(rate, 1)} GFLOP/s = ${fmt((100 * rate) / best, 0)}% of the best plain 2-D matmul (${fmt(best, 1)} GFLOP/s); ` +
      `matmuls are ${fmt((100 * ms) / all, 0)}% of kernel time; ${loadNote()}`,
  );
}

// --- 3. inference with the backbone --------------------------------------------------------
if (part(3)) {
  const alpha = full.spec.backbone.alpha;
  const weights = join(process.env.DADF_SHARED ?? resolve(repoRoot, '../shared'), `weights/mobilenet_v1_${alpha.toFixed(alpha === 1 ? 1 : 2)}_224/model.json`);
  const pretrained = existsSync(weights);
  const backbone = await loadBackbone({
    arch: full.spec.backbone.arch,
    alpha,
    weights: pretrained ? weights : undefined,
    random: !pretrained,
    seed: 0,
    taps: s.scales.map((x) => x.tap),
  });
  const images = tf.randomUniform([batch, s.inputSize, s.inputSize, 3], 0, 255) as tf.Tensor4D;
  const infer = () => {
    const taps = backbone.extract(images);
    const feats = s.scales.map((x) => taps[x.tap]);
    const out = fast.anomalyMaps(feats, unitCalibration(fast.dims));
    out.scores.dataSync();
    tf.dispose([...Object.values(taps), out.maps, out.scores]);
  };
  const sec = time(infer, 2);
  console.log(
    `[3] inference at ${s.inputSize} px, batch ${batch}, backbone (${pretrained ? 'ImageNet weights' : 'random weights'}) included: ${fmt(batch / sec, 1)} images/s on 2 threads; ${loadNote()}`,
  );
  tf.dispose(images);
  backbone.dispose();
}

// --- 4. memory over epochs -----------------------------------------------------------------
if (part(4)) {
  const epochs = 3;
  const stepsPerEpoch = 2;
  let peak = process.memoryUsage().rss;
  const rows: string[] = [];
  for (const stage of ['reconstruct', 'flow'] as Stage[]) {
    const vars = stage === 'reconstruct' ? fast.transformerVariables() : fast.flowVariables();
    const optimizer = new Optimizer(vars, full.spec.train.optimizer, 1e-4);
    const bytes: number[] = [];
    for (let e = 0; e < epochs; e++) {
      for (let k = 0; k < stepsPerEpoch; k++) {
        step(fast, prior, stage, optimizer);
        peak = Math.max(peak, process.memoryUsage().rss);
      }
      bytes.push(tf.memory().numBytes);
    }
    rows.push(`${stage}: tfjs bytes after each epoch ${bytes.map(mib).join(', ')}${bytes.every((b) => b === bytes[0]) ? ' (no growth)' : ' (GROWS)'}`);
  }
  console.log(`[4] memory, ${epochs} epochs × ${stepsPerEpoch} steps per stage at batch ${batch}: ${rows.join('; ')}; peak RSS ${mib(peak)}`);
}
fast.dispose();
tf.dispose(prior);
