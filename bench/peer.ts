// dadfc side by side with the PyTorch reference of DADF on the same machine (issue 19): a
// stage-1 step, a stage-2 step and inference at the same sizes, in one run, with the ratio
// dadfc / reference per step (below 1: dadfc is faster). Two sizes: dadf-cpu, and "lite"
// (MobileNetV1 α1.0 at 256 px, width 3×64, depth 4, mlp 4, 4 flow steps, 256 memory tokens).
// What each side times, as the reference's --time-only does:
//   stage 1: reconstruction loss, gradients and the AdamW update, batch 8;
//   stage 2: flow loss over cached prior/self/memory features (the frozen transformer pass
//            is not in the step), gradients and the update, batch 16;
//   inference: one preprocessed image through backbone, transformer, flows and the map.
// dadfc runs on random features (a step's speed does not depend on the values); the reference
// on 16 bottle images. Where python3-torch is absent, the reference is skipped and said so.
// Env: DADF_SHARED (weights, data; default ../shared), DADF_TORCH_REFERENCE (the reference's
// script; default ../shared/peers/torch_dadf/dadf_torch.py), DADF_TORCH_PYTHON (/usr/bin/python3).
// Usage: node --import tsx bench/peer.ts [--only cpu|lite]... [--reps 3]
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compilePipeline } from '../compiler/index.ts';
import { modelDims } from '../compiler/dims.ts';
import { initBackend } from '../runtime/backend.ts';
import { loadBackbone } from '../runtime/backbones/index.ts';
import { createModel } from '../runtime/model/index.ts';
import { unitCalibration } from '../runtime/train/calibration.ts';
import { clipByGlobalNorm, Optimizer } from '../runtime/train/optimizer.ts';
import { flowGrads } from '../runtime/train/microbatch.ts';
import { runReference, type ReferenceTimes } from './lib/torch-reference.ts';
import { medianSeconds, randomFeatures } from './lib/timing.ts';
import { PEER_SIZES, type PeerSize } from './lib/dadf-cpu.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shared = resolve(repoRoot, process.env.DADF_SHARED ?? '../shared');
const script = resolve(repoRoot, process.env.DADF_TORCH_REFERENCE ?? '../shared/peers/torch_dadf/dadf_torch.py');
const python = process.env.DADF_TORCH_PYTHON ?? '/usr/bin/python3';
const args = process.argv.slice(2);
const option = (name: string) => args.flatMap((a, i) => (a === `--${name}` ? [args[i + 1]] : []));
const reps = Number(option('reps')[0] ?? 3);

type Size = PeerSize;
const SIZES = PEER_SIZES;
const chosen = (option('only').length ? option('only') : Object.keys(SIZES)) as Size[];
const load = () => loadavg()[0].toFixed(2);
// Progress on stderr: at α1.0 under load one size takes tens of minutes.
const progress = (what: string) => process.stderr.write(`  … ${what} (load ${load()})\n`);

interface Times {
  stage1: number;
  stage2: number;
  inference: number;
}

