// Block: the dual-attention transformer. Feature tokens (the embeddings of every scale side by
// side, width W = E·scales) plus fixed 2-D sin-cos positions; L learned memory tokens; `depth`
// pre-norm blocks whose weights both branches share (self: T feature tokens attend to
// themselves; memorial: the memory stream attends across); a final LayerNorm.
import type { ModelDims } from '../dims.ts';
import type { Spec } from '../spec.ts';
import { owning, type NodeList } from './node.ts';
import { linearParams, normParams, type ParamDecl } from './params.ts';

/** LayerNorm eps of the transformer (MAE's norm layer). */
export const TOKEN_NORM_EPS = 1e-6;

export function memoryParams(spec: Spec, d: ModelDims): ParamDecl[] {
  return [{ name: 'memory', shape: [d.memoryTokens, d.width], init: { kind: 'normal', std: spec.transformer.memory.init_std }, group: 'transformer' }];
}

/** Block i: norm1, qkv (bias per transformer.qkv_bias), proj, norm2, fc1 (W → hidden), fc2. */
export function blockParams(spec: Spec, d: ModelDims, i: number): ParamDecl[] {
  const W = d.width;
  const name = `blocks.${i}`;
  return [
    ...normParams(`${name}.norm1`, 'transformer', [W]),
    ...linearParams(`${name}.qkv`, 'transformer', W, 3 * W, spec.transformer.qkv_bias),
    ...linearParams(`${name}.proj`, 'transformer', W, W),
    ...normParams(`${name}.norm2`, 'transformer', [W]),
    ...linearParams(`${name}.fc1`, 'transformer', W, d.mlpHidden),
    ...linearParams(`${name}.fc2`, 'transformer', d.mlpHidden, W),
  ];
}

export function finalNormParams(d: ModelDims): ParamDecl[] {
  return normParams('norm', 'transformer', [d.width]);
}

/** Forward FLOPs of one branch in one block: `rows` queries over `keys` keys. */
function branchFlops(d: ModelDims, rows: number, keys: number): number {
  const W = d.width;
  const H = d.mlpHidden;
  return 2 * rows * W * 3 * W + 2 * 2 * rows * keys * W + 2 * rows * W * W + 2 * 2 * rows * W * H;
}

/** Adds tokens, positions, memory, the blocks and the final norm; returns the norm's id. */
export function transformerNodes(spec: Spec, d: ModelDims, embeds: string[], list: NodeList): string {
  const T = d.tokens;
  const W = d.width;
  const L = d.memoryTokens;
  const tokens = list.add({ id: 'tokens', op: 'concat_tokens', inputs: embeds, shape: [T, W], params: 0, flops: 0 });
  const pos = list.add({
    id: 'pos',
    op: 'position_embed',
    inputs: [tokens],
    shape: [T, W],
    params: 0,
    flops: T * W,
    attrs: { kind: 'sincos-2d', fixed: true },
  });
  const memory = list.add({
    id: 'memory',
    op: 'memory_tokens',
    inputs: [],
    shape: [L, W],
    ...owning(memoryParams(spec, d)),
    flops: L * W,
    attrs: { init: `normal(0, ${spec.transformer.memory.init_std})`, query: spec.transformer.memory.query },
  });
  // Both branches run every layer: self over T feature tokens, memorial over L memory tokens.
  const blockFlops = branchFlops(d, T, T) + branchFlops(d, L, T);
  let prev = [pos, memory];
  for (let b = 0; b < spec.transformer.depth; b++) {
    const id = list.add({
      id: `block${b + 1}`,
      op: 'dual_attention_block',
      inputs: prev,
      shape: [T + L, W],
      ...owning(blockParams(spec, d, b)),
      flops: blockFlops,
      attrs: { heads: d.heads, headDim: d.headDim, mlpHidden: d.mlpHidden, sharedBetweenBranches: true, preNorm: true },
    });
    prev = [id];
  }
  return list.add({ id: 'norm', op: 'layer_norm', inputs: prev, shape: [T + L, W], ...owning(finalNormParams(d)), flops: 8 * (T + L) * W });
}
