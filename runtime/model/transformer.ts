// The dual-attention transformer's forward in tfjs: patch embeddings per scale → tokens of
// width E·scales, fixed 2-D sin-cos positions, learned memory tokens, pre-norm blocks whose
// weights are shared by the self branch (feature stream) and the memorial branch (memory
// stream), a final norm, and one projection head per scale shared by both branches. The
// parameters, shapes and counts of these blocks are declared in compiler/blocks (embed,
// transformer, heads); this class creates its variables from those declarations.
import * as tf from '@tensorflow/tfjs-core';
import { embedParams } from '../../compiler/blocks/embed.ts';
import { headParams } from '../../compiler/blocks/heads.ts';
import type { ParamDecl } from '../../compiler/blocks/params.ts';
import { blockParams, finalNormParams, memoryParams, TOKEN_NORM_EPS } from '../../compiler/blocks/transformer.ts';
import type { ModelDims } from '../../compiler/dims.ts';
import type { Spec } from '../../compiler/spec.ts';
import { gelu, layerNorm, unpatchify, type Ops } from '../ops/index.ts';
import type { ParamStore } from './params.ts';
import { sincos2d } from './posembed.ts';

interface Linear {
  w: tf.Variable;
  b?: tf.Variable;
}
interface Norm {
  g: tf.Variable;
  b: tf.Variable;
}
interface Block {
  norm1: Norm;
  qkv: Linear;
  proj: Linear;
  norm2: Norm;
  fc1: Linear;
  fc2: Linear;
}

export type MemoryQuery = 'memory' | 'features';

export class DualTransformer {
  private readonly embeds: Linear[];
  private readonly memory: tf.Variable;
  private readonly pos: tf.Tensor2D;
  private readonly blocks: Block[];
  private readonly norm: Norm;
  private readonly heads: Linear[];
  readonly memoryQuery: MemoryQuery;

  constructor(
    spec: Spec,
    private readonly dims: ModelDims,
    store: ParamStore,
    private readonly ops: Ops,
  ) {
    const { width, tokens, memoryTokens } = dims;
    if (memoryTokens !== tokens) throw new Error(`memory tokens (${memoryTokens}) must equal the token count (${tokens})`);
    this.memoryQuery = spec.transformer.memory.query;
    const declared = (decls: ParamDecl[]) => {
      const vars = store.declare(decls);
      return {
        linear: (name: string): Linear => ({ w: vars.get(`${name}.w`)!, b: vars.get(`${name}.b`) }),
        norm: (name: string): Norm => ({ g: vars.get(`${name}.g`)!, b: vars.get(`${name}.b`)! }),
        one: (name: string) => vars.get(name)!,
      };
    };
    this.embeds = dims.scales.map((s) => declared(embedParams(s, dims.embedDim)).linear(`embed.${s.index}`));
    this.memory = declared(memoryParams(spec, dims)).one('memory');
    this.pos = tf.tensor2d(sincos2d(width, dims.grid), [tokens, width]);
    this.blocks = Array.from({ length: spec.transformer.depth }, (_, i) => {
      const block = declared(blockParams(spec, dims, i));
      const name = `blocks.${i}`;
      return {
        norm1: block.norm(`${name}.norm1`),
        qkv: block.linear(`${name}.qkv`),
        proj: block.linear(`${name}.proj`),
        norm2: block.norm(`${name}.norm2`),
        fc1: block.linear(`${name}.fc1`),
        fc2: block.linear(`${name}.fc2`),
      };
    });
    this.norm = declared(finalNormParams(dims)).norm('norm');
    this.heads = dims.scales.map((s) => declared(headParams(s, dims)).linear(`head.${s.index}`));
  }

  private dense(x: tf.Tensor, l: Linear): tf.Tensor {
    return this.ops.dense(x, l.w as tf.Tensor2D, l.b as tf.Tensor1D | undefined);
  }

  /** Feature tokens [N, T, width] from the per-scale backbone features (NHWC). */
  embed(prior: tf.Tensor4D[]): tf.Tensor3D {
    const n = prior[0].shape[0];
    const parts = prior.map((x, i) => {
      const e = this.ops.patchEmbed(x, this.embeds[i].w as tf.Tensor4D, this.embeds[i].b as tf.Tensor1D);
      return tf.reshape(e, [n, this.dims.tokens, this.dims.embedDim]);
    });
    return tf.add(tf.concat(parts, 2), this.pos) as tf.Tensor3D;
  }

