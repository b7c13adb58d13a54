// Per-kernel time of the small config's flows on a backend (tf.profile): where a stage-2
// step goes. Usage: node --import tsx bench/profile-flow.ts [forward|grad] [backend]
import * as tf from '@tensorflow/tfjs-core';
import { modelDims } from '../compiler/dims.ts';
import { initBackend } from '../runtime/backend.ts';
import { createModel } from '../runtime/model/index.ts';
import { mulberry32, normalArray } from '../runtime/model/prng.ts';
import { tinySpec } from '../test/model/tiny-spec.ts';

const mode = process.argv[2] ?? 'grad';
const info = await initBackend(process.argv[3] ?? 'wasm');
const spec = tinySpec({
  input: { size: 128 },
  backbone: { alpha: 1 },
  embed: { dim: 64 },
  transformer: { depth: 2, heads: 4, memory: { tokens: 64 } },
  flow: { steps: 4 },
});
const dims = modelDims(spec);
const model = createModel(spec, dims, 0);
const rng = mulberry32(1);
const batch = 4;
const prior = dims.scales.map((s) => tf.tensor4d(normalArray(batch * s.size * s.size * s.channels, 0, 1, rng), [batch, s.size, s.size, s.channels]));
const rec = model.reconstruct(prior);
const run = () => {
  if (mode === 'forward') {
    tf.tidy(() => void model.flowLoss(prior, rec).dataSync());
    return;
  }
  const g = tf.variableGrads(() => model.flowLoss(prior, rec), model.flowVariables());
  g.value.dataSync();
  tf.dispose([g.value, ...Object.values(g.grads)]);
};
run();
const profile = await tf.profile(run);
const byKernel = new Map<string, number>();
for (const k of profile.kernels) byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + (k.kernelTimeMs as number));
console.log(
  `${info.description}; flows of a 128 px, batch ${batch} model, ${mode}; kernel ms (custom-gradient ops show as "unnamed scope", which nests kernels also listed):`,
);
for (const [name, ms] of [...byKernel.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`  ${name.padEnd(24)} ${ms.toFixed(0)}`);
