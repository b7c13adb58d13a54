// The heads of a pipeline: which maps the score combines (the DADF model by its score.source,
// the fitted Gaussian and patch-memory heads), what each head sees, and what its fitted state
// costs in memory. The checker, the Plan and the runtime all read them from here.
import type { ModelDims } from './dims.ts';
import { HEAD_KINDS, MODEL_SOURCES, type HeadKind, type ScoreHead, type Spec } from './spec.ts';

/** The heads whose maps make the anomaly map, in order. */
export function scoreHeads(spec: Spec): ScoreHead[] {
  return spec.score.heads ?? [spec.score.source];
}

export function isModelHead(head: ScoreHead): head is (typeof MODEL_SOURCES)[number] {
  return (MODEL_SOURCES as readonly string[]).includes(head);
}

/** Whether the DADF model (transformer, flows) is built, trained and run: a scored head needs it. */
export function usesModel(spec: Spec): boolean {
  return scoreHeads(spec).some(isModelHead);
}

/** The fitted heads the pipeline declares (all are fitted, scored or not, so that test --set score.heads can switch). */
export function declaredHeads(spec: Spec): HeadKind[] {
  return HEAD_KINDS.filter((k) => spec.heads[k] !== undefined);
}

export interface HeadDims {
  kind: HeadKind;
  /** 0-based scales, the first giving the grid. */
  scales: number[];
  /** Side of the head's map (the first scale's feature size). */
  grid: number;
  /** Channels of the head input (all its scales concatenated). */
  inputChannels: number;
  /** Channels the head models (a Gaussian may keep a random subset). */
  channels: number;
  /** Neighbourhood averaged before the head (knn), 1 = none. */
  aggregate: number;
  /** Bytes of the fitted state independent of the data: the Gaussian's means and transforms. */
  stateBytes: number;
  /** Bytes per training image: the knn bank's share of it, and what building it holds (projected patches, running minima). */
  bytesPerImage: number;
  buildBytesPerImage: number;
}

const FLOAT = 4;

export function headDims(spec: Spec, dims: ModelDims, kind: HeadKind): HeadDims {
  const head = spec.heads[kind]!;
  const scales = (head.scales ?? dims.scales.map((s) => s.index + 1)).map((s) => s - 1);
  const grid = dims.scales[scales[0]]?.size ?? NaN;
  const inputChannels = scales.reduce((n, i) => n + (dims.scales[i]?.channels ?? NaN), 0);
  const positions = grid * grid;
  if (kind === 'gaussian') {
    const g = spec.heads.gaussian!;
    const channels = g.channels > 0 ? Math.min(g.channels, inputChannels) : inputChannels;
    const gaussians = g.per_position ? positions : 1;
    return {
      kind,
      scales,
      grid,
      inputChannels,
      channels,
      aggregate: 1,
      stateBytes: gaussians * (channels * channels + channels) * FLOAT,
      bytesPerImage: 0,
      buildBytesPerImage: 0,
    };
  }
  const k = spec.heads.knn!;
  const projected = k.projection > 0 && k.projection < inputChannels ? k.projection : inputChannels;
  return {
    kind,
    scales,
    grid,
    inputChannels,
    channels: inputChannels,
    aggregate: k.aggregate,
    stateBytes: 0,
    bytesPerImage: k.coreset * positions * inputChannels * FLOAT,
    buildBytesPerImage: positions * (projected * FLOAT + 2 * 8),
  };
}

/** Multiply-adds of scoring one image with the head, ×2 (FLOPs); the knn head's depend on the bank size. */
export function headFlops(hd: HeadDims, spec: Spec, trainImages: number): number {
  const positions = hd.grid * hd.grid;
  if (hd.kind === 'gaussian') return 2 * positions * hd.channels * hd.channels + 3 * positions * hd.channels;
  const bank = Math.max(1, Math.round(spec.heads.knn!.coreset * positions * trainImages));
  return 2 * positions * bank * hd.channels + hd.aggregate * hd.aggregate * positions * hd.channels;
}