  /** The memory stream's start: memory tokens + positions, one copy per sample. */
  memoryStream(n: number): tf.Tensor3D {
    return tf.tile(tf.expandDims(tf.add(this.memory, this.pos), 0), [n, 1, 1]) as tf.Tensor3D;
  }

  /**
   * One dual-attention block. Both branches read the block's input: queries, keys and values
   * are computed once for the stacked [features; memory] rows with the shared qkv weights.
   * memoryQuery 'memory' (authors' code): memorial = softmax(q2 k1ᵀ/√d) v2;
   * 'features' (paper text): memorial = softmax(q1 k2ᵀ/√d) v2. The memorial output updates the
   * memory stream, so the input's values never enter it.
   */
  block(b: Block, x: tf.Tensor3D, m: tf.Tensor3D): [tf.Tensor3D, tf.Tensor3D] {
    const n = x.shape[0];
    const heads = this.dims.heads;
    const both = tf.concat([x, m], 0);
    const normed = layerNorm(both, b.norm1.g, b.norm1.b, TOKEN_NORM_EPS);
    const [q, k, v] = tf.split(this.dense(normed, b.qkv), 3, 2) as tf.Tensor3D[];
    const rows = (t: tf.Tensor3D, first: boolean) => tf.slice(t, [first ? 0 : n, 0, 0], [n, -1, -1]) as tf.Tensor3D;
    const [q1, k1, v1] = [rows(q, true), rows(k, true), rows(v, true)];
    const [q2, k2, v2] = [rows(q, false), rows(k, false), rows(v, false)];
    const selfOut = this.ops.attention(q1, k1, v1, heads);
    const memOut = this.memoryQuery === 'memory' ? this.ops.attention(q2, k1, v2, heads) : this.ops.attention(q1, k2, v2, heads);
    const attended = tf.add(both, this.dense(tf.concat([selfOut, memOut], 0), b.proj));
    const hidden = gelu(this.dense(layerNorm(attended, b.norm2.g, b.norm2.b, TOKEN_NORM_EPS), b.fc1));
    const out = tf.add(attended, this.dense(hidden, b.fc2)) as tf.Tensor3D;
    return [rows(out, true), rows(out, false)];
  }

  /** All blocks on a feature stream x and a memory stream m, [N, T, width] each. */
  runBlocks(x: tf.Tensor3D, m: tf.Tensor3D): [tf.Tensor3D, tf.Tensor3D] {
    for (const b of this.blocks) [x, m] = this.block(b, x, m);
    return [x, m];
  }

  /** Final-norm tokens of both streams, [N, T, width] each. */
  encode(prior: tf.Tensor4D[]): { features: tf.Tensor3D; memory: tf.Tensor3D } {
    const e = this.embed(prior);
    const [x, m] = this.runBlocks(e, this.memoryStream(e.shape[0]));
    const norm = (t: tf.Tensor3D) => layerNorm(t, this.norm.g, this.norm.b, TOKEN_NORM_EPS) as tf.Tensor3D;
    return { features: norm(x), memory: norm(m) };
  }

  /** Projection head of one scale: tokens [N, T, width] → [N, H_i, W_i, C_i]. */
  project(tokens: tf.Tensor3D, scale: number): tf.Tensor4D {
    const s = this.dims.scales[scale];
    const n = tokens.shape[0];
    const flat = this.dense(tokens, this.heads[scale]);
    return unpatchify(tf.reshape(flat, [n, this.dims.grid, this.dims.grid, s.patch * s.patch * s.channels]) as tf.Tensor4D, s.patch, s.channels);
  }

  /** φS and φM per scale. */
  reconstruct(prior: tf.Tensor4D[]): { self: tf.Tensor4D[]; memory: tf.Tensor4D[] } {
    const { features, memory } = this.encode(prior);
    // Both branches share the heads: project the stacked streams once per scale.
    const both = tf.concat([features, memory], 0) as tf.Tensor3D;
    const n = features.shape[0];
    const self: tf.Tensor4D[] = [];
    const mem: tf.Tensor4D[] = [];
    this.dims.scales.forEach((_, i) => {
      const out = this.project(both, i);
      self.push(tf.slice(out, [0, 0, 0, 0], [n, -1, -1, -1]));
      mem.push(tf.slice(out, [n, 0, 0, 0], [n, -1, -1, -1]));
    });
    return { self, memory: mem };
  }

  dispose(): void {
    this.pos.dispose();
  }
}
