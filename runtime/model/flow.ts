// Block: one scale's discriminative normalizing flow, written once for both engines (tfjs and
// ONNX, runtime/tensor-ops): LayerNorm over (H, W, C) with a per-element affine, then `steps`
// all-in-one coupling steps (affine coupling with a soft clamp, a learned global per-channel
// affine, a fixed channel permutation). NHWC throughout. Parameters, subnet layers, constants
// and counts are declared in compiler/blocks/flow.ts; this reads the parameters by those names.
import { FLOW_NORM_EPS, GLOBAL_SCALE_BETA, splitSizes, stepName, subnetLayers, type SubnetLayerPlan } from '../../compiler/blocks/flow.ts';
import type { Spec, Stream } from '../../compiler/spec.ts';
import type { TensorOps } from '../tensor-ops/types.ts';
import { sincos2d } from './posembed.ts';

export interface FlowOutput<T> {
  z: T;
  /** log|det J| of the coupling chain per sample, [N]. */
  logdet: T;
}

/** The flow input of one scale: the streams of flow.over concatenated along channels. */
export function flowInput<T>(ops: TensorOps<T>, streams: Stream[], prior: T, rec: { self: T; memory: T }): T {
  const parts = streams.map((s) => (s === 'prior' ? prior : s === 'self' ? rec.self : rec.memory));
  return parts.length === 1 ? parts[0] : ops.concat(parts, 3);
}

export class ScaleFlow<T> {
  private readonly subnets: SubnetLayerPlan[][];
  readonly split: [number, number];
  /** The fixed position code [H, W, flow.position] the subnets see beside x1, made once; null without one. */
  private readonly position: T | null;

  constructor(
    private readonly ops: TensorOps<T>,
    private readonly spec: Spec,
    readonly scale: number,
    readonly size: number,
    readonly channels: number,
  ) {
    this.split = splitSizes(channels);
    if (this.split[1] < 1) throw new Error(`flow of scale ${scale + 1} needs at least 2 channels`);
    const p = spec.flow.position;
    this.position = p > 0 ? ops.constant(`flow.${scale}.position`, [size, size, p], () => sincos2d(p, size)) : null;
    this.subnets = Array.from({ length: spec.flow.steps }, (_, k) => subnetLayers(spec.flow, scale, k, channels));
  }

  /** The input norm: LayerNorm over (H, W, C) per sample, per-element affine. */
  normalize(x: T): T {
    const name = `flow.${this.scale}.norm`;
    return this.ops.layerNorm(x, this.ops.param(`${name}.g`), this.ops.param(`${name}.b`), FLOW_NORM_EPS, 1);
  }

  /** x1 with the fixed position code [H, W, flow.position] appended along channels, when there is one. */
  private withPosition(x1: T): T {
    return this.position === null ? x1 : this.ops.concat([x1, this.ops.repeatBatch(this.position, x1)], 3);
  }

  private subnet(k: number, x1: T): T {
    const { ops } = this;
    let h = this.withPosition(x1);
    const layers = this.subnets[k];
    for (let i = 0; i < layers.length; i++) {
      const layer = layers[i];
      if (layer.kind === 'act') h = layer.act === 'relu' ? ops.relu(h) : layer.act === 'gelu' ? ops.gelu(h) : ops.leakyRelu(h, layer.slope);
      else if (layer.kind === 'dw') {
        const conv = ops.depthwiseConv(h, ops.param(`${layer.name}.w`));
        const bias = ops.param(`${layer.name}.b`);
        // The bias and a following (leaky) relu in one kernel where the engine has it.
        const next = layers[i + 1];
        const slope = next?.kind === 'act' && next.act !== 'gelu' ? next.slope : undefined;
        const fused = slope === undefined ? undefined : ops.fusedBiasLeakyRelu?.(conv, bias, slope);
        if (fused) i++;
        h = fused ?? ops.add(conv, bias);
      } else h = ops.conv(h, ops.param(`${layer.name}.w`), ops.param(`${layer.name}.b`));
    }
    return h;
  }

  /** s (clamped log-scale) and t for the moving half, from the subnet's raw output. */
  private coupling(h: T): { s: T; t: T } {
    const { ops } = this;
    const [as, t] = ops.split(ops.mul(h, this.spec.flow.subnet_scale), 2, 3);
    return { s: ops.mul(ops.tanh(as), this.spec.flow.clamp), t };
  }

