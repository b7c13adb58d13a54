// Block: scoring. A map per scored scale (the flow's −exp(−½·mean z²), or the reconstruction
// error), upsampled to the input size, fused, optionally smoothed, and an image score.
import type { ModelDims } from '../dims.ts';
import type { Spec } from '../spec.ts';
import type { NodeList } from './node.ts';

/** The radius of score.smooth's Gaussian: max(1, ⌈4σ⌉) pixels (scipy's default truncation). */
export function smoothRadius(sigma: number): number {
  return Math.max(1, Math.ceil(4 * sigma));
}

/** The largest σ whose mirrored border (the radius) fits a size×size map: radius < size. */
export function largestSmoothSigma(size: number): number {
  return (size - 1) / 4;
}

/** 1-D Gaussian taps of smoothRadius(σ), normalised to sum 1. */
export function gaussianTaps(sigma: number): number[] {
  const radius = smoothRadius(sigma);
  const taps = Array.from({ length: 2 * radius + 1 }, (_, i) => Math.exp(-0.5 * ((i - radius) / sigma) ** 2));
  const total = taps.reduce((a, b) => a + b, 0);
  return taps.map((t) => t / total);
}

/**
 * The map of one scale: from the flow's z (`inputs` = [z]) or from the tap and its
 * reconstruction (`inputs` = [tap, φS]).
 */
export function scaleMapNode(spec: Spec, d: ModelDims, scale: number, inputs: string[], list: NodeList): string {
  const s = d.scales[scale];
  const channels = spec.score.source === 'flow' ? s.flowChannels : s.channels;
  return list.add({
    id: `map${s.index + 1}`,
    op: 'scale_map',
    inputs,
    shape: [s.size, s.size, 1],
    params: 0,
    flops: 3 * s.size * s.size * channels,
    attrs: { source: spec.score.source },
  });
}

/** The DADF model's map: the scored scales upsampled to the input size and fused. */
export function modelMapNodes(spec: Spec, d: ModelDims, maps: string[], list: NodeList): string {
  const S = d.inputSize;
  const ups = d.scoredScales.map((i) =>
    list.add({ id: `up${i + 1}`, op: 'upsample', inputs: [maps[i]], shape: [S, S, 1], params: 0, flops: 4 * S * S, attrs: { method: spec.score.upsample } }),
  );
  return list.add({ id: 'fuse', op: 'fuse', inputs: ups, shape: [S, S, 1], params: 0, flops: ups.length * S * S, attrs: { method: spec.score.fuse } });
}

/** The scored heads' maps combined (when more than one), smoothed, and the image score. */
export function scoreNodes(spec: Spec, d: ModelDims, scored: string[], list: NodeList): void {
  const S = d.inputSize;
  const score = spec.score;
  let fused =
    scored.length === 1
      ? scored[0]
      : list.add({
          id: 'combine',
          op: 'combine_heads',
          inputs: scored,
          shape: [S, S, 1],
          params: 0,
          flops: 3 * scored.length * S * S,
          attrs: { method: score.combine, calibrated: 'validation' },
        });
  if (score.smooth > 0) {
    const taps = gaussianTaps(score.smooth).length;
    fused = list.add({ id: 'smooth', op: 'smooth', inputs: [fused], shape: [S, S, 1], params: 0, flops: 2 * 2 * taps * S * S, attrs: { sigma: score.smooth } });
  }
  list.add({ id: 'score', op: 'image_score', inputs: [fused], shape: [], params: 0, flops: S * S, attrs: { method: score.image } });
}
