// Block: the discriminative normalizing flow of one scale. A LayerNorm over (H, W, C) with a
// per-element affine, then `steps` all-in-one coupling steps: split into x1 (conditioning,
// first ⌈C/2⌉ channels) and x2; a subnet on x1 (plus an optional fixed position code) gives
// s, t; y2 = x2·exp(clamp·tanh(s)) + t; a learned global per-channel affine; a fixed channel
// permutation (a buffer, not a parameter).
import type { ModelDims, ScaleDims } from '../dims.ts';
import type { Spec } from '../spec.ts';
import { owning, type NodeList } from './node.ts';
import { normParams, type ParamDecl } from './params.ts';

type FlowSpec = Spec['flow'];

/** PyTorch nn.LayerNorm's default eps, used for the flow's input norm. */
export const FLOW_NORM_EPS = 1e-5;
/** g = 0.1·softplus_β(γ), β = 0.5 (FrEIA's all-in-one global scale). */
export const GLOBAL_SCALE_BETA = 0.5;
/** γ such that g = 1: softplus_0.5(γ) = 10 ⇒ γ = 2·ln(e⁵ − 1). */
const GAMMA_FOR_UNIT_SCALE = 2 * Math.log(Math.exp(5) - 1);

/** Channels of the halves: x1 (conditioning) = first ⌈C/2⌉, x2 (transformed) = the rest. */
export function splitSizes(channels: number): [number, number] {
  const moving = Math.floor(channels / 2);
  return [channels - moving, moving];
}

export const stepName = (scale: number, k: number) => `flow.${scale}.step${k}`;

/** One subnet layer as built: a (depthwise) conv with its kernel and channels, or an activation. */
export type SubnetLayerPlan =
  | { kind: 'conv' | 'dw'; name: string; k: number; cin: number; cout: number; params: ParamDecl[] }
  | { kind: 'act'; name: string; act: 'relu' | 'gelu' | 'leaky_relu'; slope: number; channels: number };

/**
 * The subnet of step k for C flow channels: kernels are 1×1 on odd steps when flow.alternate,
 * else as named; every conv keeps its input width except the last, which maps to 2·|x2|
 * (s and t). PyTorch's default conv init: U(±1/√fan_in).
 */
export function subnetLayers(flow: FlowSpec, scale: number, k: number, channels: number): SubnetLayerPlan[] {
  const [c1, c2] = splitSizes(channels);
  const small = flow.alternate && k % 2 === 1;
  const convs = flow.subnet.map((l, i) => (typeof l === 'string' && l.includes('conv') ? i : -1)).filter((i) => i >= 0);
  const last = convs[convs.length - 1];
  if (last === undefined) throw new Error('a flow subnet needs at least one conv layer');
  let width = c1 + flow.position;
  return flow.subnet.map((layer, i): SubnetLayerPlan => {
    const name = `${stepName(scale, k)}.subnet.${i}`;
    if (typeof layer === 'object') return { kind: 'act', name, act: 'leaky_relu', slope: layer.slope, channels: width };
    if (layer === 'relu' || layer === 'gelu') return { kind: 'act', name, act: layer, slope: 0, channels: width };
    const kernel = small || layer.endsWith('1x1') ? 1 : 3;
    if (layer.startsWith('dw')) {
      if (i === last && width !== 2 * c2) throw new Error(`the last subnet layer must map to ${2 * c2} channels; a depthwise conv cannot`);
      const limit = 1 / Math.sqrt(kernel * kernel);
      const params: ParamDecl[] = [
        { name: `${name}.w`, shape: [kernel, kernel, width], init: { kind: 'uniform', limit }, group: 'flow' },
        { name: `${name}.b`, shape: [width], init: { kind: 'uniform', limit }, group: 'flow' },
      ];
      return { kind: 'dw', name, k: kernel, cin: width, cout: width, params };
    }
    const cin = width;
    const cout = i === last ? 2 * c2 : width;
    const limit = 1 / Math.sqrt(kernel * kernel * cin);
    const params: ParamDecl[] = [
      { name: `${name}.w`, shape: [kernel, kernel, cin, cout], init: { kind: 'uniform', limit }, group: 'flow' },
      { name: `${name}.b`, shape: [cout], init: { kind: 'uniform', limit }, group: 'flow' },
    ];
    width = cout;
    return { kind: 'conv', name, k: kernel, cin, cout, params };
  });
}

export function flowNormParams(scale: number, size: number, channels: number): ParamDecl[] {
  return normParams(`flow.${scale}.norm`, 'flow', [size, size, channels]);
}

/** The subnet's parameters, then the global affine: γ (g = 1 at start) and an offset. */
export function stepParams(flow: FlowSpec, scale: number, k: number, channels: number): ParamDecl[] {
  const name = stepName(scale, k);
  return [
    ...subnetLayers(flow, scale, k, channels).flatMap((l) => (l.kind === 'act' ? [] : l.params)),
    { name: `${name}.gamma`, shape: [channels], init: { kind: 'constant', value: GAMMA_FOR_UNIT_SCALE }, group: 'flow' },
    { name: `${name}.offset`, shape: [channels], init: { kind: 'zeros' }, group: 'flow' },
  ];
}

function stepFlops(flow: FlowSpec, scale: number, k: number, size: number, channels: number): number {
  const hw = size * size;
  let flops = 6 * hw * channels; // coupling, global affine
  for (const l of subnetLayers(flow, scale, k, channels)) {
    if (l.kind === 'act') flops += hw * l.channels;
    else if (l.kind === 'dw') flops += 2 * hw * l.k * l.k * l.cin;
    else flops += 2 * hw * l.k * l.k * l.cin * l.cout;
  }
  return flops;
}

/** Adds the flow input, its norm and the steps of one scale; returns the last step's id (z). */
export function flowNodes(spec: Spec, d: ModelDims, s: ScaleDims, streams: string[], list: NodeList): string {
  const C = s.flowChannels;
  const shape = [s.size, s.size, C];
  const hw = s.size * s.size;
  let x = list.add({ id: `flow${s.index + 1}.input`, op: 'flow_input', inputs: streams, shape, params: 0, flops: 0, attrs: { streams: d.streams } });
  x = list.add({ id: `flow${s.index + 1}.norm`, op: 'flow_norm', inputs: [x], shape, ...owning(flowNormParams(s.index, s.size, C)), flops: 8 * hw * C });
  const f = spec.flow;
  for (let k = 0; k < f.steps; k++) {
    const decls = stepParams(f, s.index, k, C);
    x = list.add({
      id: `flow${s.index + 1}.step${k + 1}`,
      op: 'coupling_step',
      inputs: [x],
      shape,
      ...owning(decls),
      flops: stepFlops(f, s.index, k, s.size, C),
      attrs: {
        kernel: f.alternate && k % 2 === 1 ? 1 : 3,
        split: splitSizes(C),
        clamp: f.clamp,
        permute: f.permute,
        ...(f.position ? { position: f.position } : {}),
      },
    });
  }
  return x;
}
