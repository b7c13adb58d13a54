// The forward (and inverse) in tfjs of one scale's discriminative normalizing flow: LayerNorm
// over (H, W, C) with a per-element affine, then `steps` all-in-one coupling steps (affine
// coupling with a soft clamp, a learned global per-channel affine, a fixed channel
// permutation). NHWC throughout. Parameters, subnet layers, constants and counts are declared
// in compiler/blocks/flow.ts; this class creates its variables from those declarations.
import * as tf from '@tensorflow/tfjs-core';
import {
  FLOW_NORM_EPS,
  flowNormParams,
  GLOBAL_SCALE_BETA,
  splitSizes,
  stepName,
  stepParams,
  subnetLayers,
  type SubnetLayerPlan,
} from '../../compiler/blocks/flow.ts';
import type { Spec } from '../../compiler/spec.ts';
import { layerNorm, permuteChannels, type Ops } from '../ops/index.ts';
import type { ParamStore } from './params.ts';
import { sincos2d } from './posembed.ts';
import { permutation, rngFor } from './prng.ts';

type Layer =
  | { kind: 'dw'; k: number; w: tf.Variable; b: tf.Variable }
  | { kind: 'conv'; k: number; w: tf.Variable; b: tf.Variable }
  | { kind: 'act'; fn: (x: tf.Tensor) => tf.Tensor };

interface Step {
  subnet: Layer[];
  gamma: tf.Variable;
  offset: tf.Variable;
  /** Name of the step's permutation buffer (permute: fixed), read at each call. */
  permName?: string;
}

export interface FlowOutput {
  z: tf.Tensor4D;
  /** log|det J| of the coupling chain per sample, [N]. */
  logdet: tf.Tensor1D;
}

export class ScaleFlow {
  private readonly normG: tf.Variable;
  private readonly normB: tf.Variable;
  private readonly steps: Step[];
  private readonly clamp: number;
  private readonly subnetScale: number;
  readonly channels: number;
  private readonly split: [number, number];
  /** The fixed position code [1, H, W, flow.position] the subnets see beside x1; null without one. */
  private readonly position: tf.Tensor4D | null;

  constructor(
    spec: Spec,
    readonly scale: number,
    readonly size: number,
    channels: number,
    private readonly store: ParamStore,
    private readonly ops: Ops,
    seed: number,
  ) {
    this.channels = channels;
    this.clamp = spec.flow.clamp;
    this.subnetScale = spec.flow.subnet_scale;
    this.split = splitSizes(channels);
    if (this.split[1] < 1) throw new Error(`flow of scale ${scale + 1} needs at least 2 channels`);
    const p = spec.flow.position;
    this.position = p > 0 ? tf.tensor4d(sincos2d(p, size), [1, size, size, p]) : null;
    const norm = store.declare(flowNormParams(scale, size, channels));
    this.normG = norm.get(`flow.${scale}.norm.g`)!;
    this.normB = norm.get(`flow.${scale}.norm.b`)!;
    this.steps = Array.from({ length: spec.flow.steps }, (_, k) => {
      const name = stepName(scale, k);
      const permName = spec.flow.permute === 'fixed' ? `${name}.perm` : undefined;
      if (permName) store.addBuffer(permName, permutation(channels, rngFor(seed, permName)));
      const vars = store.declare(stepParams(spec.flow, scale, k, channels));
      return {
        subnet: subnetLayers(spec.flow, scale, k, channels).map((l) => subnetLayer(l, vars)),
        gamma: vars.get(`${name}.gamma`)!,
        offset: vars.get(`${name}.offset`)!,
        permName,
      };
    });
  }

  /** Current permutation of step k (a buffer: setWeights may replace it). */
  private perm(k: number): number[] | undefined {
    const name = this.steps[k].permName;
    return name ? this.store.buffer(name) : undefined;
  }

  /** The input norm: LayerNorm over (H, W, C) per sample, per-element affine. */
  normalize(x: tf.Tensor4D): tf.Tensor4D {
    return layerNorm(x, this.normG, this.normB, FLOW_NORM_EPS, [1, 2, 3]) as tf.Tensor4D;
  }

