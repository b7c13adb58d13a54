// Which named tensors each architecture needs, in the layout of the framework its weights
// come from (Keras names + HWIO kernels for the MobileNets; torchvision state-dict names +
// OIHW kernels for ResNets and VGGs). The network is a sequence of units, each ending at a
// tap of the backbone table; building taps up to unit k needs the tensors of units 0..k.
// The checker (file inspection) and the runtime (random weights, loading) both read this; the
// architectures' structure (widths, strides, blocks) is compiler/backbones.ts'.
import { backboneInfo, MOBILENET_V1_WIDTHS, mobilenetV2Blocks, resnetShape, vggLayers, type BackboneArch } from '../backbones.ts';

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
