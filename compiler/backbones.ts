// The backbones, described once: each architecture's structure (widths, strides, blocks of the
// published Keras MobileNets and torchvision ResNets and VGGs), and the table derived from it
// (tap names, channels, strides) for the checker. The weight layouts (compiler/weights) and the
// runtime's forwards (runtime/backbones) read the same structure. A tap's spatial size is
// ceil(inputSize / stride).

export type BackboneArch = 'mobilenet_v1' | 'mobilenet_v2' | 'resnet18' | 'resnet34' | 'resnet50' | 'wide_resnet50_2' | 'vgg16' | 'vgg19';

export const BACKBONE_ARCHS: readonly BackboneArch[] = [
  'mobilenet_v1',
  'mobilenet_v2',
  'resnet18',
  'resnet34',
  'resnet50',
  'wide_resnet50_2',
  'vgg16',
  'vgg19',
];

/** How pixel values in [0, 255] are mapped before the first layer. */
export type InputNormalization =
  | { kind: 'imagenet'; mean: [number, number, number]; std: [number, number, number] }
  | { kind: 'tf'; description: 'x / 127.5 - 1' };

export const IMAGENET_NORMALIZATION: InputNormalization = {
  kind: 'imagenet',
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
};
export const TF_NORMALIZATION: InputNormalization = { kind: 'tf', description: 'x / 127.5 - 1' };

export interface TapInfo {
  name: string;
  channels: number;
  stride: number;
}

export interface BackboneInfo {
  arch: BackboneArch;
  /** Width multiplier; 1 for architectures without one. */
  alpha: number;
  /** Taps in network order. */
  taps: TapInfo[];
  defaultTaps: string[];
  normalization: InputNormalization;
  /** Where pretrained weights usually come from, for messages. */
  weightsHint: string;
}

/** Width multipliers the Keras MobileNets were published with. */
const MOBILENET_V1_ALPHAS = [0.25, 0.5, 0.75, 1.0] as const;
const MOBILENET_V2_ALPHAS = [0.35, 0.5, 0.75, 1.0, 1.3, 1.4] as const;

export function alphasOf(arch: BackboneArch): readonly number[] {
  if (arch === 'mobilenet_v1') return MOBILENET_V1_ALPHAS;
  if (arch === 'mobilenet_v2') return MOBILENET_V2_ALPHAS;
  return [1];
}

/** Keras' rule for MobileNetV2 channel counts. */
export function makeDivisible(value: number, divisor = 8): number {
  const rounded = Math.max(divisor, Math.floor((value + divisor / 2) / divisor) * divisor);
  return rounded < 0.9 * value ? rounded + divisor : rounded;
}

/** Keras MobileNet (v1): pointwise widths of blocks 1..13 at α 1; stride-2 depthwise convs at blocks 2, 4, 6, 12. */
export const MOBILENET_V1_STRIDE2 = new Set([2, 4, 6, 12]);
export const MOBILENET_V1_WIDTHS = [64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024];

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

function mobilenetV1(alpha: number): BackboneInfo {
  // conv_pw_N: pointwise conv N after BN + ReLU6; the stem conv has stride 2.
  let stride = 2;
  return {
    arch: 'mobilenet_v1',
    alpha,
    taps: MOBILENET_V1_WIDTHS.map((width, i) => {
      if (MOBILENET_V1_STRIDE2.has(i + 1)) stride *= 2;
      return { name: `conv_pw_${i + 1}`, channels: Math.floor(width * alpha), stride };
    }),
    defaultTaps: ['conv_pw_3', 'conv_pw_5', 'conv_pw_11'],
    normalization: TF_NORMALIZATION,
    weightsHint: 'a Keras MobileNet in TF.js layers format (model.json + shards), e.g. mobilenet_v1_1.0_224',
  };
}

function mobilenetV2(alpha: number): BackboneInfo {
  // block_0 is Keras' "expanded_conv"; block_N the output of inverted residual N (its add where it has one).
  let stride = 2;
  return {
    arch: 'mobilenet_v2',
    alpha,
    taps: mobilenetV2Blocks(alpha).blocks.map((b) => {
      stride *= b.stride;
      return { name: `block_${b.id}`, channels: b.outChannels, stride };
    }),
    defaultTaps: ['block_2', 'block_5', 'block_12'],
    normalization: TF_NORMALIZATION,
    weightsHint: 'a Keras MobileNetV2 in TF.js layers format (model.json + shards)',
  };
}

function resnet(arch: BackboneArch): BackboneInfo {
  const expansion = resnetShape(arch).bottleneck ? 4 : 1;
  return {
    arch,
    alpha: 1,
    taps: [0, 1, 2, 3].map((i) => ({ name: `layer${i + 1}`, channels: 64 * 2 ** i * expansion, stride: 4 * 2 ** i })),
    defaultTaps: ['layer1', 'layer2', 'layer3'],
    normalization: IMAGENET_NORMALIZATION,
    weightsHint: `a torchvision ${arch} state dict saved as .safetensors (or .pth)`,
  };
}

function vgg(arch: 'vgg16' | 'vgg19'): BackboneInfo {
  const layers = vggLayers(arch);
  let stride = 1;
  const taps = layers.map((l) => {
    if (l.kind === 'pool') stride *= 2;
    return { name: l.tap, channels: l.outChannels, stride };
  });
  // The last conv of blocks 3, 4 and 5 (the one before each pool).
  const lastConvs = layers.filter((l, i) => l.kind === 'conv' && layers[i + 1]?.kind === 'pool').map((l) => l.tap);
  return {
    arch,
    alpha: 1,
    taps,
    defaultTaps: lastConvs.slice(2, 5),
    normalization: IMAGENET_NORMALIZATION,
    weightsHint: `a torchvision ${arch} state dict saved as .safetensors (or .pth)`,
  };
}

/** The table entry for an architecture and width multiplier. */
export function backboneInfo(arch: BackboneArch, alpha = 1): BackboneInfo {
  switch (arch) {
    case 'mobilenet_v1':
      return mobilenetV1(alpha);
    case 'mobilenet_v2':
      return mobilenetV2(alpha);
    case 'resnet18':
    case 'resnet34':
    case 'resnet50':
    case 'wide_resnet50_2':
      return resnet(arch);
    case 'vgg16':
    case 'vgg19':
      return vgg(arch);
  }
}

export function tapSize(inputSize: number, stride: number): number {
  return Math.ceil(inputSize / stride);
}
