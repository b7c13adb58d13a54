// Which named tensors each architecture needs, in the layout of the framework its weights
// come from (Keras names + HWIO kernels for the MobileNets; torchvision state-dict names +
// OIHW kernels for ResNets and VGGs). The network is a sequence of units, each ending at a
// tap of the backbone table; building taps up to unit k needs the tensors of units 0..k.
// The checker (file inspection) and the runtime (which builds the ops) both read this.
import { backboneInfo, makeDivisible, type BackboneArch } from '../backbones.ts';

export type WeightNaming = 'keras' | 'torchvision';

export interface ExpectedTensor {
  name: string;
  shape: number[];
  /** The layer it belongs to, for messages. */
  layer: string;
  kind: 'conv' | 'depthwise' | 'bias' | 'bn_gamma' | 'bn_beta' | 'bn_mean' | 'bn_var';
}

interface LayoutUnit {
  /** The tap this unit ends at (a name of the backbone table). */
  tap: string;
  tensors: ExpectedTensor[];
}

export interface ArchLayout {
  arch: BackboneArch;
  alpha: number;
  naming: WeightNaming;
  units: LayoutUnit[];
}

const KERAS_BN = ['gamma', 'beta', 'moving_mean', 'moving_variance'] as const;
const TORCH_BN = ['weight', 'bias', 'running_mean', 'running_var'] as const;
const BN_KINDS = ['bn_gamma', 'bn_beta', 'bn_mean', 'bn_var'] as const;

function kerasConv(name: string, kh: number, cin: number, cout: number): ExpectedTensor {
  return { name: `${name}/kernel`, shape: [kh, kh, cin, cout], layer: name, kind: 'conv' };
}
function kerasDepthwise(name: string, c: number): ExpectedTensor {
  return { name: `${name}/depthwise_kernel`, shape: [3, 3, c, 1], layer: name, kind: 'depthwise' };
}
function kerasBn(name: string, c: number): ExpectedTensor[] {
  return KERAS_BN.map((p, i) => ({ name: `${name}/${p}`, shape: [c], layer: name, kind: BN_KINDS[i] }));
}
function torchConv(name: string, k: number, cin: number, cout: number, bias = false): ExpectedTensor[] {
  const w: ExpectedTensor = { name: `${name}.weight`, shape: [cout, cin, k, k], layer: name, kind: 'conv' };
  return bias ? [w, { name: `${name}.bias`, shape: [cout], layer: name, kind: 'bias' }] : [w];
}
function torchBn(name: string, c: number): ExpectedTensor[] {
  return TORCH_BN.map((p, i) => ({ name: `${name}.${p}`, shape: [c], layer: name, kind: BN_KINDS[i] }));
}

/** Keras MobileNet (v1): stride-2 depthwise convs at blocks 2, 4, 6, 12. */
export const MOBILENET_V1_STRIDE2 = new Set([2, 4, 6, 12]);
const MOBILENET_V1_WIDTHS = [64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024];

function mobilenetV1Layout(alpha: number): LayoutUnit[] {
  const units: LayoutUnit[] = [];
  let cin = Math.floor(32 * alpha);
  const stem = [kerasConv('conv1', 3, 3, cin), ...kerasBn('conv1_bn', cin)];
  MOBILENET_V1_WIDTHS.forEach((width, i) => {
    const n = i + 1;
    const cout = Math.floor(width * alpha);
    const tensors = [
      ...(n === 1 ? stem : []),
      kerasDepthwise(`conv_dw_${n}`, cin),
      ...kerasBn(`conv_dw_${n}_bn`, cin),
      kerasConv(`conv_pw_${n}`, 1, cin, cout),
      ...kerasBn(`conv_pw_${n}_bn`, cout),
    ];
    units.push({ tap: `conv_pw_${n}`, tensors });
    cin = cout;
  });
  return units;
}

/** Keras MobileNetV2 inverted residual settings: expansion t, channels c, repeats n, first stride s. */
const MOBILENET_V2_SETTINGS: Array<[number, number, number, number]> = [
  [1, 16, 1, 1],
  [6, 24, 2, 2],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
];

export interface MobilenetV2Block {
  id: number;
  prefix: string;
  expansion: number;
  inChannels: number;
  outChannels: number;
  stride: number;
  residual: boolean;
}

