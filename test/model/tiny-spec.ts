// A tiny, fully resolved Spec for model tests (the shape of pipelines/tiny.dadf, smaller).
import * as tf from '@tensorflow/tfjs-core';
import { mulberry32, normalArray } from '../../runtime/model/prng.ts';
import type { Spec } from '../../compiler/spec.ts';

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K] };

export function tinySpec(overrides: DeepPartial<Spec> = {}): Spec {
  const base: Spec = {
    name: 'tiny_test',
    input: { size: 32, normalize: 'backbone', resize: 'bilinear' },
    backbone: { arch: 'mobilenet_v1', alpha: 0.25, random: true, taps: ['conv_pw_3', 'conv_pw_5', 'conv_pw_11'] },
    embed: { patch: [4, 2, 1], dim: 4 },
    transformer: { depth: 1, heads: 2, mlp_ratio: 2, qkv_bias: true, memory: { tokens: 4, query: 'memory', init_std: 0.02 } },
    flow: {
      over: ['prior', 'self', 'memory'],
      steps: 2,
      clamp: 2,
      subnet: ['dwconv3x3', { type: 'leaky_relu', slope: 0.1 }, 'conv1x1'],
      alternate: true,
      permute: 'fixed',
      subnet_scale: 0.1,
      position: 0,
    },
    heads: {},
    score: {
      source: 'flow',
      self_weight: 0.5,
      upsample: 'bilinear',
      fuse: 'mean',
      smooth: 0,
      calibrate: 'none',
      image: 'max',
      threshold: { quantile: 0.99 },
      combine: 'mean',
    },
    train: {
      optimizer: { type: 'adamw', lr: 1e-3, betas: [0.9, 0.95], weight_decay: 0.05 },
      batch: 2,
      seed: 0,
      validation: 0.1,
      grad_clip: 0,
      stages: { reconstruct: { epochs: 1 }, flow: { epochs: 1 } },
    },
  };
  return merge(base, overrides) as Spec;
}

function merge(a: unknown, b: unknown): unknown {
  if (b === undefined) return a;
  if (typeof a !== 'object' || a === null || Array.isArray(a) || typeof b !== 'object' || b === null || Array.isArray(b)) return b;
  const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
  for (const [k, v] of Object.entries(b)) out[k] = merge(out[k], v);
  return out;
}

/** Seeded stand-in backbone features, one NHWC tensor per scale (values computed in JS). */
export function randomPrior(dims: import('../../compiler/dims.ts').ModelDims, n: number, seed: number) {
  const rng = mulberry32(seed);
  return dims.scales.map((s) => {
    const size = n * s.size * s.size * s.channels;
    return tf.tensor4d(normalArray(size, 0, 1, rng), [n, s.size, s.size, s.channels]);
  });
}
