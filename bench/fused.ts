// The fused native kernels (runtime/ops/fused-kernels.ts) against the plain formulations they
// replace, both on the native element-wise and matmul kernels, at the shapes of a stage-1 step
// (batch 8: the transformer's [2·8, T, width] streams) of dadf-cpu and of the lite size, and the
// flow's input norm: forward and backward of each op, alternating, median of the reps. Wall and
// CPU time (process.cpuUsage, both threads) per op; the load average is printed with them.
//   node --import tsx bench/fused.ts [--reps 7]
import * as tf from '@tensorflow/tfjs-core';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { describeBackend, initBackend } from '../runtime/backend.ts';
import { mulberry32, normalArray } from '../runtime/model/prng.ts';
import { batchedAttention } from '../runtime/ops/attention.ts';
import { fusedAttention, fusedDualAttention, fusedGelu, fusedKernelsRun, fusedLayerNorm } from '../runtime/ops/fused-kernels.ts';
import { stockOps } from '../runtime/ops/index.ts';
import { plainGelu, plainLayerNorm } from '../runtime/ops/nn.ts';
import { TfjsOps } from '../runtime/tensor-ops/tfjs.ts';

const { values } = parseArgs({ options: { reps: { type: 'string', default: '7' } } });
const reps = Number(values.reps);
console.log(describeBackend(await initBackend('wasm', { threads: 2 })));
if (!fusedKernelsRun()) {
  console.log('the fused kernels do not run here (native addon absent, old or turned off): nothing to compare');
  process.exit(0);
}

const rng = mulberry32(1);
const random = (shape: number[]) => tf.tensor(normalArray(tf.util.sizeFromShape(shape), 0, 1, rng), shape);

type Op = (...xs: tf.Tensor[]) => tf.Tensor;
interface Case {
  name: string;
  shapes: number[][];
  plain: Op;
  fused: Op;
}

const tokenNorm = (axes: number[]) => ({
  plain: (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => plainLayerNorm(x, g, b, 1e-6, axes),
  fused: (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => fusedLayerNorm(x, g, b, 1e-6),
});
const attention = (heads: number) => ({
  plain: (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) => batchedAttention(q as tf.Tensor3D, k as tf.Tensor3D, v as tf.Tensor3D, heads),
  fused: (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) => fusedAttention(q, k, v, heads),
});
// The block's two attentions on the stacked qkv: split + batched attention + concat (the stock ops' path) against one kernel.
const splitOps = new TfjsOps(stockOps);
const dualAttention = (heads: number) => ({
  plain: (qkv: tf.Tensor) => splitOps.dualAttention(qkv, heads, 'memory'),
  fused: (qkv: tf.Tensor) => fusedDualAttention(qkv, heads, 'memory'),
});
const CASES: Case[] = [
  { name: 'token LayerNorm, dadf-cpu [16,64,192]', shapes: [[16, 64, 192], [192], [192]], ...tokenNorm([-1]) },
  { name: 'token LayerNorm, lite [16,256,192]', shapes: [[16, 256, 192], [192], [192]], ...tokenNorm([-1]) },
  {
    name: 'flow input LayerNorm, dadf-cpu [16,32,32,96]',
    shapes: [
      [16, 32, 32, 96],
      [32, 32, 96],
      [32, 32, 96],
    ],
    ...tokenNorm([1, 2, 3]),
  },
  {
    name: 'flow input LayerNorm, lite [1,64,64,384]',
    shapes: [
      [1, 64, 64, 384],
      [64, 64, 384],
      [64, 64, 384],
    ],
    ...tokenNorm([1, 2, 3]),
  },
  { name: 'GELU, dadf-cpu [16,64,384]', shapes: [[16, 64, 384]], plain: plainGelu, fused: fusedGelu },
  { name: 'GELU, lite [16,256,768]', shapes: [[16, 256, 768]], plain: plainGelu, fused: fusedGelu },
  {
    name: 'attention, dadf-cpu [8,64,192], 4 heads',
    shapes: [
      [8, 64, 192],
      [8, 64, 192],
      [8, 64, 192],
    ],
    ...attention(4),
  },
  {
    name: 'attention, lite [8,256,192], 4 heads',
    shapes: [
      [8, 256, 192],
      [8, 256, 192],
      [8, 256, 192],
    ],
    ...attention(4),
  },
  { name: 'dual attention, dadf-cpu qkv [16,64,576]', shapes: [[16, 64, 576]], ...dualAttention(4) },
  { name: 'dual attention, lite qkv [16,256,576]', shapes: [[16, 256, 576]], ...dualAttention(4) },
];

/** One forward and backward of op on inputs under a fixed read-out; wall and CPU ms. */
function time(op: Op, inputs: tf.Tensor[], readout: tf.Tensor): { wall: number; cpu: number } {
  const cpu = process.cpuUsage();
  const started = performance.now();
  tf.tidy(() => {
    const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(op(...xs), readout)))(inputs);
    grads.forEach((g) => g.dataSync());
  });
  const used = process.cpuUsage(cpu);
  return { wall: performance.now() - started, cpu: (used.user + used.system) / 1000 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`forward + backward per op, median of ${reps}; load average ${loadavg()[0].toFixed(2)} at the start`);
for (const c of CASES) {
  const inputs = c.shapes.map(random);
  const readout = tf.tidy(() => random(c.fused(...inputs).shape));
  const runs = { plain: [] as { wall: number; cpu: number }[], fused: [] as { wall: number; cpu: number }[] };
  time(c.plain, inputs, readout); // warm-up: first allocations
  time(c.fused, inputs, readout);
  for (let r = 0; r < reps; r++) {
    runs.plain.push(time(c.plain, inputs, readout));
    runs.fused.push(time(c.fused, inputs, readout));
  }
  const [pw, pc, fw, fc] = [runs.plain, runs.fused].flatMap((rs) => [median(rs.map((r) => r.wall)), median(rs.map((r) => r.cpu))]);
  console.log(
    `  ${c.name.padEnd(46)} plain ${pw.toFixed(1).padStart(6)} ms wall ${pc.toFixed(1).padStart(6)} ms CPU | fused ${fw.toFixed(1).padStart(6)} / ${fc.toFixed(1).padStart(6)} | ${(fw / pw).toFixed(2)} / ${(fc / pc).toFixed(2)}`,
  );
  tf.dispose([...inputs, readout]);
}
console.log(`load average ${loadavg()[0].toFixed(2)} at the end (2 cores: above ~2, times are inflated)`);
