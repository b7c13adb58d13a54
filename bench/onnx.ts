// End-to-end inference images/s, pixels → maps and scores (backbone included), with the tfjs
// engine (the fastest backend that loads here, as `dadfc test` picks it) and the ONNX engine
// (the exported graph on onnxruntime-node, CPU), for pipelines/dadf-cpu (at its 128 px and at the
// 256 px of issue #7's target) and pipelines/dadf.
// Seeded random weights (speed does not depend on their values). Each pipeline runs in its own
// process so the paper-size one does not share memory with the other.
// Usage: node --import tsx bench/onnx.ts [--quick] [dadf-cpu] [dadf-cpu@256] [dadf]   (dadf, the paper size, runs only when named)
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { compilePipeline } from '../compiler/index.ts';
import { modelDims } from '../compiler/dims.ts';
import { initBackend } from '../runtime/backend.ts';
import { loadBackbone } from '../runtime/backbones/index.ts';
import { buildOnnxModel } from '../runtime/export/index.ts';
import { createModel } from '../runtime/model/index.ts';
import { unitCalibration } from '../runtime/train/calibration.ts';
import { seededUniform } from '../runtime/weights/random.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.argv.includes('--quick');

interface Setting {
  /** How the setting is named on the command line and in the output. */
  name: string;
  pipeline: string;
  /** Overrides on the pipeline (e.g. the input size of issue #7's 256 px target). */
  sets?: string[];
  /** Images timed per engine, and the batch they go in. */
  images: number;
  batch: number;
}
const SETTINGS: Setting[] = [
  { name: 'dadf-cpu', pipeline: 'dadf-cpu', images: quick ? 8 : 16, batch: 4 },
  // Issue #7's inference target is dadf-cpu at 256 px (16×16 tokens, so as many memory tokens).
  { name: 'dadf-cpu@256', pipeline: 'dadf-cpu', sets: ['input.size=256', 'transformer.memory.tokens=256'], images: quick ? 8 : 16, batch: 4 },
  { name: 'dadf', pipeline: 'dadf', images: quick ? 1 : 2, batch: 1 },
];

function pixels(n: number, size: number): Float32Array {
  const uniform = seededUniform(5);
  const out = new Float32Array(n * size * size * 3);
  for (let k = 0; k < out.length; k++) out[k] = Math.floor(uniform() * 256);
  return out;
}

/** Seconds per call of `fn` over `calls` calls, after one warm-up call. */
async function seconds(calls: number, fn: () => Promise<void>): Promise<number> {
  await fn();
  const started = performance.now();
  for (let i = 0; i < calls; i++) await fn();
  return (performance.now() - started) / 1000;
}

async function child(name: string): Promise<void> {
  const setting = SETTINGS.find((s) => s.name === name)!;
  const compiled = compilePipeline(join(repoRoot, 'pipelines', `${setting.pipeline}.dadf`), { sets: ['backbone.random=true', ...(setting.sets ?? [])] });
  if (!compiled.spec) throw new Error(`${name} does not compile: ${compiled.diagnostics.map((d) => d.message).join('; ')}`);
  const spec = compiled.spec;
  const dims = modelDims(spec);
  const backend = await initBackend(undefined);
  const S = dims.inputSize;
  const taps = dims.scales.map((s) => s.tap);
  let t = performance.now();
  const backbone = await loadBackbone({ arch: spec.backbone.arch, alpha: spec.backbone.alpha, random: true, seed: 0, taps });
  const model = createModel(spec, dims, 0);
  const setup = (performance.now() - t) / 1000;
  const { batch, images } = setting;
  const calls = Math.max(1, Math.round(images / batch));
  const input = pixels(batch, S);
  console.log(
    `${name}: ${spec.backbone.arch}${spec.backbone.arch.startsWith('mobilenet') ? ` α${spec.backbone.alpha}` : ''} at ${S} px, width ${dims.width}, depth ${spec.transformer.depth}, ${spec.flow.steps} flow steps; batch ${batch}, ${calls * batch} images timed per engine (random weights, built in ${setup.toFixed(1)} s)`,
  );

  const tfjsSeconds = await seconds(calls, async () => {
    const [maps, scores] = tf.tidy(() => {
      const feats = backbone.extract(tf.tensor4d(input, [batch, S, S, 3]));
      const out = model.anomalyMaps(
        dims.scales.map((s) => feats[s.tap]),
        unitCalibration(dims),
      );
      return [out.maps, out.scores];
    });
    await maps.data();
    tf.dispose([maps, scores]);
  });
  const tfjsRate = (calls * batch) / tfjsSeconds;
  console.log(`  tfjs  ${backend.description.padEnd(44)} ${tfjsRate.toFixed(3).padStart(9)} images/s`);

  t = performance.now();
  const built = buildOnnxModel({
    name: spec.name,
    spec,
    dims,
    weights: model.getWeights(),
    calibration: unitCalibration(dims),
    backbone: { arch: spec.backbone.arch, alpha: spec.backbone.alpha, random: true, seed: 0, taps: backbone.taps },
    normalization: backbone.normalization,
  });
  model.dispose();
  backbone.dispose();
  const exportSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  const session = await ort.InferenceSession.create(built.bytes, { executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
  const sessionSeconds = (performance.now() - t) / 1000;
  const feeds = { images: new ort.Tensor('float32', input, [batch, S, S, 3]) };
  const onnxSeconds = await seconds(calls, async () => void (await session.run(feeds)));
  const onnxRate = (calls * batch) / onnxSeconds;
  console.log(`  onnx  ${`onnxruntime-node ${ort.env.versions.common} CPU EP`.padEnd(44)} ${onnxRate.toFixed(3).padStart(9)} images/s`);
  if (S === 256)
    console.log(
      `  issue #7 target (≥ 10 images/s at 256 px, backbone included): tfjs ${(tfjsRate / 10).toFixed(2)}× of it, onnx ${(onnxRate / 10).toFixed(2)}× of it`,
    );
  console.log(
    `  onnx / tfjs: ${(onnxRate / tfjsRate).toFixed(2)}×   (export ${exportSeconds.toFixed(1)} s, ${(built.bytes.byteLength / 2 ** 20).toFixed(1)} MiB, ${built.nodes} nodes; session load ${sessionSeconds.toFixed(1)} s)`,
  );
  await session.release();
}

const childArg = process.argv.indexOf('--child');
if (childArg >= 0) {
  await child(process.argv[childArg + 1]);
} else {
  const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  console.log('end-to-end inference (pixels → maps + scores, backbone included), images/s per engine');
  // The paper-size pipeline takes many minutes per image on tfjs here: only when named.
  for (const s of SETTINGS.filter((x) => (names.length === 0 ? x.name !== 'dadf' : names.includes(x.name)))) {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', s.name, ...process.argv.slice(2).filter((a) => a.startsWith('-'))],
      { stdio: 'inherit' },
    );
    if (r.status !== 0) console.log(`  ${s.name}: failed with status ${r.status}`);
  }
}
