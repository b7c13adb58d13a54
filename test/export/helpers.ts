// Shared by the export tests: the tfjs reference and the onnxruntime result for the same
// pixels, and the parity measure the report uses (maps normalised by their global min/max).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { modelDims } from '../../compiler/dims.ts';
import type { Spec } from '../../compiler/spec.ts';
import { loadBackbone } from '../../runtime/backbones/index.ts';
import { buildOnnxModel } from '../../runtime/export/index.ts';
import type { ScoredImage } from '../../runtime/inference/score.ts';
import { createModel } from '../../runtime/model/index.ts';

export interface Outputs {
  maps: Float32Array;
  scores: Float32Array;
}

/** Deterministic, image-like pixels in 0..255, NHWC. */
function syntheticPixels(n: number, size: number, seed = 1): Float32Array {
  const out = new Float32Array(n * size * size * 3);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(127.5 + 127.5 * Math.sin(i * 0.0173 * seed + Math.cos(i * 0.31)));
  return out;
}

async function runOnnx(bytes: Uint8Array, pixels: Float32Array, n: number, size: number): Promise<Outputs> {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] });
  try {
    const out = await session.run({ images: new ort.Tensor('float32', pixels, [n, size, size, 3]) });
    return { maps: out.maps.data as Float32Array, scores: out.scores.data as Float32Array };
  } finally {
    await session.release();
  }
}

/** Largest |a − b| after normalising both by a's global min/max (as report heatmaps do). */
export function normalisedMaxDiff(a: Float32Array, b: Float32Array): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of a) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
  const range = hi - lo || 1;
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / range);
  return worst;
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** A randomly initialised model + random backbone: tfjs outputs and the exported graph's. */
export async function bothEngines(spec: Spec, n = 2, batch: number | 'dynamic' = 'dynamic'): Promise<{ tfjs: Outputs; onnx: Outputs; nodes: number }> {
  const dims = modelDims(spec);
  const backbone = await loadBackbone({ arch: spec.backbone.arch, alpha: spec.backbone.alpha, random: true, seed: 3, taps: dims.scales.map((s) => s.tap) });
  const model = createModel(spec, dims, 5);
  try {
    const size = dims.inputSize;
    const pixels = syntheticPixels(n, size);
    const tfjs = tf.tidy(() => {
      const feats = backbone.extract(tf.tensor4d(pixels, [n, size, size, 3]));
      const { maps, scores } = model.anomalyMaps(dims.scales.map((s) => feats[s.tap]));
      return { maps: maps.dataSync() as Float32Array, scores: scores.dataSync() as Float32Array };
    });
    const built = buildOnnxModel({
      name: spec.name,
      spec,
      dims,
      weights: model.getWeights(),
      backbone: { arch: spec.backbone.arch, alpha: spec.backbone.alpha, random: true, seed: 3, taps: backbone.taps },
      normalization: backbone.normalization,
      batch,
    });
    const onnx = await runOnnx(built.bytes, pixels, n, size);
    return { tfjs, onnx, nodes: built.nodes };
  } finally {
    model.dispose();
    backbone.dispose();
  }
}

/** The image files under a folder, recursively, sorted. */
export function imagesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.(png|jpe?g|bmp|tiff?)$/i.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** Max |Δ| of maps normalised by a's global min/max (range), and max |Δ| of scores. */
export function scoredParity(a: ScoredImage[], b: ScoredImage[]): { maps: number; scores: number; range: number } {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of a) for (const v of s.map) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
  const range = hi - lo;
  let maps = 0;
  let scores = 0;
  a.forEach((s, i) => {
    for (let k = 0; k < s.map.length; k++) maps = Math.max(maps, Math.abs(s.map[k] - b[i].map[k]) / range);
    scores = Math.max(scores, Math.abs(s.score - b[i].score));
  });
  return { maps, scores, range };
}
