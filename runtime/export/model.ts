// The DADF model as ONNX nodes: patch embeddings, positions, memory tokens, dual-attention
// blocks, heads, unpatchify, flows, per-scale maps, upsampling, fusion, smoothing and the image
// score. It emits the same steps as the tfjs forward (runtime/model), in NCHW where
// convolutions are involved (ONNX's layout) and [N, T, W] for tokens; parameter names, subnet
// layers, splits and constants come from the block declarations in compiler/blocks.
import type { ModelDims } from '../../compiler/dims.ts';
import type { Spec } from '../../compiler/spec.ts';
import { UserError } from '../../common/errors.ts';
import { FLOW_NORM_EPS, GLOBAL_SCALE_BETA, splitSizes, subnetLayers } from '../../compiler/blocks/flow.ts';
import { gaussianTaps } from '../../compiler/blocks/score.ts';
import { TOKEN_NORM_EPS } from '../../compiler/blocks/transformer.ts';
import type { ScaleCalibration } from '../model/index.ts';
import type { NamedWeight } from '../model/params.ts';
import { sincos2d } from '../model/posembed.ts';
import type { GraphBuilder } from './graph.ts';

/** tfjs' Softplus kernel: x above −log(ε)−2 passes through, below log(ε)+2 is exp(x). */
function softplusF32(x: number): number {
  const threshold = Math.log(1.1920928955078125e-7) + 2;
  if (x < threshold) return Math.fround(Math.exp(x));
  if (x > -threshold) return x;
  return Math.fround(Math.log(1 + Math.exp(x)));
}

/** Refuses what the emitter cannot write, naming the node and why. */
function cannot(node: string, why: string): never {
  throw new UserError(`cannot export node ${node}: ${why}`, { hint: 'change the pipeline option, or score this run with --engine tfjs' });
}

class ModelEmitter {
  constructor(
    private readonly g: GraphBuilder,
    private readonly spec: Spec,
    private readonly dims: ModelDims,
    private readonly weights: Record<string, NamedWeight>,
    private readonly calibration?: ScaleCalibration,
  ) {}

  /** One initializer per scale for the flows' position code, shared by its steps. */
  private readonly positionCodes = new Map<number, string>();

  private w(name: string): NamedWeight {
    const w = this.weights[name];
    if (!w) throw new UserError(`the checkpoint has no weight ${name}`, { hint: 'was it written by a different pipeline? retrain the run' });
    return w;
  }

  /** A model weight as an initializer, reshaped/transposed by `layout` when given. */
  private init(name: string, layout?: { data: Float32Array; dims: number[] }): string {
    const w = this.w(name);
    return layout ? this.g.weight(name, layout.data, layout.dims) : this.g.weight(name, w.data, w.shape);
  }

  private dense(x: string, name: string, bias = true): string {
    const y = this.g.matmul(x, this.init(`${name}.w`), name);
    return bias ? this.g.add(y, this.init(`${name}.b`), `${name}.bias`) : y;
  }

  private layerNorm(x: string, name: string, eps: number, axis: number, layout?: (w: NamedWeight) => { data: Float32Array; dims: number[] }): string {
    const g = layout ? this.init(`${name}.g`, layout(this.w(`${name}.g`))) : this.init(`${name}.g`);
    const b = layout ? this.init(`${name}.b`, layout(this.w(`${name}.b`))) : this.init(`${name}.b`);
    return this.g.node('LayerNormalization', [x, g, b], { axis, epsilon: { float: eps } }, name);
  }

  private gelu(x: string, label: string): string {
    const g = this.g;
    const half = g.mul(x, g.float(0.5), `${label}.half`);
    const erf = g.node('Erf', [g.mul(x, g.float(Math.SQRT1_2), `${label}.scaled`)], {}, `${label}.erf`);
    return g.mul(half, g.add(erf, g.float(1), `${label}.one`), label);
  }

  // ---------------------------------------------------------------- transformer

