// Block: the fitted heads (Gaussian per position, patch memory). No gradient-trained
// parameters: their state is fitted on the training features. Declared here once, as the other
// blocks are: what each head reads (scales, grid, channels), the arrays of its fitted state
// with their shapes (from which the plan's bytes come, and against which the runtime's fitted
// state is tested), the knn bank's size rule and the FLOPs of scoring. The checker's memory
// estimate, the plan and the runtime (runtime/heads) all read them from here.
import type { ModelDims } from '../dims.ts';
import { declaredHeads } from '../heads.ts';
import type { HeadKind, Spec } from '../spec.ts';
import type { NodeList } from './node.ts';

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
  /** Bytes building the knn bank holds per training image (projected patches, running minima). */
  buildBytesPerImage: number;
}

/**
 * One float32 array of a head's fitted state, as its checkpoint stores it (heads/<kind>/<part>).
 * `perTrainingImage`: the leading size is per training image (the bank grows with the data).
 */
interface StateDecl {
  name: string;
  shape: number[];
  perTrainingImage?: boolean;
}

const FLOAT = 4;

export function headDims(spec: Spec, dims: ModelDims, kind: HeadKind): HeadDims {
  const head = spec.heads[kind]!;
  const scales = (head.scales ?? dims.scales.map((s) => s.index + 1)).map((s) => s - 1);
  const grid = dims.scales[scales[0]]?.size ?? NaN;
  const inputChannels = scales.reduce((n, i) => n + (dims.scales[i]?.channels ?? NaN), 0);
  if (kind === 'gaussian') {
    const g = spec.heads.gaussian!;
    const channels = g.channels > 0 ? Math.min(g.channels, inputChannels) : inputChannels;
    return { kind, scales, grid, inputChannels, channels, aggregate: 1, buildBytesPerImage: 0 };
  }
  const k = spec.heads.knn!;
  const projected = k.projection > 0 && k.projection < inputChannels ? k.projection : inputChannels;
  return { kind, scales, grid, inputChannels, channels: inputChannels, aggregate: k.aggregate, buildBytesPerImage: grid * grid * (projected * FLOAT + 2 * 8) };
}

/** Memory entries the knn head keeps of `patches` training patches for a coreset fraction: at least one. */
export function bankSize(patches: number, fraction: number): number {
  return Math.max(1, Math.min(patches, Math.round(patches * fraction)));
}

/**
 * The fitted state: a Gaussian's means [G, C] and whitening transforms [G, C, C] (G = one per
 * position, or one shared); the knn head's bank [entries, C], coreset·H·W entries per training
 * image. (A Gaussian's channel subset is an index, not counted as state.)
 */
export function headState(spec: Spec, hd: HeadDims): StateDecl[] {
  const positions = hd.grid * hd.grid;
  const c = hd.channels;
  if (hd.kind === 'gaussian') {
    const gaussians = spec.heads.gaussian!.per_position ? positions : 1;
    return [
      { name: 'gaussian/mean', shape: [gaussians, c] },
      { name: 'gaussian/transform', shape: [gaussians, c, c] },
    ];
  }
  return [{ name: 'knn/bank', shape: [spec.heads.knn!.coreset * positions, c], perTrainingImage: true }];
}

function stateBytes(state: StateDecl[], perTrainingImage: boolean): number {
  return state.filter((d) => !!d.perTrainingImage === perTrainingImage).reduce((a, d) => a + d.shape.reduce((x, y) => x * y, 1) * FLOAT, 0);
}

/** Multiply-adds of scoring one image with the head, ×2 (FLOPs); the knn head's depend on the bank size. */
function headFlops(hd: HeadDims, spec: Spec, trainImages: number): number {
  const positions = hd.grid * hd.grid;
  if (hd.kind === 'gaussian') return 2 * positions * hd.channels * hd.channels + 3 * positions * hd.channels;
  const bank = bankSize(positions * trainImages, spec.heads.knn!.coreset);
  return 2 * positions * bank * hd.channels + hd.aggregate * hd.aggregate * positions * hd.channels;
}

/** Adds every declared head and its upsampled map; returns the map's id per head kind. */
export function fittedHeadNodes(spec: Spec, d: ModelDims, taps: string[], list: NodeList): Record<string, string> {
  const S = d.inputSize;
  const maps: Record<string, string> = {};
  for (const kind of declaredHeads(spec)) {
    const hd = headDims(spec, d, kind);
    const state = headState(spec, hd);
    const head = list.add({
      id: kind,
      op: kind === 'gaussian' ? 'gaussian_head' : 'knn_head',
      inputs: hd.scales.map((i) => taps[i]),
      shape: [hd.grid, hd.grid, 1],
      params: 0,
      // The knn head's FLOPs grow with the bank; counted here per training image in its bank.
      flops: headFlops(hd, spec, 1),
      ...(kind === 'gaussian' ? { bytes: stateBytes(state, false) } : { bytesPerTrainingImage: stateBytes(state, true) }),
      attrs: {
        ...spec.heads[kind],
        channels: hd.channels,
        grid: hd.grid,
        ...(kind === 'knn' ? { buildBytesPerTrainingImage: hd.buildBytesPerImage, flopsPerTrainingImage: true } : {}),
      },
    });
    maps[kind] = list.add({
      id: `up.${kind}`,
      op: 'upsample',
      inputs: [head],
      shape: [S, S, 1],
      params: 0,
      flops: 4 * S * S,
      attrs: { method: spec.score.upsample },
    });
  }
  return maps;
}