  /** g = 0.1·softplus_β(γ) = 0.2·softplus(0.5·γ) (folded into one constant by the ONNX engine). */
  private globalScale(k: number): T {
    const { ops } = this;
    return ops.mul(ops.softplus(ops.mul(ops.param(`${stepName(this.scale, k)}.gamma`), GLOBAL_SCALE_BETA)), 0.1 / GLOBAL_SCALE_BETA);
  }

  private permutation(k: number): number[] | undefined {
    return this.spec.flow.permute === 'fixed' ? this.ops.buffer(`${stepName(this.scale, k)}.perm`) : undefined;
  }

  /** The coupling chain on an already normalised input: x → z, and log|det J| when asked. */
  forwardSteps(x: T, withLogdet = true): { z: T; logdet?: T } {
    const { ops } = this;
    let logdet: T | undefined;
    // x whole, or as its halves [x1, x2] while the fused kernel runs (it takes and gives halves).
    let state: { whole: T } | { halves: T[] } = { whole: x };
    for (let k = 0; k < this.spec.flow.steps; k++) {
      const [x1, x2] = 'halves' in state ? state.halves : ops.split(state.whole, this.split, 3);
      const { next, sdet } = this.step(k, x1, x2, withLogdet);
      state = next;
      if (withLogdet) {
        const step = ops.add(sdet!, ops.mul(ops.sum(ops.log(this.globalScale(k)), [0]), this.size * this.size));
        logdet = logdet === undefined ? step : ops.add(logdet, step);
      }
    }
    return { z: 'halves' in state ? ops.concat(state.halves, 3) : state.whole, logdet };
  }

  /**
   * One coupling step on x's halves: z (whole, or as its halves where the engine's fused kernel
   * computed it: runtime/ops/coupling-kernel.ts), and Σ s per sample (its part of log|det J|) when asked.
   */
  private step(k: number, x1: T, x2: T, withSdet: boolean): { next: { whole: T } | { halves: T[] }; sdet?: T } {
    const { ops } = this;
    const h = this.subnet(k, x1);
    const g = this.globalScale(k);
    const offset = ops.param(`${stepName(this.scale, k)}.offset`);
    const perm = this.permutation(k);
    const fused = ops.fusedCoupling?.(x1, x2, h, g, offset, { scale: this.spec.flow.subnet_scale, clamp: this.spec.flow.clamp, perm });
    if (fused) return { next: { halves: [fused.z1, fused.z2] }, sdet: fused.sdet };
    const { s, t } = this.coupling(h);
    const y2 = ops.add(ops.mul(x2, ops.exp(s)), t);
    const z = ops.add(ops.mul(ops.concat([x1, y2], 3), g), offset);
    return { next: { whole: perm ? ops.permuteChannels(z, perm) : z }, sdet: withSdet ? ops.sum(s, [1, 2, 3]) : undefined };
  }

  /** Inverse of forwardSteps: z → x. */
  inverseSteps(z: T): T {
    const { ops } = this;
    let x = z;
    for (let k = this.spec.flow.steps - 1; k >= 0; k--) {
      const perm = this.permutation(k);
      if (perm) {
        const inverse = new Array<number>(perm.length);
        perm.forEach((p, i) => (inverse[p] = i));
        x = ops.permuteChannels(x, inverse);
      }
      x = ops.div(ops.sub(x, ops.param(`${stepName(this.scale, k)}.offset`)), this.globalScale(k));
      const [x1, y2] = ops.split(x, this.split, 3);
      const { s, t } = this.coupling(this.subnet(k, x1));
      x = ops.concat([x1, ops.mul(ops.sub(y2, t), ops.exp(ops.neg(s)))], 3);
    }
    return x;
  }

  /** Norm + coupling chain. The norm is input preprocessing: not part of log|det J|. */
  forward(x: T): FlowOutput<T> {
    const { z, logdet } = this.forwardSteps(this.normalize(x));
    return { z, logdet: logdet! };
  }

  /** z alone (scoring, export): norm + coupling chain without log|det J|. */
  transform(x: T): T {
    return this.forwardSteps(this.normalize(x), false).z;
  }
}
