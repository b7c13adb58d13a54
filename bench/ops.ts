// Op and model-step throughput per backend: 1024² matmul GFLOP/s (cpu, wasm 1 thread, wasm 2
// threads) and ms per stage-1 step / stage-2 step / forward for small configs, fast ops vs the
// same model written with stock tfjs ops (conv2d, depthwiseConv2d, batched matMul).
// Prints figures; not a test. Usage: node --import tsx bench/ops.ts [--quick]
// Each backend runs in its own process: the wasm module fixes its thread count at start.
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { unitCalibration } from '../runtime/train/calibration.ts';
import { modelDims } from '../compiler/dims.ts';
import { compilePipeline } from '../compiler/index.ts';
import type { Spec } from '../compiler/spec.ts';
import { initBackend } from '../runtime/backend.ts';
import { createModel } from '../runtime/model/index.ts';
import { mulberry32, normalArray } from '../runtime/model/prng.ts';
import { fastOps, stockOps, type Ops } from '../runtime/ops/index.ts';

interface Setting {
  label: string;
  backend: 'cpu' | 'wasm';
  threads: number;
  /** Model configs to time on this backend. */
  configs: string[];
}

const quick = process.argv.includes('--quick');
const SETTINGS: Setting[] = [
  { label: 'cpu (pure JS)', backend: 'cpu', threads: 1, configs: ['tiny'] },
  { label: 'wasm 1 thread', backend: 'wasm', threads: 1, configs: quick ? [] : ['tiny', 'small'] },
  { label: 'wasm 2 threads', backend: 'wasm', threads: 2, configs: ['tiny', 'small'] },
];

/** Model configs from pipelines/tiny.dadf: `tiny` as it is; `small` a dadf-cpu-like model at 128 px. */
function config(name: string): { spec: Spec; batch: number } {
  const small = [
    'input.size=128',
    'backbone.alpha=1',
    'embed.dim=64',
    'transformer.depth=2',
    'transformer.heads=4',
    'transformer.memory.tokens=64',
    'flow.steps=4',
  ];
  const sets = ['train.optimizer=adam(lr: 1e-3, weight_decay: 0)', ...(name === 'tiny' ? [] : small), `name=${name}`];
  const compiled = compilePipeline(fileURLToPath(new URL('../pipelines/tiny.dadf', import.meta.url)), { sets });
  if (!compiled.spec) throw new Error(`bench config ${name} does not check: ${compiled.diagnostics.map((d) => d.message).join('; ')}`);
  return { spec: compiled.spec, batch: 4 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** ms per call: one warm-up, then the median of `reps`. */
function time(fn: () => void, reps: number): number {
  fn();
  const out: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    out.push(performance.now() - t0);
  }
  return median(out);
}

function matmulGflops(reps: number): number {
  const a = tf.randomNormal([1024, 1024]);
  const b = tf.randomNormal([1024, 1024]);
  const ms = time(() => tf.tidy(() => void tf.matMul(a, b).dataSync()), reps);
  tf.dispose([a, b]);
  return (2 * 1024 ** 3) / (ms * 1e6);
}

interface StepTimes {
  stage1: number | string;
  stage2: number | string;
  forward: number | string;
}

function stepTimes(name: string, ops: Ops, reps: number): StepTimes {
  const { spec, batch } = config(name);
  const dims = modelDims(spec);
  const model = createModel(spec, dims, 0, { ops });
  const rng = mulberry32(1);
  const prior = dims.scales.map((s) => tf.tensor4d(normalArray(batch * s.size * s.size * s.channels, 0, 1, rng), [batch, s.size, s.size, s.channels]));
  const opt1 = tf.train.adam(1e-4);
  const opt2 = tf.train.adam(1e-4);
  const rec = model.reconstruct(prior);
  const attempt = (fn: () => void): number | string => {
    try {
      return time(fn, reps);
    } catch (error) {
      return `fails: ${String((error as Error).message ?? error)
        .split('\n')[0]
        .slice(0, 70)}`;
    }
  };
  const result: StepTimes = {
    stage1: attempt(() => void opt1.minimize(() => model.reconstructionLoss(prior, model.reconstruct(prior)), false, model.transformerVariables())),
    stage2: attempt(() => void opt2.minimize(() => model.flowLoss(prior, rec), false, model.flowVariables())),
    forward: attempt(() => {
      const out = model.anomalyMaps(prior, unitCalibration(model.dims));
      out.scores.dataSync();
      tf.dispose([out.maps, out.scores]);
    }),
  };
  tf.dispose([...prior, ...rec.self, ...rec.memory]);
  opt1.dispose();
  opt2.dispose();
  model.dispose();
  return result;
}

async function child(setting: Setting): Promise<void> {
  const info = await initBackend(setting.backend, { threads: setting.threads });
  const slow = setting.backend === 'cpu';
  const gflops = matmulGflops(slow ? 2 : 8);
  const steps: Record<string, { fast: StepTimes; stock: StepTimes }> = {};
  for (const name of setting.configs) {
    const reps = slow || name === 'small' ? 3 : 5;
    steps[name] = { fast: stepTimes(name, fastOps, reps), stock: stepTimes(name, stockOps, reps) };
  }
  process.stdout.write(JSON.stringify({ description: info.description, gflops, steps }) + '\n');
}

const fmt = (v: number | string) => (typeof v === 'number' ? `${v.toFixed(1)} ms` : v);
const ratio = (stock: number | string, fast: number | string) =>
  typeof stock === 'number' && typeof fast === 'number' ? `${(stock / fast).toFixed(2)}×` : typeof fast === 'number' ? 'stock cannot run' : '—';

function main(): void {
  const self = fileURLToPath(import.meta.url);
  console.log('dadf bench: ops and model steps (median of repeated runs; batch 4)');
  // Other processes on the machine skew wall times; say how busy it was.
  console.log(
    `load average at start: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  for (const setting of SETTINGS) {
    const run = spawnSync(process.execPath, ['--import', 'tsx', self, '--child', JSON.stringify(setting)], { encoding: 'utf8' });
    const line = run.stdout.trim().split('\n').pop() ?? '';
    if (run.status !== 0 || !line.startsWith('{')) {
      console.log(`\n${setting.label}: failed\n${run.stderr.slice(-800)}`);
      continue;
    }
    const r = JSON.parse(line) as { description: string; gflops: number; steps: Record<string, { fast: StepTimes; stock: StepTimes }> };
    console.log(`\n${setting.label} — ${r.description}`);
    console.log(`  matmul 1024²: ${r.gflops.toFixed(1)} GFLOP/s`);
    for (const [name, { fast, stock }] of Object.entries(r.steps)) {
      console.log(`  ${name}:`);
      for (const key of ['stage1', 'stage2', 'forward'] as const) {
        console.log(`    ${key.padEnd(8)} fast ${fmt(fast[key]).padEnd(12)} stock ${fmt(stock[key]).padEnd(12)} stock/fast ${ratio(stock[key], fast[key])}`);
      }
    }
  }
}

const childArg = process.argv.indexOf('--child');
if (childArg >= 0) await child(JSON.parse(process.argv[childArg + 1]) as Setting);
else main();