  private subnet(step: Step, x1: tf.Tensor4D): tf.Tensor4D {
    let h: tf.Tensor4D = this.position ? (tf.concat([x1, tf.tile(this.position, [x1.shape[0], 1, 1, 1])], 3) as tf.Tensor4D) : x1;
    for (const layer of step.subnet) {
      if (layer.kind === 'act') h = layer.fn(h) as tf.Tensor4D;
      else if (layer.kind === 'dw') h = tf.add(this.ops.depthwiseConv(h, layer.w as tf.Tensor3D), layer.b) as tf.Tensor4D;
      else h = this.ops.conv(h, layer.w as tf.Tensor4D, layer.b as tf.Tensor1D);
    }
    return h;
  }

  /** s (clamped log-scale) and t for the moving half, from the conditioning half. */
  private coupling(step: Step, x1: tf.Tensor4D): { s: tf.Tensor4D; t: tf.Tensor4D } {
    const a = tf.mul(this.subnet(step, x1), this.subnetScale);
    const [as, t] = tf.split(a, 2, 3) as tf.Tensor4D[];
    return { s: tf.mul(tf.tanh(as), this.clamp), t };
  }

  /** g = 0.1·softplus_β(γ) = 0.2·softplus(0.5·γ). */
  private globalScale(step: Step): tf.Tensor1D {
    return tf.mul(tf.softplus(tf.mul(step.gamma, GLOBAL_SCALE_BETA)), 0.1 / GLOBAL_SCALE_BETA) as tf.Tensor1D;
  }

  /** The coupling chain on an already normalised input: x → (z, log|det J|). */
  forwardSteps(x: tf.Tensor4D): FlowOutput {
    const [n, h, w] = x.shape;
    let logdet: tf.Tensor1D = tf.zeros([n]);
    this.steps.forEach((step, k) => {
      const [x1, x2] = tf.split(x, this.split, 3) as tf.Tensor4D[];
      const { s, t } = this.coupling(step, x1);
      const y2 = tf.add(tf.mul(x2, tf.exp(s)), t);
      const g = this.globalScale(step);
      x = tf.add(tf.mul(tf.concat([x1, y2], 3), g), step.offset) as tf.Tensor4D;
      logdet = tf.add(logdet, tf.add(tf.sum(s, [1, 2, 3]), tf.mul(tf.sum(tf.log(g)), h * w))) as tf.Tensor1D;
      const perm = this.perm(k);
      if (perm) x = permuteChannels(x, perm) as tf.Tensor4D;
    });
    return { z: x, logdet };
  }

  /** Inverse of forwardSteps: z → x. */
  inverseSteps(z: tf.Tensor4D): tf.Tensor4D {
    let x = z;
    for (let k = this.steps.length - 1; k >= 0; k--) {
      const step = this.steps[k];
      const perm = this.perm(k);
      if (perm) {
        const inverse = new Array<number>(perm.length);
        perm.forEach((p, i) => (inverse[p] = i));
        x = permuteChannels(x, inverse) as tf.Tensor4D;
      }
      x = tf.div(tf.sub(x, step.offset), this.globalScale(step)) as tf.Tensor4D;
      const [x1, y2] = tf.split(x, this.split, 3) as tf.Tensor4D[];
      const { s, t } = this.coupling(step, x1);
      x = tf.concat([x1, tf.mul(tf.sub(y2, t), tf.exp(tf.neg(s)))], 3) as tf.Tensor4D;
    }
    return x;
  }

  dispose(): void {
    this.position?.dispose();
  }

  /** Norm + coupling chain. The norm is input preprocessing: not part of log|det J|. */
  forward(x: tf.Tensor4D): FlowOutput {
    return this.forwardSteps(this.normalize(x));
  }
}

/** One declared subnet layer with its variables, or its activation as a function. */
function subnetLayer(l: SubnetLayerPlan, vars: Map<string, tf.Variable>): Layer {
  if (l.kind === 'act') {
    if (l.act === 'relu') return { kind: 'act', fn: (x) => tf.relu(x) };
    if (l.act === 'gelu') return { kind: 'act', fn: (x) => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)) };
    const slope = l.slope;
    return { kind: 'act', fn: (x) => tf.leakyRelu(x, slope) };
  }
  return { kind: l.kind, k: l.k, w: vars.get(`${l.name}.w`)!, b: vars.get(`${l.name}.b`)! };
}