  /** Feature tokens [N, T, width] from the NCHW taps. */
  private embed(taps: string[]): string {
    const g = this.g;
    const { tokens, embedDim, width, grid } = this.dims;
    const parts = this.dims.scales.map((_, i) => {
      const w = this.w(`embed.${i}.w`); // [p, p, C, E] → [E, C, p, p]
      const [p, , c, e] = w.shape;
      const oihw = new Float32Array(w.data.length);
      for (let a = 0; a < p; a++)
        for (let b = 0; b < p; b++)
          for (let ci = 0; ci < c; ci++) for (let ei = 0; ei < e; ei++) oihw[((ei * c + ci) * p + a) * p + b] = w.data[((a * p + b) * c + ci) * e + ei];
      const conv = g.node(
        'Conv',
        [taps[i], this.init(`embed.${i}.w`, { data: oihw, dims: [e, c, p, p] }), this.init(`embed.${i}.b`)],
        { kernel_shape: [p, p], strides: [p, p] },
        `embed.${i}`,
      );
      return g.transpose(g.reshape(conv, [-1, embedDim, tokens], `embed.${i}.flat`), [0, 2, 1], `embed.${i}.tokens`);
    });
    const pos = g.weight('pos_embed', sincos2d(width, grid), [tokens, width]);
    return g.add(g.concat(parts, 2, 'embed.concat'), pos, 'embed.pos');
  }

  /** Memory tokens + positions, repeated over the batch: [N, T, width]. */
  private memoryStream(like: string): string {
    const g = this.g;
    const { tokens, width, grid } = this.dims;
    const memory = this.w('memory');
    const pos = sincos2d(width, grid);
    // The runtime adds them in float32; a float32 sum of float32 values is exact to round once.
    const sum = new Float32Array(memory.data.length);
    for (let k = 0; k < sum.length; k++) sum[k] = memory.data[k] + pos[k];
    const start = g.weight('memory_plus_pos', sum, [1, tokens, width]);
    const batch = g.node('Shape', [like], { start: 0, end: 1 }, 'memory.batch');
    const shape = g.concat([batch, g.ints([tokens, width])], 0, 'memory.shape');
    return g.node('Expand', [start, shape], {}, 'memory.tile');
  }

  private splitHeads(x: string, keyLayout: boolean, label: string): string {
    const { tokens, heads, headDim } = this.dims;
    const four = this.g.reshape(x, [-1, tokens, heads, headDim], `${label}.heads`);
    return this.g.transpose(four, keyLayout ? [0, 2, 3, 1] : [0, 2, 1, 3], `${label}.t`);
  }

  private attention(qh: string, kt: string, vh: string, label: string): string {
    const g = this.g;
    const { tokens, width, headDim } = this.dims;
    const scores = g.mul(g.matmul(qh, kt, `${label}.qk`), g.float(1 / Math.sqrt(headDim)), `${label}.scale`);
    const weights = g.node('Softmax', [scores], { axis: -1 }, `${label}.softmax`);
    const out = g.matmul(weights, vh, `${label}.av`);
    return g.reshape(g.transpose(out, [0, 2, 1, 3], `${label}.merge`), [-1, tokens, width], `${label}.out`);
  }

  /** One block on the stacked streams [N, 2T, width] (features first, memory second). */
  private block(i: number, both: string): string {
    const g = this.g;
    const { tokens, width } = this.dims;
    const name = `blocks.${i}`;
    const normed = this.layerNorm(both, `${name}.norm1`, TOKEN_NORM_EPS, -1);
    const qkv = this.dense(normed, `${name}.qkv`, this.spec.transformer.qkv_bias);
    const [q, k, v] = g.split(qkv, [width, width, width], 2, `${name}.qkv.split`);
    const [q1, q2] = g.split(q, [tokens, tokens], 1, `${name}.q.rows`);
    const [k1, k2] = g.split(k, [tokens, tokens], 1, `${name}.k.rows`);
    const [v1, v2] = g.split(v, [tokens, tokens], 1, `${name}.v.rows`);
    const q1h = this.splitHeads(q1, false, `${name}.q1`);
    const k1t = this.splitHeads(k1, true, `${name}.k1`);
    const selfOut = this.attention(q1h, k1t, this.splitHeads(v1, false, `${name}.v1`), `${name}.self`);
    const v2h = this.splitHeads(v2, false, `${name}.v2`);
    const memOut =
      this.spec.transformer.memory.query === 'memory'
        ? this.attention(this.splitHeads(q2, false, `${name}.q2`), k1t, v2h, `${name}.memorial`)
        : this.attention(q1h, this.splitHeads(k2, true, `${name}.k2`), v2h, `${name}.memorial`);
    const attended = g.add(both, this.dense(g.concat([selfOut, memOut], 1, `${name}.attn.concat`), `${name}.proj`), `${name}.residual1`);
    const hidden = this.gelu(this.dense(this.layerNorm(attended, `${name}.norm2`, TOKEN_NORM_EPS, -1), `${name}.fc1`), `${name}.gelu`);
    return g.add(attended, this.dense(hidden, `${name}.fc2`), `${name}.residual2`);
  }

