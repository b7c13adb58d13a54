// What a backbone's forward is written with: the op interface (runtime/tensor-ops), so one
// forward runs eagerly on tfjs (feature extraction, training, scoring) and emits the ONNX graph
// (export), and a convolution layer read from the weights file by its definition.
import type { TensorOps } from '../tensor-ops/types.ts';
import type { ConvDef, FoldedWeights } from './fold.ts';

export class BackboneNet<T> {
  constructor(
    readonly ops: TensorOps<T>,
    private readonly weights: FoldedWeights,
  ) {}

  /** A convolution layer: its folded weights are fixed tensors of the engine, made on first use. */
  conv(x: T, def: ConvDef): T {
    const { ops, weights } = this;
    return ops.scope(def.name, () => {
      const w = ops.constant(`backbone/${def.name}.w`, weights.kernelShape(def), () => weights.fold(def).filter);
      const b = ops.constant(`backbone/${def.name}.b`, [weights.channels(def)], () => weights.fold(def).bias);
      return ops.convLayer(x, w, b, def);
    });
  }
}
