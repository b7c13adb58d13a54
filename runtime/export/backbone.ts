// The frozen backbone as ONNX nodes (NCHW), mirroring runtime/backbones layer for layer, with
// BatchNorm folded by the same code (runtime/backbones/params.ts) from the same weights file
// (or the same seeded random weights) the run was trained with.
import type { BackboneArch } from '../../compiler/backbones.ts';
import { MOBILENET_V1_STRIDE2, archLayout, deepestUnit, mobilenetV2Blocks, resnetShape, vggLayers } from '../../compiler/weights/index.ts';
import { UserError } from '../../common/errors.ts';
import { Params, type FoldedConv } from '../backbones/params.ts';
import { loadNativeWeights } from '../weights/load.ts';
import { randomNativeWeights } from '../weights/random.ts';
import type { GraphBuilder } from './graph.ts';

export interface BackboneSource {
  arch: BackboneArch;
  alpha: number;
  /** Weights file of a pretrained run; undefined with random. */
  weights?: string;
  random: boolean;
  seed: number;
  /** Canonical tap names in network order. */
  taps: string[];
}

type Activation = 'linear' | 'relu' | 'relu6';
/** 'same' = TF same padding (extra at the end), or explicit symmetric padding. */
type Pad = 'same' | number;

/** HWIO [kh, kw, I, O] → OIHW. */
function hwioToOihw(data: Float32Array, [h, w, i, o]: number[]): Float32Array {
  const out = new Float32Array(data.length);
  for (let hh = 0; hh < h; hh++)
    for (let ww = 0; ww < w; ww++)
      for (let ii = 0; ii < i; ii++) for (let oo = 0; oo < o; oo++) out[((oo * i + ii) * h + hh) * w + ww] = data[((hh * w + ww) * i + ii) * o + oo];
  return out;
}

class BackboneEmitter {
  constructor(
    private readonly g: GraphBuilder,
    private readonly params: Params,
  ) {}

  private conv(x: string, c: FoldedConv, name: string, stride: number, pad: Pad, act: Activation, depthwise = false): string {
    const g = this.g;
    const shape = c.filter.shape as number[];
    const filter = c.filter.dataSync() as Float32Array;
    // A depthwise filter [kh, kw, C, 1] is HWIO with I = C, O = 1; ONNX wants [C, 1, kh, kw].
    const [kh, kw, ci, co] = shape;
    const oihw = depthwise ? hwioToOihw(filter, [kh, kw, 1, ci]) : hwioToOihw(filter, shape);
    const wShape = depthwise ? [ci, 1, kh, kw] : [co, ci, kh, kw];
    const w = g.weight(`${name}.w`, oihw, wShape);
    const b = g.weight(`${name}.b`, Float32Array.from(c.bias.dataSync() as Float32Array), [c.bias.shape[0]]);
    const attrs = {
      kernel_shape: [kh, kw],
      strides: [stride, stride],
      group: depthwise ? ci : 1,
      ...(pad === 'same' ? { auto_pad: 'SAME_UPPER' } : { pads: [pad, pad, pad, pad] }),
    };
    const y = g.node('Conv', [x, w, b], attrs, name);
    if (act === 'linear') return y;
    if (act === 'relu') return g.node('Relu', [y], {}, `${name}.relu`);
    return g.node('Clip', [y, g.float(0), g.float(6)], {}, `${name}.relu6`);
  }

  mobilenetV1(x: string, upTo: number, taps: Set<string>): Record<string, string> {
    const p = this.params;
    const out: Record<string, string> = {};
    let h = this.conv(x, p.convBn('conv1/kernel', 'conv1_bn', 1e-3), 'conv1', 2, 'same', 'relu6');
    for (let i = 0; i <= upTo; i++) {
      const n = i + 1;
      const stride = MOBILENET_V1_STRIDE2.has(n) ? 2 : 1;
      h = this.conv(h, p.convBn(`conv_dw_${n}/depthwise_kernel`, `conv_dw_${n}_bn`, 1e-3, true), `conv_dw_${n}`, stride, 'same', 'relu6', true);
      h = this.conv(h, p.convBn(`conv_pw_${n}/kernel`, `conv_pw_${n}_bn`, 1e-3), `conv_pw_${n}`, 1, 'same', 'relu6');
      if (taps.has(`conv_pw_${n}`)) out[`conv_pw_${n}`] = h;
    }
    return out;
  }

  mobilenetV2(x: string, alpha: number, upTo: number, taps: Set<string>): Record<string, string> {
    const p = this.params;
    const out: Record<string, string> = {};
    let h = this.conv(x, p.convBn('Conv1/kernel', 'bn_Conv1', 1e-3), 'Conv1', 2, 'same', 'relu6');
    for (const b of mobilenetV2Blocks(alpha).blocks.slice(0, upTo + 1)) {
      let y = b.id > 0 ? this.conv(h, p.convBn(`${b.prefix}_expand/kernel`, `${b.prefix}_expand_BN`, 1e-3), `${b.prefix}_expand`, 1, 'same', 'relu6') : h;
      y = this.conv(
        y,
        p.convBn(`${b.prefix}_depthwise/depthwise_kernel`, `${b.prefix}_depthwise_BN`, 1e-3, true),
        `${b.prefix}_depthwise`,
        b.stride,
        'same',
        'relu6',
        true,
      );
      y = this.conv(y, p.convBn(`${b.prefix}_project/kernel`, `${b.prefix}_project_BN`, 1e-3), `${b.prefix}_project`, 1, 'same', 'linear');
      h = b.residual ? this.g.add(h, y, `${b.prefix}_add`) : y;
      if (taps.has(`block_${b.id}`)) out[`block_${b.id}`] = h;
    }
    return out;
  }

