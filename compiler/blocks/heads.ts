// Block: the projection head of one scale, shared by both branches: tokens [T, W] → a dense
// layer to p·p·C → unpatchified to the tap's [H, W, C] (φS from the feature stream, φM from
// the memory stream).
import type { ModelDims, ScaleDims } from '../dims.ts';
import { owning, type NodeList } from './node.ts';
import { linearParams, type ParamDecl } from './params.ts';

export function headParams(s: ScaleDims, d: ModelDims): ParamDecl[] {
  return linearParams(`head.${s.index}`, 'transformer', d.width, s.patch * s.patch * s.channels);
}

export function headNode(s: ScaleDims, d: ModelDims, norm: string, list: NodeList): string {
  const out = s.patch * s.patch * s.channels;
  return list.add({
    id: `head${s.index + 1}`,
    op: 'projection_head',
    inputs: [norm],
    shape: [s.size, s.size, s.channels],
    ...owning(headParams(s, d)),
    flops: 2 * 2 * d.tokens * d.width * out,
    attrs: { sharedBetweenBranches: true, unpatchify: s.patch, outputs: ['self', 'memory'] },
  });
}
