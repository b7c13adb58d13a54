// Scoring images with a trained model: backbone features (cached) → anomaly maps at the
// input size and image scores, in batches, with no tensor left behind.
import * as tf from '@tensorflow/tfjs-core';
import type { ModelDims } from '../../compiler/dims.ts';
import type { Spec } from '../../compiler/spec.ts';
import type { Backbone } from '../backbones/index.ts';
import type { FeatureCache } from '../features/index.ts';
import { detectorMaps } from '../heads/detector.ts';
import type { HeadCalibration } from '../heads/score.ts';
import type { FittedHeads } from '../heads/index.ts';
import type { DadfModel, ScaleCalibration } from '../model/index.ts';
import type { Progress } from '../progress.ts';
import { batchTensors, extractFeatures, type ScaleFeatures } from '../train/features.ts';

export interface ScoredImage {
  /** size×size anomaly map, row-major. */
  map: Float32Array;
  score: number;
  /** What an engine whose graph decides also returns (the ONNX graph with thresholds): 1 = defective. */
  label?: 0 | 1;
  normalised?: number;
  mask?: Uint8Array;
}

/** What scoring needs: the detector (DADF model when built, fitted heads) and its calibrations. */
export interface ScoringContext {
  spec: Spec;
  dims: ModelDims;
  model?: DadfModel;
  heads?: FittedHeads;
  progress: Progress;
  label: string;
  batch?: number;
  calibration?: ScaleCalibration;
  headCalibration?: HeadCalibration;
}

export async function scoreImages(paths: string[], ctx: ScoringContext & { backbone: Backbone; cache: FeatureCache }): Promise<ScoredImage[]> {
  const { features } = await extractFeatures(paths, ctx.spec, ctx.dims, ctx.backbone, ctx.cache, ctx.progress, ctx.label);
  return scoreFeatures(features, ctx);
}

/** Maps and scores of images whose backbone features are already extracted. */
export function scoreFeatures(features: ScaleFeatures, ctx: ScoringContext): ScoredImage[] {
  const { dims, progress } = ctx;
  const detector = { spec: ctx.spec, dims, model: ctx.model, heads: ctx.heads ?? {} };
  const n = features[0]?.length ?? 0;
  const batch = ctx.batch ?? 8;
  const out: ScoredImage[] = [];
  const id = `score:${ctx.label}`;
  const started = performance.now();
  progress({ kind: 'phase', id, label: `scoring (${ctx.label})`, total: n, unit: 'img' });
  const pixels = dims.inputSize * dims.inputSize;
  for (let start = 0; start < n; start += batch) {
    const indices = Array.from({ length: Math.min(batch, n - start) }, (_, k) => start + k);
    const prior = batchTensors(features, indices, dims);
    const { maps, scores } = detectorMaps(detector, prior, { scales: ctx.calibration, heads: ctx.headCalibration });
    const mapData = maps.dataSync() as Float32Array;
    const scoreData = scores.dataSync() as Float32Array;
    tf.dispose([maps, scores, ...prior]);
    indices.forEach((_, b) => out.push({ map: mapData.slice(b * pixels, (b + 1) * pixels), score: scoreData[b] }));
    progress({ kind: 'tick', id, done: out.length, total: n });
  }
  progress({ kind: 'phase-end', id, seconds: (performance.now() - started) / 1000 });
  return out;
}
