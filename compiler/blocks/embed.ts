// Block: the patch embedding of one scale, a conv with kernel = stride = patch from the tap's
// C channels to E; weight [p, p, C, E], Xavier over (p·p·C, E) as MAE.
import type { ModelDims, ScaleDims } from '../dims.ts';
import { owning, type NodeList } from './node.ts';
import type { ParamDecl } from './params.ts';

export function embedParams(s: ScaleDims, embedDim: number): ParamDecl[] {
  const fanIn = s.patch * s.patch * s.channels;
  return [
    { name: `embed.${s.index}.w`, shape: [s.patch, s.patch, s.channels, embedDim], init: { kind: 'xavier', fanIn, fanOut: embedDim }, group: 'transformer' },
    { name: `embed.${s.index}.b`, shape: [embedDim], init: { kind: 'zeros' }, group: 'transformer' },
  ];
}

export function embedNode(s: ScaleDims, d: ModelDims, tap: string, list: NodeList): string {
  return list.add({
    id: `embed${s.index + 1}`,
    op: 'patch_embed',
    inputs: [tap],
    shape: [d.grid, d.grid, d.embedDim],
    ...owning(embedParams(s, d.embedDim)),
    flops: 2 * d.grid * d.grid * s.patch * s.patch * s.channels * d.embedDim,
    attrs: { kernel: s.patch, stride: s.patch },
  });
}