export function mobilenetV2Blocks(alpha: number): { stemChannels: number; blocks: MobilenetV2Block[] } {
  const stemChannels = makeDivisible(32 * alpha, 8);
  const blocks: MobilenetV2Block[] = [];
  let cin = stemChannels;
  for (const [t, c, n, s] of MOBILENET_V2_SETTINGS) {
    // Keras truncates before rounding: _make_divisible(int(c * alpha), 8).
    const cout = makeDivisible(Math.trunc(c * alpha), 8);
    for (let r = 0; r < n; r++) {
      const id = blocks.length;
      const stride = r === 0 ? s : 1;
      blocks.push({
        id,
        prefix: id === 0 ? 'expanded_conv' : `block_${id}`,
        expansion: t,
        inChannels: cin,
        outChannels: cout,
        stride,
        residual: stride === 1 && cin === cout,
      });
      cin = cout;
    }
  }
  return { stemChannels, blocks };
}

function mobilenetV2Layout(alpha: number): LayoutUnit[] {
  const { stemChannels, blocks } = mobilenetV2Blocks(alpha);
  return blocks.map((b) => {
    const tensors: ExpectedTensor[] = [];
    if (b.id === 0) tensors.push(kerasConv('Conv1', 3, 3, stemChannels), ...kerasBn('bn_Conv1', stemChannels));
    const hidden = b.inChannels * b.expansion;
    if (b.id > 0) tensors.push(kerasConv(`${b.prefix}_expand`, 1, b.inChannels, hidden), ...kerasBn(`${b.prefix}_expand_BN`, hidden));
    tensors.push(kerasDepthwise(`${b.prefix}_depthwise`, hidden), ...kerasBn(`${b.prefix}_depthwise_BN`, hidden));
    tensors.push(kerasConv(`${b.prefix}_project`, 1, hidden, b.outChannels), ...kerasBn(`${b.prefix}_project_BN`, b.outChannels));
    return { tap: `block_${b.id}`, tensors };
  });
}

export interface ResnetShape {
  bottleneck: boolean;
  blocks: [number, number, number, number];
  /** Bottleneck inner width = planes * widthFactor (2 for Wide-ResNet50-2). */
  widthFactor: number;
}

export function resnetShape(arch: BackboneArch): ResnetShape {
  switch (arch) {
    case 'resnet18':
      return { bottleneck: false, blocks: [2, 2, 2, 2], widthFactor: 1 };
    case 'resnet34':
      return { bottleneck: false, blocks: [3, 4, 6, 3], widthFactor: 1 };
    case 'resnet50':
      return { bottleneck: true, blocks: [3, 4, 6, 3], widthFactor: 1 };
    case 'wide_resnet50_2':
      return { bottleneck: true, blocks: [3, 4, 6, 3], widthFactor: 2 };
    default:
      throw new Error(`${arch} is not a ResNet`);
  }
}

function resnetLayout(arch: BackboneArch): LayoutUnit[] {
  const { bottleneck, blocks, widthFactor } = resnetShape(arch);
  const expansion = bottleneck ? 4 : 1;
  let inplanes = 64;
  const units: LayoutUnit[] = [];
  blocks.forEach((count, li) => {
    const planes = 64 * 2 ** li;
    const stride = li === 0 ? 1 : 2;
    const tensors: ExpectedTensor[] = li === 0 ? [...torchConv('conv1', 7, 3, 64), ...torchBn('bn1', 64)] : [];
    for (let b = 0; b < count; b++) {
      const p = `layer${li + 1}.${b}`;
      const out = planes * expansion;
      if (bottleneck) {
        const width = planes * widthFactor;
        tensors.push(...torchConv(`${p}.conv1`, 1, inplanes, width), ...torchBn(`${p}.bn1`, width));
        tensors.push(...torchConv(`${p}.conv2`, 3, width, width), ...torchBn(`${p}.bn2`, width));
        tensors.push(...torchConv(`${p}.conv3`, 1, width, out), ...torchBn(`${p}.bn3`, out));
      } else {
        tensors.push(...torchConv(`${p}.conv1`, 3, inplanes, planes), ...torchBn(`${p}.bn1`, planes));
        tensors.push(...torchConv(`${p}.conv2`, 3, planes, planes), ...torchBn(`${p}.bn2`, planes));
      }
      if (b === 0 && (stride !== 1 || inplanes !== out)) {
        tensors.push(...torchConv(`${p}.downsample.0`, 1, inplanes, out), ...torchBn(`${p}.downsample.1`, out));
      }
      inplanes = out;
    }
    units.push({ tap: `layer${li + 1}`, tensors });
  });
  return units;
}

