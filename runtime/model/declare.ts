// The tfjs model's variables and buffers, created from the block declarations in
// compiler/blocks, in the model's stable order (transformer blocks, then each scale's flow).
import { embedParams } from '../../compiler/blocks/embed.ts';
import { flowNormParams, stepName, stepParams } from '../../compiler/blocks/flow.ts';
import { headParams } from '../../compiler/blocks/heads.ts';
import { blockParams, finalNormParams, memoryParams } from '../../compiler/blocks/transformer.ts';
import type { ModelDims } from '../../compiler/dims.ts';
import type { Spec } from '../../compiler/spec.ts';
import type { ParamStore } from './params.ts';
import { permutation, rngFor } from './prng.ts';

export function declareTransformer(store: ParamStore, spec: Spec, dims: ModelDims): void {
  for (const s of dims.scales) store.declare(embedParams(s, dims.embedDim));
  store.declare(memoryParams(spec, dims));
  for (let i = 0; i < spec.transformer.depth; i++) store.declare(blockParams(spec, dims, i));
  store.declare(finalNormParams(dims));
  for (const s of dims.scales) store.declare(headParams(s, dims));
}

/** One scale's flow: its norm, each step's parameters and (permute: fixed) its permutation buffer, drawn from the seed. */
export function declareFlow(store: ParamStore, spec: Spec, scale: number, size: number, channels: number, seed: number): void {
  store.declare(flowNormParams(scale, size, channels));
  for (let k = 0; k < spec.flow.steps; k++) {
    const name = stepName(scale, k);
    if (spec.flow.permute === 'fixed') store.addBuffer(`${name}.perm`, permutation(channels, rngFor(seed, `${name}.perm`)));
    store.declare(stepParams(spec.flow, scale, k, channels));
  }
}
