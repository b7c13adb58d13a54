// Helpers shared by the benchmarks that time model steps on random features.
import * as tf from '@tensorflow/tfjs-core';
import type { ModelDims } from '../../compiler/dims.ts';
import { mulberry32, normalArray } from '../../runtime/model/prng.ts';

/** Random prior features of the model's per-scale sizes (a step's speed does not depend on the values). */
export function randomFeatures(dims: ModelDims, batch: number, seed = 1): tf.Tensor4D[] {
  const rng = mulberry32(seed);
  return dims.scales.map((s) => tf.tensor4d(normalArray(batch * s.size * s.size * s.channels, 0, 1, rng), [batch, s.size, s.size, s.channels]));
}

/** Median seconds of `reps` runs after one warm-up (none when warmUp is false). */
export function medianSeconds(run: () => void, reps = 3, warmUp = true): number {
  if (warmUp) run();
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const s = performance.now();
    run();
    t.push((performance.now() - s) / 1000);
  }
  return t.sort((a, b) => a - b)[Math.floor(t.length / 2)];
}
