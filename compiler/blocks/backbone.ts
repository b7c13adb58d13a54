// Block: the frozen backbone. The image and one feature map per tap; no trainable parameters
// (the runtime loads the network from compiler/weights' layouts).
import type { ModelDims } from '../dims.ts';
import type { NodeList } from './node.ts';

/** Adds the image and the taps; returns the tap ids, one per scale. */
export function backboneNodes(d: ModelDims, list: NodeList): string[] {
  const S = d.inputSize;
  const image = list.add({ id: 'image', op: 'image', inputs: [], shape: [S, S, 3], params: 0, flops: 0, attrs: { normalization: d.normalization.kind } });
  return d.scales.map((s) =>
    list.add({
      id: `tap${s.index + 1}`,
      op: 'backbone_tap',
      inputs: [image],
      shape: [s.size, s.size, s.channels],
      params: 0,
      flops: 0,
      attrs: { tap: s.tap, stride: s.stride, frozen: true },
    }),
  );
}
