// Stage 2 trains the flows with the transformer frozen and no augmentation, so the transformer's
// two reconstructions of a training image are the same at every step of every epoch. They are
// computed once per image at the start of stage 2 (batched, each batch in its own tidy scope) and
// kept beside the backbone features, outside the tfjs heap; a flow step then only stacks cached
// rows. Where they would not fit in the memory free now, stage 2 recomputes them per step.
import { freemem } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import type { ModelDims } from '../../compiler/dims.ts';
import type { DadfModel, Reconstruction } from '../model/index.ts';
import type { Progress } from '../progress.ts';
import { batchTensors, type ScaleFeatures } from './features.ts';

/** φS and φM per scale, one flattened H×W×C array per image, in the order of the features. */
export interface CachedReconstructions {
  self: ScaleFeatures;
  memory: ScaleFeatures;
}

/** Bytes the cached reconstructions of `images` images take (float32, both branches, all scales). */
export function reconstructionBytes(dims: ModelDims, images: number): number {
  const perImage = dims.scales.reduce((sum, s) => sum + s.size * s.size * s.channels, 0);
  return 2 * 4 * perImage * images;
}

/** The frozen transformer's outputs for every image of `features`, computed `batch` images at a time. */
export function reconstructAll(model: DadfModel, features: ScaleFeatures, dims: ModelDims, batch: number): CachedReconstructions {
  const n = features[0]?.length ?? 0;
  const cached: CachedReconstructions = { self: dims.scales.map(() => []), memory: dims.scales.map(() => []) };
  for (let start = 0; start < n; start += batch) {
    const indices = Array.from({ length: Math.min(batch, n - start) }, (_, k) => start + k);
    const prior = batchTensors(features, indices, dims);
    const rec = model.reconstruct(prior);
    dims.scales.forEach((s, i) => {
      const per = s.size * s.size * s.channels;
      for (const [branch, tensor] of [
        ['self', rec.self[i]],
        ['memory', rec.memory[i]],
      ] as const) {
        const values = tensor.dataSync() as Float32Array;
        for (let b = 0; b < indices.length; b++) cached[branch][i].push(values.slice(b * per, (b + 1) * per));
      }
    });
    tf.dispose([...prior, ...rec.self, ...rec.memory]);
  }
  return cached;
}

/** The cached reconstructions of some images as tensors, as model.reconstruct would give them. */
export function batchReconstruction(cached: CachedReconstructions, indices: number[], dims: ModelDims): Reconstruction {
  return { self: batchTensors(cached.self, indices, dims), memory: batchTensors(cached.memory, indices, dims) };
}

/**
 * The reconstructions of the training and validation images for stage 2, or undefined (with a
 * log line) when they need more than half the memory free now: stage 2 then recomputes them per step.
 */
export function cacheForFlowStage(
  model: DadfModel,
  sets: { train: ScaleFeatures; validation: ScaleFeatures },
  dims: ModelDims,
  batch: number,
  progress: Progress,
  available = freemem(),
): { train: CachedReconstructions; validation: CachedReconstructions } | undefined {
  const images = (sets.train[0]?.length ?? 0) + (sets.validation[0]?.length ?? 0);
  const bytes = reconstructionBytes(dims, images);
  const mib = (b: number) => (b / 2 ** 20).toFixed(0);
  if (bytes > available / 2) {
    progress({
      kind: 'log',
      level: 'info',
      message: `stage flow: the transformer's outputs for ${images} images would take ${mib(bytes)} MiB (${mib(available)} MiB free), so they are recomputed at every step instead of cached`,
    });
    return undefined;
  }
  const started = performance.now();
  const cached = { train: reconstructAll(model, sets.train, dims, batch), validation: reconstructAll(model, sets.validation, dims, batch) };
  progress({
    kind: 'log',
    level: 'info',
    message: `stage flow: the frozen transformer's outputs for ${images} images computed once (${mib(bytes)} MiB, ${((performance.now() - started) / 1000).toFixed(1)} s)`,
  });
  return cached;
}
