// Memory of `dadfc predict` over many images, with a tiny run, writing every map, mask and
// overlay. Inputs: N distinct seeded noise PNGs at 64 px (default 10,000), or with --from DIR
// N symlinks to DIR's images taken in turn (real photos, decoded and resized like any input;
// repeated contents may be served by predict's small in-memory feature cache).
// In process (default) it calls predictStream and prints resident memory, JS heap, external
// memory and live tensors every 10 % of the way. With --cli it runs the real command,
// `dadfc predict RUN INPUTS --json`, and samples that process's resident memory as its lines
// arrive. Flat columns mean nothing is kept per image.
// Usage: node --import tsx bench/predict.ts [N] [--from DIR] [--cli]
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { extname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
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
import { pipelinesDir, repoRoot, tempDir } from '../test/compiler/helpers.ts';

const { values: flags, positionals } = parseArgs({ allowPositionals: true, options: { from: { type: 'string' }, cli: { type: 'boolean' } } });
const count = Number(positionals[0] ?? 10_000);
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
  pipelineText: toDadf(compiled.spec),
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
const name = (i: number) => String(i).padStart(5, '0');
if (flags.from) {
  const sources = (await expandInputs([flags.from])).map((input) => input.path);
  for (let i = 0; i < count; i++) {
    const source = sources[i % sources.length];
    symlinkSync(source, join(inputs, name(i) + extname(source)));
  }
} else {
  const random = mulberry32(7);
  for (let i = 0; i < count; i++) {
    const pixels = Buffer.alloc(size * size * 3);
    for (let k = 0; k < pixels.length; k++) pixels[k] = Math.floor(random() * 256);
    await sharp(pixels, { raw: { width: size, height: size, channels: 3 } })
      .png()
      .toFile(join(inputs, `${name(i)}.png`));
  }
}

const what = flags.from ? `symlinks to the images under ${flags.from}` : `distinct ${size}px noise images`;
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0).padStart(8);
const started = performance.now();
const rate = (done: number) => (done / ((performance.now() - started) / 1000)).toFixed(1).padStart(8);
const every = Math.max(1, Math.round(count / 10));
const sampleAt = (done: number) => done === 1 || done % every === 0;
const out = join(root, 'out');

if (flags.cli) {
  console.log(`dadfc predict RUN (${count} ${what}) --json, tiny pipeline, its own process`);
  console.log('images   rss MiB  images/s');
  const child = spawn(process.execPath, [join(repoRoot, 'bin/dadfc.js'), 'predict', runDir, inputs, '--json', '--no-cache', '-o', out], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // VmRSS of the child from /proc (Linux), in bytes.
  const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN) * 1024;
  let done = 0;
  let peak = 0;
  for await (const line of createInterface({ input: child.stdout })) {
    if (!line.includes('"kind":"prediction"')) continue;
    done++;
    const rss = rssOf(child.pid as number);
    peak = Math.max(peak, rss);
    if (sampleAt(done)) console.log(`${String(done).padStart(6)}  ${mib(rss)}  ${rate(done)}`);
  }
  const code = await new Promise((resolve) => child.on('close', resolve));
  console.log(`exit ${code}; peak resident ${mib(peak).trim()} MiB over ${done} predictions`);
} else {
  const opened = await openRun(runDir, { cache });
  console.log(`predictStream over ${count} ${what}, tiny pipeline, ${backend.description}`);
  console.log('images   rss MiB  heap MiB  external MiB  tensors  images/s');
  let done = 0;
  for await (const result of predictStream(opened, await expandInputs([inputs]), out, { score: tfjsScorer(opened), progress: silentProgress })) {
    if (result.kind !== 'prediction') continue;
    done++;
    if (!sampleAt(done)) continue;
    const m = process.memoryUsage();
    console.log(
      `${String(done).padStart(6)}  ${mib(m.rss)}  ${mib(m.heapUsed)}      ${mib(m.external)}  ${String(tf.memory().numTensors).padStart(7)}  ${rate(done)}`,
    );
  }
  opened.dispose();
  console.log(`peak resident ${mib(process.resourceUsage().maxRSS * 1024).trim()} MiB (the whole process, training the tiny run included)`);
}
rmSync(root, { recursive: true, force: true });