  /** [N, T, p·p·C] tokens → NCHW [N, C, G·p, G·p] (runtime unpatchify, then to NCHW). */
  private unpatchify(t: string, scale: number, label: string): string {
    const s = this.dims.scales[scale];
    const { grid } = this.dims;
    const six = this.g.reshape(t, [-1, grid, grid, s.patch, s.patch, s.channels], `${label}.six`);
    const moved = this.g.transpose(six, [0, 5, 1, 3, 2, 4], `${label}.nchw`);
    return this.g.reshape(moved, [-1, s.channels, grid * s.patch, grid * s.patch], label);
  }

  /** φS and φM per scale, NCHW. */
  private reconstruct(taps: string[]): { self: string[]; memory: string[] } {
    const g = this.g;
    g.scope = 'transformer/';
    const x = this.embed(taps);
    let both = g.concat([x, this.memoryStream(x)], 1, 'streams');
    for (let i = 0; i < this.spec.transformer.depth; i++) both = this.block(i, both);
    const final = this.layerNorm(both, 'norm', TOKEN_NORM_EPS, -1);
    const self: string[] = [];
    const memory: string[] = [];
    this.dims.scales.forEach((_, i) => {
      const [rs, rm] = g.split(this.dense(final, `head.${i}`), [this.dims.tokens, this.dims.tokens], 1, `head.${i}.rows`);
      self.push(this.unpatchify(rs, i, `head.${i}.self`));
      memory.push(this.unpatchify(rm, i, `head.${i}.memory`));
    });
    return { self, memory };
  }

  // ---------------------------------------------------------------- flow

  private perChannel(name: string, data: Float32Array): string {
    return this.g.weight(name, data, [data.length, 1, 1]);
  }

