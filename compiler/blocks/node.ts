// What a block contributes to the plan: nodes with their op, inputs, output shape (per image,
// no batch dimension), parameters (declared, so the count is theirs) and forward FLOPs
// (multiply-add = 2).
import { paramCount, type ParamDecl } from './params.ts';

export type PlanOp =
  | 'image'
  | 'backbone_tap'
  | 'patch_embed'
  | 'concat_tokens'
  | 'position_embed'
  | 'memory_tokens'
  | 'dual_attention_block'
  | 'layer_norm'
  | 'projection_head'
  | 'flow_input'
  | 'flow_norm'
  | 'coupling_step'
  | 'scale_map'
  | 'upsample'
  | 'fuse'
  | 'gaussian_head'
  | 'knn_head'
  | 'combine_heads'
  | 'smooth'
  | 'image_score';

export interface PlanNode {
  id: string;
  op: PlanOp;
  inputs: string[];
  /** Output shape per image (no batch dimension): [H, W, C] for maps, [T, D] for tokens. */
  shape: number[];
  /** Trainable parameters owned by this node (0 for shared or frozen ones). */
  params: number;
  /** Names of those parameters, as the model and its checkpoints call them. */
  weights?: string[];
  /** Forward FLOPs per image. */
  flops: number;
  /** Which training stage updates this node's parameters. */
  trainedIn?: 'reconstruct' | 'flow';
  /** Bytes of fitted state (heads): fixed, or per training image for a memory bank. */
  bytes?: number;
  bytesPerTrainingImage?: number;
  attrs?: Record<string, unknown>;
}

/** The parameter fields of a node that owns `decls`. */
export function owning(decls: ParamDecl[]): Pick<PlanNode, 'params' | 'weights' | 'trainedIn'> {
  if (decls.length === 0) return { params: 0 };
  return { params: paramCount(decls), weights: decls.map((d) => d.name), trainedIn: decls[0].group === 'flow' ? 'flow' : 'reconstruct' };
}

/** Collects nodes in order; `add` returns the node's id for the next node's inputs. */
export class NodeList {
  readonly nodes: PlanNode[] = [];
  add(node: PlanNode): string {
    this.nodes.push(node);
    return node.id;
  }
}