/** dadfc's times in ms at one size, measured the way the reference measures its own. */
async function measureDadfc(size: Size): Promise<Times | string> {
  const weights = join(shared, `weights/mobilenet_v1_${SIZES[size].alpha}_224/model.json`);
  if (!existsSync(weights)) return `no MobileNetV1 α${SIZES[size].alpha} weights at ${weights}`;
  const compiled = compilePipeline(join(repoRoot, 'pipelines/dadf-cpu.dadf'), { sets: [...SIZES[size].sets, `backbone.weights=${JSON.stringify(weights)}`] });
  if (!compiled.spec) return `the pipeline does not check: ${compiled.diagnostics.map((d) => d.message).join('; ')}`;
  const spec = compiled.spec;
  const dims = modelDims(spec);
  const model = createModel(spec, dims, 0);
  const update = (variables: tf.Variable[], lr: number, gradsOf: (variables: tf.Variable[]) => { value: tf.Scalar; grads: tf.NamedTensorMap }) => {
    const optimizer = new Optimizer(variables, spec.train.optimizer, lr);
    const step = () => {
      const { value, grads } = gradsOf(variables);
      value.dataSync();
      const clipped = spec.train.grad_clip > 0 ? clipByGlobalNorm(grads, spec.train.grad_clip) : grads;
      optimizer.apply(clipped);
      tf.dispose([value, ...Object.values(grads), ...(clipped !== grads ? Object.values(clipped) : [])]);
    };
    const seconds = medianSeconds(step, reps);
    progress(`${size}: dadfc step ${(1000 * seconds).toFixed(0)} ms`);
    return 1000 * seconds;
  };
  const lr = spec.train.optimizer.lr;
  const prior8 = randomFeatures(dims, 8);
  const stage1 = update(model.transformerVariables(), lr, (v) => tf.variableGrads(() => model.reconstructionLoss(prior8, model.reconstruct(prior8)), v));
  const prior16 = randomFeatures(dims, 16, 2);
  const rec = model.reconstruct(prior16);
  // As dadfc run computes it: in pieces where the wasm heap cannot hold the batch's tape (the lite size).
  const stage2 = update(model.flowVariables(), spec.train.stages.flow?.lr ?? lr, (v) => flowGrads(model, prior16, rec, v));
  tf.dispose([...prior8, ...prior16, ...rec.self, ...rec.memory]);

  const backbone = await loadBackbone({ arch: spec.backbone.arch, alpha: spec.backbone.alpha, weights, seed: 0, taps: dims.scales.map((x) => x.tap) });
  const image = tf.randomUniform([1, dims.inputSize, dims.inputSize, 3], 0, 255) as tf.Tensor4D;
  const calibration = unitCalibration(dims);
  const inference = medianSeconds(() => {
    const taps = backbone.extract(image);
    const out = model.anomalyMaps(
      dims.scales.map((x) => taps[x.tap]),
      calibration,
    );
    out.scores.dataSync();
    tf.dispose([...Object.values(taps), out.maps, out.scores]);
  }, reps);
  tf.dispose(image);
  backbone.dispose();
  model.dispose();
  return { stage1, stage2, inference: 1000 * inference };
}

const info = await initBackend('wasm', { threads: 2 });
console.log(
  `dadfc on ${info.description}; reference ${script} run by ${python}; ${reps} timed runs after a warm-up on the dadfc side (the reference: 10, inference after 2 warm-ups)`,
);
console.log(
  `load average at start ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} (2 cores: above ~2 the absolute times are inflated and the ratios only indicative)`,
);
const summary: string[] = [];
for (const size of chosen) {
  if (!SIZES[size]) {
    console.log(`\nno size ${size} (have: ${Object.keys(SIZES).join(', ')})`);
    process.exitCode = 1;
    continue;
  }
  console.log(`\n${SIZES[size].title}`);
  const dadfc = await measureDadfc(size);
  if (typeof dadfc === 'string') {
    console.log(`  dadfc skipped: ${dadfc}`);
    continue;
  }
  const loadDadfc = load();
  progress(`${size}: running the reference`);
  const reference = runReference(script, python, shared, size);
  const peer: ReferenceTimes | undefined = 'times' in reference ? reference.times : undefined;
  if (!peer) console.log(`  reference skipped: ${'skipped' in reference ? reference.skipped : ''}`);
  else console.log(`  reference: torch ${peer.torch}`);
  const rows: [string, keyof Times][] = [
    ['stage-1 step, batch 8', 'stage1'],
    ['stage-2 step (flows), batch 16', 'stage2'],
    ['inference, 1 image', 'inference'],
  ];
  console.log(`  ${'step'.padEnd(32)} ${'dadfc'.padStart(10)} ${'reference'.padStart(10)}  dadfc/reference`);
  for (const [label, key] of rows) {
    const ratio = peer ? (dadfc[key] / peer[key]).toFixed(2) : '—';
    console.log(
      `  ${label.padEnd(32)} ${`${dadfc[key].toFixed(0)} ms`.padStart(10)} ${peer ? `${peer[key].toFixed(0)} ms`.padStart(10) : '—'.padStart(10)}  ${ratio}`,
    );
    if (peer) summary.push(`${size} ${key} ${ratio}`);
  }
  console.log(`  load average after dadfc ${loadDadfc}, after the reference ${load()}`);
}
if (summary.length) console.log(`\nratios dadfc/reference (goal ≤ 1.0): ${summary.join(', ')}`);
