// The fitted heads of a pipeline (Gaussian, patch memory): fitted on the cached training
// features, saved in the run's checkpoint under heads/, and scored into maps at their grid.
import * as tf from '@tensorflow/tfjs-core';
import type { ModelDims } from '../../compiler/dims.ts';
import { headDims, type HeadDims } from '../../compiler/blocks/fitted-heads.ts';
import { declaredHeads } from '../../compiler/heads.ts';
import type { HeadKind, Spec } from '../../compiler/spec.ts';
import type { Progress } from '../progress.ts';
import type { StoredTensor } from '../train/checkpoint.ts';
import type { ScaleFeatures } from '../train/features.ts';
import { plainTfjsOps } from '../tensor-ops/tfjs.ts';
import { disposeGaussian, fitGaussian, type GaussianState } from './gaussian.ts';
import { headInput, type PatchSource } from './input.ts';
import { disposeKnn, fitKnn, type KnnState } from './knn.ts';
import { fittedHeadRaw, type HeadValues } from './score.ts';

export interface FittedHeads {
  gaussian?: GaussianState;
  knn?: KnnState;
}

/** What fitting a head cost, kept in run.json. */
export interface HeadRecord {
  seconds: number;
  /** Bytes of the fitted state (Gaussian means and transforms, or the memory bank). */
  bytes: number;
  /** Gaussian: mean shrinkage intensity; knn: bank entries of how many patches. */
  shrinkage?: number;
  entries?: number;
  patches?: number;
}

const BATCH = 8;

/** The head inputs of a set of images, batch by batch, building only the scales the head reads. */
export function patchSource(features: ScaleFeatures, dims: ModelDims, hd: HeadDims): PatchSource {
  const count = features[hd.scales[0]]?.length ?? 0;
  return {
    count,
    forEach(visit) {
      for (let start = 0; start < count; start += BATCH) {
        const n = Math.min(BATCH, count - start);
        const prior: tf.Tensor4D[] = [];
        for (const i of hd.scales) {
          const s = dims.scales[i];
          const per = s.size * s.size * s.channels;
          const buffer = new Float32Array(n * per);
          for (let b = 0; b < n; b++) buffer.set(features[i][start + b], b * per);
          prior[i] = tf.tensor4d(buffer, [n, s.size, s.size, s.channels]);
        }
        const x = headInput(prior, { scales: hd.scales, aggregate: hd.aggregate });
        tf.dispose(hd.scales.map((i) => prior[i]));
        visit(x);
        x.dispose();
      }
    },
  };
}

export function fitHeads(
  spec: Spec,
  dims: ModelDims,
  features: ScaleFeatures,
  progress: Progress,
): { heads: FittedHeads; records: Partial<Record<HeadKind, HeadRecord>> } {
  const heads: FittedHeads = {};
  const records: Partial<Record<HeadKind, HeadRecord>> = {};
  for (const kind of declaredHeads(spec)) {
    const hd = headDims(spec, dims, kind);
    const source = patchSource(features, dims, hd);
    const id = `head:${kind}`;
    const started = performance.now();
    progress({ kind: 'phase', id, label: `fitting the ${kind} head on ${source.count} images`, total: 1, unit: 'head' });
    if (kind === 'gaussian') {
      const g = spec.heads.gaussian!;
      const state = fitGaussian(source, { perPosition: g.per_position, shrinkage: g.shrinkage, ridge: g.ridge, channels: g.channels, seed: spec.train.seed });
      heads.gaussian = state;
      records.gaussian = { seconds: 0, bytes: 4 * (state.mean.size + state.transform.size), shrinkage: state.shrinkage };
    } else {
      const k = spec.heads.knn!;
      const state = fitKnn(source, { coreset: k.coreset, projection: k.projection, k: k.k, seed: spec.train.seed });
      heads.knn = state;
      records.knn = { seconds: 0, bytes: 4 * state.bank.size, entries: state.bank.shape[0], patches: state.patches };
    }
    const seconds = (performance.now() - started) / 1000;
    records[kind]!.seconds = seconds;
    progress({ kind: 'tick', id, done: 1, total: 1 });
    progress({ kind: 'phase-end', id, seconds });
  }
  return { heads, records };
}

