// Memory of `dadfc predict` over many images: predictStream on N distinct images (default
// 10,000 seeded noise PNGs at 64 px) with a tiny run, writing every map, mask and overlay.
// Prints resident memory, JS heap and live tensors every 10 % of the way: flat columns mean
// nothing is kept per image.
// Usage: node --import tsx bench/predict.ts [N]
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { compilePipeline } from '../compiler/index.ts';
import { toDadf } from '../compiler/print.ts';
import { initBackend } from '../runtime/backend.ts';
import { FeatureCache } from '../runtime/features/index.ts';
import { expandInputs } from '../runtime/inference/inputs.ts';
import { openRun } from '../runtime/inference/open-run.ts';
import { predictStream, tfjsScorer } from '../runtime/inference/predict.ts';
import { silentProgress } from '../runtime/progress.ts';
import { mulberry32 } from '../runtime/random.ts';
import { generateSyntheticDataset } from '../runtime/synth/index.ts';
import { train } from '../runtime/train/trainer.ts';
import { pipelinesDir, tempDir } from '../test/compiler/helpers.ts';

const count = Number(process.argv[2] ?? 10_000);
const size = 64;
const backend = await initBackend();
const root = tempDir();
const data = join(root, 'synth');
await generateSyntheticDataset({ dir: data, seed: 1, category: 'bottle', size, trainCount: 12, testGoodCount: 2, testPerDefect: 1 });
const compiled = compilePipeline(join(pipelinesDir, 'tiny.dadf'), {
  sets: ['train.stages.reconstruct.epochs=1', 'train.stages.flow.epochs=1', 'train.validation=0.25'],
});
if (!compiled.spec) throw new Error('tiny.dadf does not compile');
const runDir = join(root, 'run');
const cache = FeatureCache.open({ dir: null });
const trained = await train({
  spec: compiled.spec,
  pipelineText: toDadf(compiled.spec as never),
  dataDir: data,
  runDir,
  backendName: backend.name,
  cache,
  progress: silentProgress,
});
trained.model?.dispose();
trained.backbone.dispose();

const inputs = join(root, 'inputs');
mkdirSync(inputs);
const random = mulberry32(7);
for (let i = 0; i < count; i++) {
  const pixels = Buffer.alloc(size * size * 3);
  for (let k = 0; k < pixels.length; k++) pixels[k] = Math.floor(random() * 256);
  await sharp(pixels, { raw: { width: size, height: size, channels: 3 } })
    .png()
    .toFile(join(inputs, `${String(i).padStart(5, '0')}.png`));
}

const opened = await openRun(runDir, { cache });
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0).padStart(6);
console.log(`predict over ${count} distinct ${size}px images, tiny pipeline, ${backend.description}`);
console.log('images   rss MiB  heap MiB  tensors  images/s');
const started = performance.now();
let done = 0;
for await (const result of predictStream(opened, await expandInputs([inputs]), join(root, 'out'), { score: tfjsScorer(opened), progress: silentProgress })) {
  if (result.kind !== 'prediction') continue;
  done++;
  if (done % Math.max(1, Math.round(count / 10)) === 0 || done === 1) {
    const m = process.memoryUsage();
    const rate = done / ((performance.now() - started) / 1000);
    console.log(
      `${String(done).padStart(6)}  ${mib(m.rss)}    ${mib(m.heapUsed)}  ${String(tf.memory().numTensors).padStart(7)}  ${rate.toFixed(1).padStart(8)}`,
    );
  }
}
opened.dispose();
console.log(`temp folder: ${root}`);