  /** The coupling subnet of one step, layer by layer as the flow block declares it. */
  private subnet(x1: string, scale: number, step: number): string {
    const g = this.g;
    const channels = this.dims.scales[scale].flowChannels;
    let h = this.withPosition(x1, scale, `flow.${scale}.step${step}`);
    for (const layer of subnetLayers(this.spec.flow, scale, step, channels)) {
      const node = layer.name;
      if (layer.kind === 'act') {
        if (layer.act === 'leaky_relu') h = g.node('LeakyRelu', [h], { alpha: { float: layer.slope } }, node);
        else if (layer.act === 'relu') h = g.node('Relu', [h], {}, node);
        else h = this.gelu(h, node);
      } else if (layer.kind === 'dw') {
        const w = this.w(`${node}.w`); // [k, k, C]
        const { k, cin: c } = layer;
        if (k === 1) {
          h = g.add(g.mul(h, this.perChannel(`${node}.w`, w.data), `${node}.scale`), this.perChannel(`${node}.b`, this.w(`${node}.b`).data), node);
        } else {
          const oihw = new Float32Array(w.data.length);
          for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) for (let ci = 0; ci < c; ci++) oihw[(ci * k + a) * k + b] = w.data[(a * k + b) * c + ci];
          const r = (k - 1) / 2;
          h = g.node(
            'Conv',
            [h, g.weight(`${node}.w`, oihw, [c, 1, k, k]), this.init(`${node}.b`)],
            { kernel_shape: [k, k], group: c, pads: [r, r, r, r] },
            node,
          );
        }
      } else {
        const w = this.w(`${node}.w`); // [k, k, Cin, Cout]
        const { k, cin, cout } = layer;
        const oihw = new Float32Array(w.data.length);
        for (let a = 0; a < k; a++)
          for (let b = 0; b < k; b++)
            for (let ci = 0; ci < cin; ci++)
              for (let co = 0; co < cout; co++) oihw[((co * cin + ci) * k + a) * k + b] = w.data[((a * k + b) * cin + ci) * cout + co];
        const r = (k - 1) / 2;
        h = g.node('Conv', [h, g.weight(`${node}.w`, oihw, [cout, cin, k, k]), this.init(`${node}.b`)], { kernel_shape: [k, k], pads: [r, r, r, r] }, node);
      }
    }
    return h;
  }

  /** x1 [N, c1, H, W] with the fixed position code appended along channels (flow.position > 0). */
  private withPosition(x1: string, scale: number, name: string): string {
    const p = this.spec.flow.position;
    if (p === 0) return x1;
    const g = this.g;
    const size = this.dims.scales[scale].size;
    let code = this.positionCodes.get(scale);
    if (!code) {
      const hwc = sincos2d(p, size); // [H·W, p]
      const chw = new Float32Array(hwc.length);
      for (let t = 0; t < size * size; t++) for (let c = 0; c < p; c++) chw[c * size * size + t] = hwc[t * p + c];
      code = g.weight(`flow.${scale}.position`, chw, [1, p, size, size]);
      this.positionCodes.set(scale, code);
    }
    const shape = g.concat([g.node('Shape', [x1], { start: 0, end: 1 }, `${name}.batch`), g.ints([p, size, size])], 0, `${name}.position_shape`);
    return g.concat([x1, g.node('Expand', [code, shape], {}, `${name}.position`)], 1, `${name}.conditioned`);
  }

  /** The flow of one scale on its NCHW input: z, NCHW. */
  private flow(input: string, scale: number): string {
    const g = this.g;
    const s = this.dims.scales[scale];
    const split = splitSizes(s.flowChannels);
    const moving = split[1];
    const hwcToChw = (w: NamedWeight) => {
      const [h, wd, c] = w.shape;
      const out = new Float32Array(w.data.length);
      for (let y = 0; y < h; y++) for (let x = 0; x < wd; x++) for (let ci = 0; ci < c; ci++) out[(ci * h + y) * wd + x] = w.data[(y * wd + x) * c + ci];
      return { data: out, dims: [c, h, wd] };
    };
    let x = this.layerNorm(input, `flow.${scale}.norm`, FLOW_NORM_EPS, 1, hwcToChw);
    for (let k = 0; k < this.spec.flow.steps; k++) {
      const name = `flow.${scale}.step${k}`;
      const [x1, x2] = g.split(x, split, 1, `${name}.split`);
      const a = g.mul(this.subnet(x1, scale, k), g.float(this.spec.flow.subnet_scale), `${name}.subnet_scale`);
      const [as, t] = g.split(a, [moving, moving], 1, `${name}.st`);
      const sClamped = g.mul(g.node('Tanh', [as], {}, `${name}.tanh`), g.float(this.spec.flow.clamp), `${name}.clamp`);
      const y2 = g.add(g.mul(x2, g.node('Exp', [sClamped], {}, `${name}.exp`), `${name}.scale`), t, `${name}.shift`);
      // Global affine: g = 0.2·softplus(0.5·γ), each step in float32 as the runtime does.
      const gamma = this.w(`${name}.gamma`).data;
      const scaleG = new Float32Array(gamma.length);
      for (let c = 0; c < gamma.length; c++)
        scaleG[c] = Math.fround(softplusF32(Math.fround(gamma[c] * GLOBAL_SCALE_BETA)) * Math.fround(0.1 / GLOBAL_SCALE_BETA));
      x = g.add(
        g.mul(g.concat([x1, y2], 1, `${name}.join`), this.perChannel(`${name}.global_scale`, scaleG), `${name}.global_scale`),
        this.perChannel(`${name}.offset`, this.w(`${name}.offset`).data),
        `${name}.global_offset`,
      );
      if (this.spec.flow.permute === 'fixed') {
        const perm = Array.from(this.w(`${name}.perm`).data, (v) => Math.round(v));
        x = g.node('Gather', [x, g.ints(perm)], { axis: 1 }, `${name}.permute`);
      }
    }
    return x;
  }

  // ---------------------------------------------------------------- scoring

  /** Anomaly maps [N, S, S] and image scores [N] from the NCHW taps. */
  emit(taps: string[]): { maps: string; scores: string } {
    const g = this.g;
    const score = this.spec.score;
    const rec = this.reconstruct(taps);
    g.scope = 'score/';
    const stream = (name: string, i: number) => (name === 'prior' ? taps[i] : name === 'self' ? rec.self[i] : rec.memory[i]);
    const errorMap = (prior: string, r: string, label: string) => {
      const d = g.sub(prior, r, `${label}.diff`);
      return g.node('ReduceMean', [g.mul(d, d, `${label}.sq`)], { axes: [1], keepdims: 0 }, label);
    };
    const size = this.dims.inputSize;
    const perScale = this.dims.scoredScales.map((i, k) => {
      let map: string;
      const label = `scale${i + 1}`;
      if (score.source === 'flow') {
        g.scope = 'flow/';
        const input = g.concat(
          this.dims.streams.map((s) => stream(s, i)),
          1,
          `flow.${i}.input`,
        );
        const z = this.flow(input, i);
        g.scope = 'score/';
        const meanSq = g.node('ReduceMean', [g.mul(z, z, `${label}.z2`)], { axes: [1], keepdims: 0 }, `${label}.mean_z2`);
        map = g.node('Neg', [g.node('Exp', [g.mul(meanSq, g.float(-0.5), `${label}.half`)], {}, `${label}.exp`)], {}, `${label}.map`);
      } else if (score.source === 'self') map = errorMap(taps[i], rec.self[i], `${label}.map`);
      else if (score.source === 'memory') map = errorMap(taps[i], rec.memory[i], `${label}.map`);
      else {
        const a = g.mul(errorMap(taps[i], rec.self[i], `${label}.self_error`), g.float(score.self_weight), `${label}.self_weighted`);
        const b = g.mul(errorMap(taps[i], rec.memory[i], `${label}.memory_error`), g.float(1 - score.self_weight), `${label}.memory_weighted`);
        map = g.add(a, b, `${label}.map`);
      }
      return this.upsample(this.calibrate(map, k, label), size, label);
    });
    const fused = this.fuse(perScale, score.source === 'flow' && score.calibrate !== 'validation');
    const maps = this.smooth(fused, score.smooth, size);
    return { maps, scores: this.imageScore(maps, size) };
  }

  /** (map − mean) / std with the run's validation statistics of this scale, when the spec calibrates. */
  private calibrate(map: string, k: number, label: string): string {
    if (this.spec.score.calibrate !== 'validation') return map;
    const c = this.calibration?.[k];
    if (!c) return cannot('score/calibrate', 'the run has no validation calibration for this scoring');
    const g = this.g;
    return g.div(g.sub(map, g.float(c.mean), `${label}.centred`), g.float(c.std), `${label}.calibrated`);
  }

  /** [N, h, w] → [N, 1, S, S]; Resize matches tf.image.resize*(halfPixelCenters = true). */
  private upsample(map: string, size: number, label: string): string {
    const g = this.g;
    const four = g.node('Unsqueeze', [map, g.ints([1])], {}, `${label}.nchw`);
    const sizes = g.concat([g.node('Shape', [four], { start: 0, end: 2 }, `${label}.batch`), g.ints([size, size])], 0, `${label}.sizes`);
    const attrs =
      this.spec.score.upsample === 'bilinear'
        ? { mode: 'linear', coordinate_transformation_mode: 'half_pixel' }
        : // tf: floor((i + 0.5)·in/out); ONNX half_pixel gives (i + 0.5)·in/out − 0.5, rounded half up.
          { mode: 'nearest', coordinate_transformation_mode: 'half_pixel', nearest_mode: 'round_prefer_ceil' };
    return g.node('Resize', [four, '', '', sizes], attrs, `${label}.upsample`);
  }

  /** [N, 1, S, S] maps → [N, S, S]. */
  private fuse(maps: string[], negativeLikelihood: boolean): string {
    const g = this.g;
    const stacked = g.concat(maps, 1, 'stack');
    switch (this.spec.score.fuse) {
      case 'mean':
        return g.node('ReduceMean', [stacked], { axes: [1], keepdims: 0 }, 'fuse.mean');
      case 'sum':
        return g.node('ReduceSum', [stacked, g.ints([1])], { keepdims: 0 }, 'fuse.sum');
      case 'max':
        return g.node('ReduceMax', [stacked], { axes: [1], keepdims: 0 }, 'fuse.max');
      case 'product':
        if (!negativeLikelihood) return g.node('ReduceProd', [stacked], { axes: [1], keepdims: 0 }, 'fuse.product');
        return g.node(
          'Neg',
          [g.node('ReduceProd', [g.node('Neg', [stacked], {}, 'fuse.likelihood')], { axes: [1], keepdims: 0 }, 'fuse.product')],
          {},
          'fuse.negate',
        );
      default:
        return cannot('score/fuse', `fusion ${String(this.spec.score.fuse)} has no ONNX form here`);
    }
  }

  /** Separable Gaussian with scipy 'reflect' (= tf 'symmetric') borders, as index gathers. */
  private smooth(map: string, sigma: number, size: number): string {
    if (sigma <= 0) return map;
    const g = this.g;
    const taps = gaussianTaps(sigma);
    const r = (taps.length - 1) / 2;
    if (r >= size) cannot('score/smooth', `smoothing sigma ${sigma} needs a ${r}-pixel border, more than the ${size}-pixel map has`);
    const index = [
      ...Array.from({ length: r }, (_, k) => r - 1 - k),
      ...Array.from({ length: size }, (_, k) => k),
      ...Array.from({ length: r }, (_, k) => size - 1 - k),
    ];
    const four = g.node('Unsqueeze', [map, g.ints([1])], {}, 'smooth.nchw');
    const padded = g.node('Gather', [g.node('Gather', [four, g.ints(index)], { axis: 2 }, 'smooth.pad_rows'), g.ints(index)], { axis: 3 }, 'smooth.pad_cols');
    const k = taps.length;
    const rows = g.node('Conv', [padded, g.weight('smooth.rows', Float32Array.from(taps), [1, 1, k, 1])], { kernel_shape: [k, 1] }, 'smooth.rows');
    const both = g.node('Conv', [rows, g.weight('smooth.cols', Float32Array.from(taps), [1, 1, 1, k])], { kernel_shape: [1, k] }, 'smooth.cols');
    return g.node('Squeeze', [both, g.ints([1])], {}, 'smooth');
  }

  private imageScore(maps: string, size: number): string {
    const g = this.g;
    const flat = g.reshape(maps, [-1, size * size], 'image.flat');
    switch (this.spec.score.image) {
      case 'max':
        return g.node('ReduceMax', [flat], { axes: [1], keepdims: 0 }, 'image.max');
      case 'mean':
        return g.node('ReduceMean', [flat], { axes: [1], keepdims: 0 }, 'image.mean');
      case 'top1pct': {
        const k = Math.max(1, Math.round(0.01 * size * size));
        const [values] = g.nodeN('TopK', [flat, g.ints([k])], { axis: -1 }, 2, 'image.topk');
        return g.node('ReduceMean', [values], { axes: [1], keepdims: 0 }, 'image.top1pct');
      }
      default:
        return cannot('score/image', `image score ${String(this.spec.score.image)} has no ONNX form here`);
    }
  }
}

/** Emits the model on NCHW taps (in the order of dims.scales); returns maps [N, S, S] and scores [N]. */
export function emitModel(
  g: GraphBuilder,
  taps: string[],
  spec: Spec,
  dims: ModelDims,
  weights: Record<string, NamedWeight>,
  calibration?: ScaleCalibration,
): { maps: string; scores: string } {
  return new ModelEmitter(g, spec, dims, weights, calibration).emit(taps);
}