/** The fitted heads as tfjs values for runtime/heads/score.ts (call inside a tidy: the bank is transposed). */
function tfjsHeadValues(heads: FittedHeads): HeadValues<tf.Tensor> {
  const { gaussian, knn } = heads;
  return {
    gaussian: gaussian && { mean: gaussian.mean, transform: gaussian.transform, channels: gaussian.channels, perPosition: gaussian.mean.shape[0] !== 1 },
    // Transposed once: on wasm only plain 2-D matmuls are fast.
    knn: knn && { bankT: tf.transpose(knn.bank), entries: knn.bank.shape[0] },
  };
}

/** Patch rows per knn distance matrix: a batch is scored a few images at a time. */
const KNN_ROWS = 4096;

/** The raw map of a fitted head at its own grid, [N, h, w]; higher = more anomalous. */
export function headMap(kind: HeadKind, prior: tf.Tensor4D[], spec: Spec, dims: ModelDims, heads: FittedHeads): tf.Tensor3D {
  const hd = headDims(spec, dims, kind);
  return tf.tidy(() => {
    const values = tfjsHeadValues(heads);
    const n = prior[hd.scales[0]].shape[0];
    const step = kind === 'knn' ? Math.max(1, Math.floor(KNN_ROWS / (hd.grid * hd.grid))) : n;
    const parts: tf.Tensor[] = [];
    for (let start = 0; start < n; start += step) {
      const part = step >= n ? prior : prior.map((t) => tf.slice(t, [start, 0, 0, 0], [Math.min(step, n - start), -1, -1, -1]));
      parts.push(fittedHeadRaw(plainTfjsOps, kind, part, spec, dims, values));
    }
    return (parts.length === 1 ? parts[0] : tf.concat(parts)) as tf.Tensor3D;
  });
}

const PREFIX = 'heads/';

export function headsToTensors(heads: FittedHeads): Record<string, StoredTensor> {
  const out: Record<string, StoredTensor> = {};
  const put = (name: string, t: tf.Tensor) => (out[`${PREFIX}${name}`] = { shape: t.shape, data: Float32Array.from(t.dataSync()) });
  if (heads.gaussian) {
    put('gaussian/mean', heads.gaussian.mean);
    put('gaussian/transform', heads.gaussian.transform);
    const { channels } = heads.gaussian;
    if (channels) out[`${PREFIX}gaussian/channels`] = { shape: [channels.length], data: Float32Array.from(channels) };
    out[`${PREFIX}gaussian/shrinkage`] = { shape: [], data: Float32Array.of(heads.gaussian.shrinkage) };
  }
  if (heads.knn) {
    put('knn/bank', heads.knn.bank);
    out[`${PREFIX}knn/patches`] = { shape: [], data: Float32Array.of(heads.knn.patches) };
  }
  return out;
}

export function headsFromTensors(tensors: Record<string, StoredTensor>): FittedHeads {
  const get = (name: string) => tensors[`${PREFIX}${name}`];
  const heads: FittedHeads = {};
  const mean = get('gaussian/mean');
  const transform = get('gaussian/transform');
  if (mean && transform) {
    const channels = get('gaussian/channels');
    heads.gaussian = {
      mean: tf.tensor2d(mean.data, mean.shape as [number, number]),
      transform: tf.tensor3d(transform.data, transform.shape as [number, number, number]),
      channels: channels ? Array.from(channels.data) : null,
      shrinkage: get('gaussian/shrinkage')?.data[0] ?? 0,
    };
  }
  const bank = get('knn/bank');
  if (bank) heads.knn = { bank: tf.tensor2d(bank.data, bank.shape as [number, number]), patches: get('knn/patches')?.data[0] ?? 0 };
  return heads;
}

export function hasHeads(tensors: Record<string, StoredTensor>, spec: Spec): boolean {
  return declaredHeads(spec).every((k) => Object.keys(tensors).some((name) => name.startsWith(`${PREFIX}${k}/`)));
}

export function disposeHeads(heads: FittedHeads): void {
  if (heads.gaussian) disposeGaussian(heads.gaussian);
  if (heads.knn) disposeKnn(heads.knn);
}
