// Blocks: patch embedding, dual-attention transformer and projection heads, written once for
// both engines (tfjs and ONNX, runtime/tensor-ops). Patch embeddings per scale → tokens of width
// E·scales, fixed 2-D sin-cos positions, learned memory tokens, pre-norm blocks whose weights
// are shared by the self branch (feature stream) and the memorial branch (memory stream), a
// final norm, and one projection head per scale shared by both branches. Parameters, shapes and
// counts are declared in compiler/blocks (embed, transformer, heads); this reads the parameters
// by those names.
import { TOKEN_NORM_EPS } from '../../compiler/blocks/transformer.ts';
import type { ModelDims } from '../../compiler/dims.ts';
import type { Spec } from '../../compiler/spec.ts';
import type { MemoryQuery, TensorOps } from '../tensor-ops/types.ts';
import { sincos2d } from './posembed.ts';

export class DualTransformer<T> {
  readonly memoryQuery: MemoryQuery;
  /** Fixed 2-D sin-cos positions [T, width], made once with the block. */
  private readonly pos: T;

  constructor(
    private readonly ops: TensorOps<T>,
    private readonly spec: Spec,
    private readonly dims: ModelDims,
  ) {
    if (dims.memoryTokens !== dims.tokens) throw new Error(`memory tokens (${dims.memoryTokens}) must equal the token count (${dims.tokens})`);
    this.memoryQuery = spec.transformer.memory.query;
    const { tokens, width, grid } = dims;
    this.pos = ops.constant('pos_embed', [tokens, width], () => sincos2d(width, grid));
  }

  private dense(x: T, name: string, bias = true): T {
    return this.ops.dense(x, this.ops.param(`${name}.w`), bias ? this.ops.param(`${name}.b`) : undefined);
  }

  private norm(x: T, name: string): T {
    return this.ops.layerNorm(x, this.ops.param(`${name}.g`), this.ops.param(`${name}.b`), TOKEN_NORM_EPS, -1);
  }

  /** Feature tokens [N, T, width] from the per-scale backbone features (NHWC). */
  embed(prior: T[]): T {
    const { ops, dims } = this;
    const parts = prior.map((x, i) => ops.reshape(ops.patchEmbed(x, ops.param(`embed.${i}.w`), ops.param(`embed.${i}.b`)), [-1, dims.tokens, dims.embedDim]));
    return ops.add(ops.concat(parts, 2), this.pos);
  }

  /** The memory stream's start: memory tokens + positions, one copy per sample of `like`. */
  memoryStream(like: T): T {
    return this.ops.repeatBatch(this.ops.add(this.ops.param('memory'), this.pos), like);
  }

  /**
   * Dual-attention block i on the stacked streams [x; m] ([2N, T, width]: the feature stream's
   * samples, then the memory stream's). Both branches read the block's input: queries, keys and
   * values are computed once for all rows with the shared qkv weights.
   * memoryQuery 'memory' (authors' code): memorial = softmax(q2 k1ᵀ/√d) v2;
   * 'features' (paper text): memorial = softmax(q1 k2ᵀ/√d) v2. The memorial output updates the
   * memory stream, so the input's values never enter it. The streams stay stacked from block to
   * block (every op but attention treats rows alike), so no block concatenates or splits them.
   */
  block(i: number, both: T): T {
    const { ops } = this;
    const name = `blocks.${i}`;
    const heads = this.dims.heads;
    const qkv = this.dense(this.norm(both, `${name}.norm1`), `${name}.qkv`, this.spec.transformer.qkv_bias);
    const attended = ops.add(both, this.dense(ops.dualAttention(qkv, heads, this.memoryQuery), `${name}.proj`));
    const hidden = ops.gelu(this.dense(this.norm(attended, `${name}.norm2`), `${name}.fc1`));
    return ops.add(attended, this.dense(hidden, `${name}.fc2`));
  }

  /** All blocks on the stacked streams [x; m], [2N, T, width]. */
  private runStacked(both: T): T {
    for (let i = 0; i < this.spec.transformer.depth; i++) both = this.block(i, both);
    return both;
  }

  /** All blocks on a feature stream x and a memory stream m, [N, T, width] each. */
  runBlocks(x: T, m: T): [T, T] {
    const [xOut, mOut] = this.ops.split(this.runStacked(this.ops.concat([x, m], 0)), 2, 0);
    return [xOut, mOut];
  }

  /** Final-norm tokens of both streams, stacked: [features; memory], [2N, T, width]. */
  private encode(prior: T[]): T {
    const e = this.embed(prior);
    return this.norm(this.runStacked(this.ops.concat([e, this.memoryStream(e)], 0)), 'norm');
  }

  /** Projection head of one scale: tokens [N, T, width] → [N, H_i, W_i, C_i] (unpatchified). */
  project(tokens: T, scale: number): T {
    const { ops } = this;
    const { grid } = this.dims;
    const { patch: p, channels: c } = this.dims.scales[scale];
    const patches = ops.reshape(this.dense(tokens, `head.${scale}`), [-1, grid, grid, p * p * c]);
    if (p === 1) return patches;
    const six = ops.reshape(patches, [-1, grid, grid, p, p, c]);
    return ops.reshape(ops.transpose(six, [0, 1, 3, 2, 4, 5]), [-1, grid * p, grid * p, c]);
  }

  /** φS and φM per scale, NHWC. */
  reconstruct(prior: T[]): { self: T[]; memory: T[] } {
    // Both branches share the heads: project the stacked streams once per scale.
    const both = this.encode(prior);
    const self: T[] = [];
    const mem: T[] = [];
    this.dims.scales.forEach((_, i) => {
      const [s, m] = this.ops.split(this.project(both, i), 2, 0);
      self.push(s);
      mem.push(m);
    });
    return { self, memory: mem };
  }
}
