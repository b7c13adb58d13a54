// A backbone's whole forward, written once on the op interface: the input normalisation, then
// the architecture's layers up to the deepest tap asked for. runtime/backbones/index.ts runs it
// on tfjs, runtime/export/index.ts emits it into the ONNX graph.
import type { BackboneArch, InputNormalization } from '../../compiler/backbones.ts';
import type { TensorOps } from '../tensor-ops/types.ts';
import type { FoldedWeights } from './fold.ts';
import { mobilenetV1 } from './mobilenet-v1.ts';
import { mobilenetV2 } from './mobilenet-v2.ts';
import { BackboneNet } from './net.ts';
import { resnet } from './resnet.ts';
import { vgg } from './vgg.ts';

/** Which network, how far, which taps (table names), and the input scaling it was trained with. */
export interface BackboneGraph {
  arch: BackboneArch;
  alpha: number;
  /** Index of the deepest layout unit (compiler/weights' archLayout) a tap needs. */
  upTo: number;
  taps: Set<string>;
  normalization: InputNormalization;
}

/** RGB in 0..255 → the backbone's input range. */
function normalize<T>(ops: TensorOps<T>, images: T, n: InputNormalization): T {
  if (n.kind === 'tf') return ops.sub(ops.div(images, 127.5), 1);
  const mean = ops.constant('normalize.mean', [3], () => n.mean);
  const std = ops.constant('normalize.std', [3], () => n.std);
  return ops.div(ops.sub(ops.div(images, 255), mean), std);
}

/** images: NHWC RGB in 0..255. Returns one NHWC map per tap asked for. */
export function backboneForward<T>(ops: TensorOps<T>, weights: FoldedWeights, graph: BackboneGraph, images: T): Record<string, T> {
  const x = ops.scope('normalize', () => normalize(ops, images, graph.normalization));
  const net = new BackboneNet(ops, weights);
  const { arch, alpha, upTo, taps } = graph;
  switch (arch) {
    case 'mobilenet_v1':
      return mobilenetV1(net, x, upTo, taps);
    case 'mobilenet_v2':
      return mobilenetV2(net, x, upTo, taps, alpha);
    case 'vgg16':
    case 'vgg19':
      return vgg(net, x, upTo, taps, arch);
    case 'resnet18':
    case 'resnet34':
    case 'resnet50':
    case 'wide_resnet50_2':
      return resnet(net, x, upTo, taps, arch);
  }
}
