// Backbone features of a list of images, through the feature cache: computed once per image,
// backbone and input size, then reused by every epoch, run and sweep.
import * as tf from '@tensorflow/tfjs-core';
import type { ModelDims } from '../../compiler/dims.ts';
import type { Spec } from '../../compiler/spec.ts';
import type { Backbone } from '../backbones/index.ts';
import { readImageRgb, type ResizeFilter } from '../data/index.ts';
import { type FeatureCache, imageKeyOfFile } from '../features/index.ts';
import type { Progress } from '../progress.ts';

/** The pipeline's resize names → sharp's kernels. */
export function resizeFilter(spec: Spec): ResizeFilter {
  const map: Record<Spec['input']['resize'], ResizeFilter> = { bilinear: 'linear', nearest: 'nearest', cubic: 'cubic', lanczos3: 'lanczos3' };
  return map[spec.input.resize];
}

/** Per scale, one flattened H×W×C Float32Array per image, in input order. */
export type ScaleFeatures = Float32Array[][];

export interface FeatureSet {
  features: ScaleFeatures;
  /** Content keys of the images (sha256 of the file bytes), in input order. */
  keys: string[];
}

export async function extractFeatures(
  paths: string[],
  spec: Spec,
  dims: ModelDims,
  backbone: Backbone,
  cache: FeatureCache,
  progress: Progress,
  label: string,
): Promise<FeatureSet> {
  const filter = resizeFilter(spec);
  const size = dims.inputSize;
  const keys = paths.map((p) => imageKeyOfFile(p));
  const id = `features:${label}`;
  const started = performance.now();
  progress({ kind: 'phase', id, label: `features (${label})`, total: paths.length, unit: 'img' });
  const images = paths.map((path, k) => ({ key: `${keys[k]}-${filter}`, load: () => readImageRgb(path, size, filter) }));
  const perTap = await cache.getOrCompute(images, backbone, size, 8, (done) => progress({ kind: 'tick', id, done, total: paths.length }));
  progress({ kind: 'phase-end', id, seconds: (performance.now() - started) / 1000 });
  return { features: dims.scales.map((s) => perTap[s.tap] ?? []), keys };
}

/** Stacks the features of some images into one NHWC tensor per scale. */
export function batchTensors(features: ScaleFeatures, indices: number[], dims: ModelDims): tf.Tensor4D[] {
  return dims.scales.map((s, i) => {
    const per = s.size * s.size * s.channels;
    const buffer = new Float32Array(indices.length * per);
    indices.forEach((idx, b) => buffer.set(features[i][idx], b * per));
    return tf.tensor4d(buffer, [indices.length, s.size, s.size, s.channels]);
  });
}
