// The sizes a checked Spec implies: per-scale feature shapes, token grid, widths.
// The checker validates them; the Plan and the runtime build from them.
import { backboneInfo, tapSize, type BackboneInfo, type InputNormalization } from './backbones.ts';
import { IMAGENET_NORMALIZATION, TF_NORMALIZATION } from './backbones.ts';
import type { Spec, Stream } from './spec.ts';

export interface ScaleDims {
  /** 0-based index of the scale. */
  index: number;
  tap: string;
  /** Feature map of the tap: H x W x C (square, H = W). */
  size: number;
  channels: number;
  stride: number;
  /** Patch size of the embedding (kernel = stride). */
  patch: number;
  /** Token grid side: size / patch. */
  grid: number;
  /** Channels the flow of this scale sees: channels x |flow.over|. */
  flowChannels: number;
}

export interface ModelDims {
  inputSize: number;
  normalization: InputNormalization | { kind: 'none' };
  backbone: BackboneInfo;
  scales: ScaleDims[];
  /** Token grid side (the same at every scale once checked). */
  grid: number;
  tokens: number;
  /** Embedding width per scale (E). */
  embedDim: number;
  /** Token width: E x scales. */
  width: number;
  heads: number;
  headDim: number;
  mlpHidden: number;
  memoryTokens: number;
  streams: Stream[];
  /** Scales (0-based) that enter the anomaly map. */
  scoredScales: number[];
}

export function resolvedTaps(spec: Spec): string[] {
  return spec.backbone.taps ?? backboneInfo(spec.backbone.arch, spec.backbone.alpha).defaultTaps;
}

/**
 * Sizes implied by a Spec. Unknown taps or missing patches give NaN entries rather than
 * throwing: the checker reports them with positions; the runtime only sees checked Specs.
 */
export function modelDims(spec: Spec): ModelDims {
  const backbone = backboneInfo(spec.backbone.arch, spec.backbone.alpha);
  const taps = resolvedTaps(spec);
  const streams = [...spec.flow.over] as Stream[];
  const scales = taps.map((tap, index): ScaleDims => {
    const info = backbone.taps.find((t) => t.name === tap);
    const size = info ? tapSize(spec.input.size, info.stride) : NaN;
    const patch = spec.embed.patch[index] ?? NaN;
    return {
      index,
      tap,
      size,
      channels: info?.channels ?? NaN,
      stride: info?.stride ?? NaN,
      patch,
      grid: size / patch,
      flowChannels: (info?.channels ?? NaN) * streams.length,
    };
  });
  const grid = scales[0]?.grid ?? NaN;
  const width = spec.embed.dim * scales.length;
  const normalization =
    spec.input.normalize === 'backbone'
      ? backbone.normalization
      : spec.input.normalize === 'imagenet'
        ? IMAGENET_NORMALIZATION
        : spec.input.normalize === 'tf'
          ? TF_NORMALIZATION
          : ({ kind: 'none' } as const);
  return {
    inputSize: spec.input.size,
    normalization,
    backbone,
    scales,
    grid,
    tokens: grid * grid,
    embedDim: spec.embed.dim,
    width,
    heads: spec.transformer.heads,
    headDim: width / spec.transformer.heads,
    mlpHidden: Math.round(width * spec.transformer.mlp_ratio),
    memoryTokens: spec.transformer.memory.tokens,
    streams,
    scoredScales: (spec.score.scales ?? scales.map((s) => s.index + 1)).map((s) => s - 1),
  };
}
