// The backbone table: one source of truth for the checker (tap names, channels, strides)
// and the runtime (which builds the networks and maps taps onto their layers).
// Channels and strides are those of the published architectures (Keras MobileNets,
// torchvision ResNets and VGGs); a tap's spatial size is ceil(inputSize / stride).

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

function mobilenetV1(alpha: number): BackboneInfo {
  // conv_pw_N: pointwise conv N after BN + ReLU6. Stride doubles at dw 2, 4, 6, 12.
  const spec: Array<[number, number]> = [
    [64, 2],
    [128, 4],
    [128, 4],
    [256, 8],
    [256, 8],
    [512, 16],
    [512, 16],
    [512, 16],
    [512, 16],
    [512, 16],
    [512, 16],
    [1024, 32],
    [1024, 32],
  ];
  return {
    arch: 'mobilenet_v1',
    alpha,
    taps: spec.map(([c, s], i) => ({ name: `conv_pw_${i + 1}`, channels: Math.floor(c * alpha), stride: s })),
    defaultTaps: ['conv_pw_3', 'conv_pw_5', 'conv_pw_11'],
    normalization: TF_NORMALIZATION,
    weightsHint: 'a Keras MobileNet in TF.js layers format (model.json + shards), e.g. mobilenet_v1_1.0_224',
  };
}

function mobilenetV2(alpha: number): BackboneInfo {
  // block_0 is Keras' "expanded_conv"; block_N the output of inverted residual N (its add where it has one).
  const spec: Array<[number, number]> = [
    [16, 2],
    [24, 4],
    [24, 4],
    [32, 8],
    [32, 8],
    [32, 8],
    [64, 16],
    [64, 16],
    [64, 16],
    [64, 16],
    [96, 16],
    [96, 16],
    [96, 16],
    [160, 32],
    [160, 32],
    [160, 32],
    [320, 32],
  ];
  return {
    arch: 'mobilenet_v2',
    alpha,
    taps: spec.map(([c, s], i) => ({ name: `block_${i}`, channels: makeDivisible(c * alpha), stride: s })),
    defaultTaps: ['block_2', 'block_5', 'block_12'],
    normalization: TF_NORMALIZATION,
    weightsHint: 'a Keras MobileNetV2 in TF.js layers format (model.json + shards)',
  };
}

function resnet(arch: BackboneArch, channels: number[]): BackboneInfo {
  return {
    arch,
    alpha: 1,
    taps: channels.map((c, i) => ({ name: `layer${i + 1}`, channels: c, stride: 4 * 2 ** i })),
    defaultTaps: ['layer1', 'layer2', 'layer3'],
    normalization: IMAGENET_NORMALIZATION,
    weightsHint: `a torchvision ${arch} state dict saved as .safetensors (or .pth)`,
  };
}

function vgg(arch: 'vgg16' | 'vgg19'): BackboneInfo {
  const convsPerBlock = arch === 'vgg16' ? [2, 2, 3, 3, 3] : [2, 2, 4, 4, 4];
  const widths = [64, 128, 256, 512, 512];
  const taps: TapInfo[] = [];
  convsPerBlock.forEach((n, b) => {
    for (let i = 1; i <= n; i++) taps.push({ name: `conv${b + 1}_${i}`, channels: widths[b], stride: 2 ** b });
    taps.push({ name: `pool${b + 1}`, channels: widths[b], stride: 2 ** (b + 1) });
  });
  const last = convsPerBlock.map((n, b) => `conv${b + 1}_${n}`);
  return {
    arch,
    alpha: 1,
    taps,
    defaultTaps: [last[2], last[3], last[4]],
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
      return resnet(arch, [64, 128, 256, 512]);
    case 'resnet50':
    case 'wide_resnet50_2':
      return resnet(arch, [256, 512, 1024, 2048]);
    case 'vgg16':
    case 'vgg19':
      return vgg(arch);
  }
}

export function tapSize(inputSize: number, stride: number): number {
  return Math.ceil(inputSize / stride);
}