/** torchvision VGG `features` indices: one Conv2d+ReLU pair per conv, one MaxPool per block. */
export interface VggLayer {
  tap: string;
  kind: 'conv' | 'pool';
  /** Index in torchvision's `features` Sequential. */
  index: number;
  inChannels: number;
  outChannels: number;
}

export function vggLayers(arch: BackboneArch): VggLayer[] {
  const convsPerBlock = arch === 'vgg16' ? [2, 2, 3, 3, 3] : [2, 2, 4, 4, 4];
  const widths = [64, 128, 256, 512, 512];
  const layers: VggLayer[] = [];
  let index = 0;
  let cin = 3;
  convsPerBlock.forEach((n, b) => {
    for (let i = 1; i <= n; i++) {
      layers.push({ tap: `conv${b + 1}_${i}`, kind: 'conv', index, inChannels: cin, outChannels: widths[b] });
      cin = widths[b];
      index += 2; // Conv2d, ReLU
    }
    layers.push({ tap: `pool${b + 1}`, kind: 'pool', index, inChannels: cin, outChannels: cin });
    index += 1;
  });
  return layers;
}

function vggLayout(arch: BackboneArch): LayoutUnit[] {
  return vggLayers(arch).map((l) => ({
    tap: l.tap,
    tensors: l.kind === 'conv' ? torchConv(`features.${l.index}`, 3, l.inChannels, l.outChannels, true) : [],
  }));
}

export function archLayout(arch: BackboneArch, alpha = 1): ArchLayout {
  switch (arch) {
    case 'mobilenet_v1':
      return { arch, alpha, naming: 'keras', units: mobilenetV1Layout(alpha) };
    case 'mobilenet_v2':
      return { arch, alpha, naming: 'keras', units: mobilenetV2Layout(alpha) };
    case 'vgg16':
    case 'vgg19':
      return { arch, alpha: 1, naming: 'torchvision', units: vggLayout(arch) };
    default:
      return { arch, alpha: 1, naming: 'torchvision', units: resnetLayout(arch) };
  }
}

/**
 * A tap name as people write it: the table's name, or the Keras layer that produces it
 * (`conv_pw_3_relu`, `block_2_add`, `block_2_project_BN`, `expanded_conv_project_BN`).
 * Returns the table's name, or undefined when it is not a tap of this architecture.
 */
export function canonicalTap(arch: BackboneArch, alpha: number, name: string): string | undefined {
  const taps = backboneInfo(arch, alpha).taps.map((t) => t.name);
  if (taps.includes(name)) return name;
  let m = /^conv_pw_(\d+)_relu$/.exec(name);
  if (arch === 'mobilenet_v1' && m) return taps.includes(`conv_pw_${m[1]}`) ? `conv_pw_${m[1]}` : undefined;
  if (arch === 'mobilenet_v2') {
    if (name === 'expanded_conv_project_BN') return 'block_0';
    m = /^block_(\d+)_(add|project_BN)$/.exec(name);
    if (m && taps.includes(`block_${m[1]}`)) return `block_${m[1]}`;
  }
  return undefined;
}

/** Index (in network order) of the deepest of the given taps; throws on an unknown tap. */
export function deepestUnit(layout: ArchLayout, taps: string[]): number {
  let deepest = -1;
  for (const tap of taps) {
    const i = layout.units.findIndex((u) => u.tap === tap);
    if (i < 0) throw new Error(`unknown tap ${tap} for ${layout.arch}`);
    deepest = Math.max(deepest, i);
  }
  return deepest;
}

/** The tensors needed to compute the given taps (every unit up to the deepest). */
export function tensorsForTaps(layout: ArchLayout, taps: string[]): ExpectedTensor[] {
  return layout.units.slice(0, deepestUnit(layout, taps) + 1).flatMap((u) => u.tensors);
}
