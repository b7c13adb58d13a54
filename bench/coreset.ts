// The knn head's greedy coreset: the plain k-center greedy (every point against every new
// centre, as knn.ts had it) against the pruned one in runtime/heads/coreset.ts, on the projected
// training patches a pipeline's knn head really sees. Prints seconds, the ratio and whether both
// chose the same patches.
//
//   node --import tsx bench/coreset.ts [--pipeline pipelines/patchcore.dadf] [--data DIR]
//        [--coreset 0.01,0.1] [--images N] [--no-plain]
// Without the data folder (../shared absent) it times 28 672 clustered random points instead.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { headDims } from '../compiler/blocks/fitted-heads.ts';
import { compilePipeline } from '../compiler/index.ts';
import { initBackend, describeBackend } from '../runtime/backend.ts';
import { FeatureCache } from '../runtime/features/index.ts';
import { greedyCoreset } from '../runtime/heads/coreset.ts';
import { patchSource } from '../runtime/heads/index.ts';
import { bankSize, coresetStart, projectPatches } from '../runtime/heads/knn.ts';
import { mulberry32, normalArray } from '../runtime/model/prng.ts';
import { prepareTraining } from '../runtime/train/prepare.ts';
import { plainGreedyCoreset } from '../test/heads/reference/greedy-coreset.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shared = process.env.DADF_SHARED ?? resolve(root, '../shared');
const { values: args } = parseArgs({
  options: {
    pipeline: { type: 'string', default: join(root, 'pipelines/patchcore.dadf') },
    data: { type: 'string', default: join(shared, 'data/hazelnut_toy') },
    coreset: { type: 'string', default: '0.01,0.1' },
    images: { type: 'string' },
    'no-plain': { type: 'boolean', default: false },
  },
});

interface Points {
  points: Float32Array;
  patches: number;
  dims: number;
  seed: number;
  label: string;
}

async function pipelinePoints(): Promise<Points> {
  const compiled = compilePipeline(args.pipeline!);
  const spec = compiled.spec;
  if (!spec?.heads.knn) throw new Error(`${args.pipeline} has no knn head (or does not compile)`);
  const prepared = await prepareTraining({
    spec,
    pipelineText: '',
    weightsPath: compiled.weights?.path,
    dataDir: args.data!,
    runDir: '',
    backendName: '',
    cache: FeatureCache.open(),
    progress: () => {},
  });
  const limit = args.images ? Number(args.images) : prepared.trainSet[0].length;
  const features = prepared.trainSet.map((perImage) => perImage.slice(0, limit));
  const source = patchSource(features, prepared.dims, headDims(spec, prepared.dims, 'knn'));
  const { points, patches, dims } = projectPatches(source, { projection: spec.heads.knn.projection, seed: spec.train.seed });
  return { points, patches, dims, seed: spec.train.seed, label: `${spec.name} on ${args.data} (${limit} images)` };
}

/** Patch-like data when the data set is absent: 40 clusters in 128 dimensions. */
function syntheticPoints(): Points {
  const [n, d, clusters] = [28672, 128, 40];
  const rng = mulberry32(1);
  const centres = normalArray(clusters * d, 0, 3, rng);
  const points = normalArray(n * d, 0, 1, rng);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(rng() * clusters);
    for (let j = 0; j < d; j++) points[i * d + j] += centres[c * d + j];
  }
  return { points, patches: n, dims: d, seed: 0, label: `synthetic: ${n} points in ${clusters} clusters (no data at ${args.data})` };
}

console.log(describeBackend(await initBackend()));
const data = existsSync(args.data!) ? await pipelinePoints() : syntheticPoints();
console.log(`${data.label}: ${data.patches} patches × ${data.dims} projected dimensions`);

function time<T>(run: () => T): { value: T; seconds: number } {
  const started = performance.now();
  const value = run();
  return { value, seconds: (performance.now() - started) / 1000 };
}

for (const fraction of args.coreset!.split(',').map(Number)) {
  const keep = bankSize(data.patches, fraction);
  const start = coresetStart(data.patches, data.seed);
  const pruned = time(() => greedyCoreset(data.points, data.patches, data.dims, keep, start));
  let line = `coreset ${fraction} (${keep} of ${data.patches}): pruned ${pruned.seconds.toFixed(2)} s`;
  if (!args['no-plain']) {
    const plain = time(() => plainGreedyCoreset(data.points, data.patches, data.dims, keep, start));
    const same = plain.value.every((v, i) => v === pruned.value[i]);
    line += `, plain ${plain.seconds.toFixed(2)} s, ${(plain.seconds / pruned.seconds).toFixed(1)}× faster; ${same ? 'the same patches' : 'DIFFERENT patches'}`;
  }
  console.log(line);
}
