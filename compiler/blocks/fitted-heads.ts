// Block: the fitted heads (Gaussian per position, patch memory). No gradient-trained
// parameters: their state is fitted on the training features; its size and the FLOPs of
// scoring come from compiler/heads.ts, shared with the checker's memory estimate and the runtime.
import type { ModelDims } from '../dims.ts';
import { declaredHeads, headDims, headFlops } from '../heads.ts';
import type { Spec } from '../spec.ts';
import type { NodeList } from './node.ts';

/** Adds every declared head and its upsampled map; returns the map's id per head kind. */
export function fittedHeadNodes(spec: Spec, d: ModelDims, taps: string[], list: NodeList): Record<string, string> {
  const S = d.inputSize;
  const maps: Record<string, string> = {};
  for (const kind of declaredHeads(spec)) {
    const hd = headDims(spec, d, kind);
    const head = list.add({
      id: kind,
      op: kind === 'gaussian' ? 'gaussian_head' : 'knn_head',
      inputs: hd.scales.map((i) => taps[i]),
      shape: [hd.grid, hd.grid, 1],
      params: 0,
      // The knn head's FLOPs grow with the bank; counted here per training image in its bank.
      flops: headFlops(hd, spec, 1),
      ...(hd.stateBytes ? { bytes: hd.stateBytes } : { bytesPerTrainingImage: hd.bytesPerImage }),
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
