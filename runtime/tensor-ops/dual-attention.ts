// The transformer's two attentions on its stacked streams, as split + attention + concat: what
// the ONNX engine exports and what the tfjs engine runs where the fused kernel does not.
import type { MemoryQuery, TensorOps } from './types.ts';

/**
 * qkv [2N, T, 3W] (queries, keys, values of the feature stream's N samples, then the memory
 * stream's) → [2N, T, W]: self = softmax(q1 k1ᵀ/√d) v1, then memorial = softmax(q2 k1ᵀ/√d) v2
 * ('memory', the authors' code) or softmax(q1 k2ᵀ/√d) v2 ('features', the paper's text).
 */
export function splitDualAttention<T>(ops: TensorOps<T>, qkv: T, heads: number, query: MemoryQuery): T {
  const [q, k, v] = ops.split(qkv, 3, 2);
  const [q1, q2] = ops.split(q, 2, 0);
  const [k1, k2] = ops.split(k, 2, 0);
  const [v1, v2] = ops.split(v, 2, 0);
  const selfOut = ops.attention(q1, k1, v1, heads);
  const memOut = query === 'memory' ? ops.attention(q2, k1, v2, heads) : ops.attention(q1, k2, v2, heads);
  return ops.concat([selfOut, memOut], 0);
}