  resnet(x: string, arch: BackboneArch, upTo: number, taps: Set<string>): Record<string, string> {
    const p = this.params;
    const g = this.g;
    const out: Record<string, string> = {};
    const { bottleneck, blocks } = resnetShape(arch);
    let h = this.conv(x, p.convBn('conv1.weight', 'bn1', 1e-5), 'conv1', 2, 3, 'relu');
    // Inputs are ≥ 0 after the ReLU: ONNX's −∞ padding equals the runtime's zero padding.
    h = g.node('MaxPool', [h], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, 'maxpool');
    blocks.slice(0, upTo + 1).forEach((count, li) => {
      for (let bi = 0; bi < count; bi++) {
        const prefix = `layer${li + 1}.${bi}`;
        const stride = li > 0 && bi === 0 ? 2 : 1;
        const cb = (n: number) => p.convBn(`${prefix}.conv${n}.weight`, `${prefix}.bn${n}`, 1e-5);
        const convs = bottleneck
          ? [
              { c: cb(1), stride: 1, pad: 0 },
              { c: cb(2), stride, pad: 1 },
              { c: cb(3), stride: 1, pad: 0 },
            ]
          : [
              { c: cb(1), stride, pad: 1 },
              { c: cb(2), stride: 1, pad: 1 },
            ];
        const identity =
          bi === 0 && (stride !== 1 || bottleneck)
            ? this.conv(h, p.convBn(`${prefix}.downsample.0.weight`, `${prefix}.downsample.1`, 1e-5), `${prefix}.downsample`, stride, 0, 'linear')
            : h;
        let y = h;
        convs.forEach((c, i) => {
          y = this.conv(y, c.c, `${prefix}.conv${i + 1}`, c.stride, c.pad, i === convs.length - 1 ? 'linear' : 'relu');
        });
        h = g.node('Relu', [g.add(y, identity, `${prefix}.add`)], {}, `${prefix}.relu`);
      }
      if (taps.has(`layer${li + 1}`)) out[`layer${li + 1}`] = h;
    });
    return out;
  }

  vgg(x: string, arch: BackboneArch, upTo: number, taps: Set<string>): Record<string, string> {
    const out: Record<string, string> = {};
    let h = x;
    for (const l of vggLayers(arch).slice(0, upTo + 1)) {
      h =
        l.kind === 'conv'
          ? this.conv(h, this.params.convBias(`features.${l.index}.weight`, `features.${l.index}.bias`), l.tap, 1, 1, 'relu')
          : this.g.node('MaxPool', [h], { kernel_shape: [2, 2], strides: [2, 2] }, l.tap);
      if (taps.has(l.tap)) out[l.tap] = h;
    }
    return out;
  }
}

/**
 * Emits the backbone on a normalised NCHW input and returns the taps (NCHW value names).
 * Loads the weights again from the run's source; the folded tensors are disposed here.
 */
export function emitBackbone(g: GraphBuilder, x: string, source: BackboneSource): Record<string, string> {
  const { arch, alpha } = source;
  const layout = archLayout(arch, alpha);
  const upTo = deepestUnit(layout, source.taps);
  const weights = source.weights
    ? loadNativeWeights(source.weights, arch, alpha, source.taps).weights
    : source.random
      ? randomNativeWeights(arch, alpha, source.seed, source.taps)
      : undefined;
  if (!weights) throw new UserError(`backbone ${arch}: the run names neither weights nor random ones`, { hint: 'retrain the run' });
  const params = new Params(weights, layout.naming);
  const emitter = new BackboneEmitter(g, params);
  const taps = new Set(source.taps);
  const scope = g.scope;
  g.scope = 'backbone/';
  try {
    switch (arch) {
      case 'mobilenet_v1':
        return emitter.mobilenetV1(x, upTo, taps);
      case 'mobilenet_v2':
        return emitter.mobilenetV2(x, alpha, upTo, taps);
      case 'vgg16':
      case 'vgg19':
        return emitter.vgg(x, arch, upTo, taps);
      case 'resnet18':
      case 'resnet34':
      case 'resnet50':
      case 'wide_resnet50_2':
        return emitter.resnet(x, arch, upTo, taps);
      default:
        throw new UserError(`backbone ${String(arch)}: the ONNX exporter has no emitter for this architecture`, {
          hint: 'export supports the MobileNets, ResNets and VGGs',
        });
    }
  } finally {
    g.scope = scope;
    params.dispose();
    weights.clear();
  }
}
