// Do the native kernels (native/*.c: the OpenBLAS matmul, element-wise ops, reductions, data
// movement; runtime/ops/*-kernels.ts) pay? At the
// sizes of issue 19's two models (dadf-cpu, and "lite": α1.0 at 256 px), it
//   [1] records every matrix product of a stage-1 step (batch 8) and a stage-2 flow step
//       (batch 16, reconstructions precomputed, as bench/peer.ts times it) with tf.profile,
//       then times each distinct product on the wasm kernel and on the native one,
//       interleaved, and adds them up as the step calls them;
//   [2] times the whole steps with every native kernel off and on, interleaved.
// CPU time (process.cpuUsage, all threads) beside wall time: the machine is shared.
// Usage: node --import tsx bench/blas.ts [--only cpu|lite]... [--reps 3] [--no-products] [--no-steps]
import * as tf from '@tensorflow/tfjs-core';
import { loadavg } from 'node:os';
import { modelDims } from '../compiler/dims.ts';
import { describeBackend, initBackend } from '../runtime/backend.ts';
import { createModel } from '../runtime/model/index.ts';
import { useNativeKernels } from '../runtime/ops/blas-kernels.ts';
import { flowGrads } from '../runtime/train/microbatch.ts';
import { cliOption, dadfCpuSpec, PEER_SIZES, type PeerSize } from './lib/dadf-cpu.ts';
import { randomFeatures } from './lib/timing.ts';

const reps = Number(cliOption('reps')[0] ?? 3);
const sizes = (cliOption('only').length ? cliOption('only') : Object.keys(PEER_SIZES)) as PeerSize[];
const info = await initBackend('wasm', { threads: 2 });
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
console.log(`${describeBackend(info)}; load average ${load()}`);
if (!info.matmul?.startsWith('native')) {
  console.log('the native matmul is not available here: nothing to compare (npm run build:native)');
  process.exit(0);
}

interface Timing {
  wall: number;
  cpu: number;
}

/** Median wall and CPU ms of `run`, with the native matmul on and off in turn (after one warm-up each). */
function abTimes(run: () => void, count: number): { wasm: Timing; native: Timing } {
  const samples: Record<'wasm' | 'native', Timing[]> = { wasm: [], native: [] };
  for (let r = -1; r < count; r++) {
    for (const path of ['wasm', 'native'] as const) {
      useNativeKernels(path === 'native');
      const c0 = process.cpuUsage();
      const w0 = performance.now();
      run();
      const c = process.cpuUsage(c0);
      if (r >= 0) samples[path].push({ wall: performance.now() - w0, cpu: (c.user + c.system) / 1000 });
    }
  }
  useNativeKernels(true);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const of = (ts: Timing[]) => ({ wall: median(ts.map((t) => t.wall)), cpu: median(ts.map((t) => t.cpu)) });
  return { wasm: of(samples.wasm), native: of(samples.native) };
}

/** [batch, m, k, n] of every BatchMatMul a run calls, with how often. */
async function productsOf(run: () => void): Promise<Map<string, number>> {
  const profile = await tf.profile(run);
  const counts = new Map<string, number>();
  for (const kernel of profile.kernels) {
    if (kernel.name !== 'BatchMatMul') continue;
    const out = kernel.outputShapes[0] as number[];
    const a = kernel.inputShapes[0] as number[];
    const [m, n] = out.slice(-2);
    const k = a[a.length - 1] === m && a[a.length - 2] !== m ? a[a.length - 2] : a[a.length - 1];
    const key = [tf.util.sizeFromShape(out.slice(0, -2)), m, k, n].join('x');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

function gradStep(gradsOf: () => { value: tf.Scalar; grads: tf.NamedTensorMap }): () => void {
  return () => {
    const { value, grads } = gradsOf();
    value.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
  };
}

const fmt = (t: Timing) => `${t.wall.toFixed(0).padStart(7)} ms wall ${t.cpu.toFixed(0).padStart(7)} ms cpu`;

for (const size of sizes) {
  const spec = dadfCpuSpec([...PEER_SIZES[size].sets, 'backbone.random=true']);
  const dims = modelDims(spec);
  const model = createModel(spec, dims, 0);
  const prior8 = randomFeatures(dims, 8);
  const prior16 = randomFeatures(dims, 16, 2);
  const rec = model.reconstruct(prior16);
  const steps: [string, () => void][] = [
    [
      'stage-1 step, batch 8',
      gradStep(() => tf.variableGrads(() => model.reconstructionLoss(prior8, model.reconstruct(prior8)), model.transformerVariables())),
    ],
    ['stage-2 step (flows), batch 16', gradStep(() => flowGrads(model, prior16, rec, model.flowVariables()))],
  ];
  console.log(`\n${PEER_SIZES[size].title}; load average ${load()}`);
  if (!process.argv.includes('--no-products'))
    console.log("[1] the step's matrix products alone, each timed on both kernels and summed as the step calls them:");
  for (const [label, step] of process.argv.includes('--no-products') ? [] : steps) {
    let flops = 0;
    let calls = 0;
    const sum = { wasm: { wall: 0, cpu: 0 }, native: { wall: 0, cpu: 0 } };
    for (const [key, count] of await productsOf(step)) {
      const [batch, m, k, n] = key.split('x').map(Number);
      const a = tf.randomNormal([batch, m, k]);
      const b = tf.randomNormal([batch, k, n]);
      const t = abTimes(() => {
        const c = tf.matMul(a, b);
        c.dataSync();
        c.dispose();
      }, reps);
      tf.dispose([a, b]);
      for (const path of ['wasm', 'native'] as const) {
        sum[path].wall += count * t[path].wall;
        sum[path].cpu += count * t[path].cpu;
      }
      flops += count * 2 * batch * m * k * n;
      calls += count;
    }
    const gflops = (t: Timing) => (flops / t.wall / 1e6).toFixed(1);
    console.log(
      `  ${label.padEnd(32)} ${calls} products, ${(flops / 1e9).toFixed(2)} GFLOP: wasm ${fmt(sum.wasm)} (${gflops(sum.wasm)} GFLOP/s), native ${fmt(sum.native)} (${gflops(sum.native)} GFLOP/s); native/wasm cpu ${(sum.native.cpu / sum.wasm.cpu).toFixed(2)}`,
    );
  }
  if (!process.argv.includes('--no-steps')) {
    console.log(`[2] whole steps, every native kernel off and on, interleaved, median of ${reps}:`);
    for (const [label, step] of steps) {
      const t = abTimes(step, reps);
      console.log(
        `  ${label.padEnd(32)} wasm ${fmt(t.wasm)}; native ${fmt(t.native)}; native/wasm wall ${(t.native.wall / t.wasm.wall).toFixed(2)}, cpu ${(t.native.cpu / t.wasm.cpu).toFixed(2)}`,
      );
    }
  }
  console.log(`  load average after ${load()}`);
  tf.dispose([...prior8, ...prior16, ...rec.self, ...rec.memory]);
  model.dispose();
}
