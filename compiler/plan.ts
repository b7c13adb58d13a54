// The Plan: a typed graph IR of a checked pipeline. Every node has its op, inputs, output
// shape (per image, batch left out), parameters (by name) and forward FLOPs (multiply-add = 2).
// The nodes come from the block descriptions in compiler/blocks/, which the runtime builds
// the model from too; plan.json is this object.
import { backboneNodes } from './blocks/backbone.ts';
import { embedNode } from './blocks/embed.ts';
import { fittedHeadNodes } from './blocks/fitted-heads.ts';
import { flowNodes } from './blocks/flow.ts';
import { headNode } from './blocks/heads.ts';
import { NodeList, type PlanNode } from './blocks/node.ts';
import { modelMapNodes, scaleMapNode, scoreNodes } from './blocks/score.ts';
import { transformerNodes } from './blocks/transformer.ts';
import { modelDims, type ModelDims } from './dims.ts';
import { scoreHeads, usesModel } from './heads.ts';
import type { Spec, Stream } from './spec.ts';

export type { PlanNode, PlanOp } from './blocks/node.ts';

export interface Plan {
  format: 'dadf-plan';
  version: 1;
  name: string;
  spec: Spec;
  dims: Omit<ModelDims, 'backbone'> & { backbone: { arch: string; alpha: number } };
  nodes: PlanNode[];
  totals: {
    params: number;
    transformerParams: number;
    flowParams: number;
    flops: number;
    transformerFlops: number;
    flowFlops: number;
    /** Fitted head state: fixed bytes (Gaussian) and bytes per training image (knn memory bank). */
    headBytes: number;
    headBytesPerTrainingImage: number;
  };
}

/** The plan is the blocks' nodes in order (compiler/blocks: one file per block). */
export function buildPlan(spec: Spec): Plan {
  const d = modelDims(spec);
  const list = new NodeList();
  const taps = backboneNodes(d, list);
  const headMaps: Record<string, string> = {};
  // Without a scored head that needs it, the DADF model is not built: only the image and the taps.
  if (usesModel(spec)) {
    const embeds = d.scales.map((s, i) => embedNode(s, d, taps[i], list));
    const norm = transformerNodes(spec, d, embeds, list);
    // One head per scale, shared by both branches: φS and φM of scale i both come from head i.
    const heads = d.scales.map((s) => headNode(s, d, norm, list));
    const streamInput = (stream: Stream, i: number) => (stream === 'prior' ? taps[i] : heads[i]);
    const maps = d.scales.map((s, i) =>
      spec.score.source === 'flow'
        ? scaleMapNode(
            spec,
            d,
            i,
            [
              flowNodes(
                spec,
                d,
                s,
                d.streams.map((st) => streamInput(st, i)),
                list,
              ),
            ],
            list,
          )
        : scaleMapNode(spec, d, i, [taps[i], heads[i]], list),
    );
    headMaps[spec.score.source] = modelMapNodes(spec, d, maps, list);
  }
  Object.assign(headMaps, fittedHeadNodes(spec, d, taps, list));
  scoreNodes(
    spec,
    d,
    scoreHeads(spec).map((h) => headMaps[h]),
    list,
  );

  const nodes = list.nodes;
  const sum = (f: (n: PlanNode) => boolean, k: 'params' | 'flops') => nodes.filter(f).reduce((a, n) => a + n[k], 0);
  const isT = (n: PlanNode) => n.trainedIn === 'reconstruct';
  const isF = (n: PlanNode) => n.trainedIn === 'flow';
  const { backbone, ...restDims } = d;
  return {
    format: 'dadf-plan',
    version: 1,
    name: spec.name,
    spec,
    dims: { ...restDims, backbone: { arch: backbone.arch, alpha: backbone.alpha } },
    nodes,
    totals: {
      params: sum(() => true, 'params'),
      transformerParams: sum(isT, 'params'),
      flowParams: sum(isF, 'params'),
      flops: sum(() => true, 'flops'),
      transformerFlops: sum(isT, 'flops'),
      flowFlops: sum(isF, 'flops'),
      headBytes: nodes.reduce((a, n) => a + (n.bytes ?? 0), 0),
      headBytesPerTrainingImage: nodes.reduce((a, n) => a + (n.bytesPerTrainingImage ?? 0), 0),
    },
  };
}

/** A short human summary: one line per node kind with counts. */
export function describePlan(plan: Plan): string {
  const fmt = (n: number) =>
    n >= 1e9 ? `${(n / 1e9).toFixed(2)} G` : n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : String(n);
  const d = plan.dims;
  const header = `pipeline ${plan.name}: ${d.backbone.arch}${d.backbone.arch.startsWith('mobilenet') ? ` α${d.backbone.alpha}` : ''} at ${d.inputSize} px`;
  const modelLines = usesModel(plan.spec)
    ? [
        ...d.scales.map(
          (s) =>
            `  scale ${s.index + 1}: ${s.tap} ${s.size}×${s.size}×${s.channels} (stride ${s.stride}) → patch ${s.patch} → ${s.grid}×${s.grid} tokens; flow over ${d.streams.join('+')} = ${s.flowChannels} ch`,
        ),
        `  transformer: ${plan.spec.transformer.depth} dual-attention blocks, width ${d.width}, ${d.heads} heads, ${d.memoryTokens} memory tokens (query from ${plan.spec.transformer.memory.query})`,
        `  parameters: ${fmt(plan.totals.params)} trainable (transformer ${fmt(plan.totals.transformerParams)}, flows ${fmt(plan.totals.flowParams)}); backbone frozen`,
        `  forward FLOPs per image (after the backbone): ${fmt(plan.totals.flops)} (transformer ${fmt(plan.totals.transformerFlops)}, flows ${fmt(plan.totals.flowFlops)})`,
        `  ${plan.nodes.length} nodes; score: ${plan.spec.score.source} → ${plan.spec.score.fuse} of scales ${d.scoredScales.map((s) => s + 1).join(',')} → image ${plan.spec.score.image}`,
      ]
    : [
        ...d.scales.map((s) => `  scale ${s.index + 1}: ${s.tap} ${s.size}×${s.size}×${s.channels} (stride ${s.stride})`),
        '  the DADF model is not built: no scored head uses it',
      ];
  const headLines = plan.nodes
    .filter((n) => n.op === 'gaussian_head' || n.op === 'knn_head')
    .map((n) => {
      const state =
        n.bytes !== undefined
          ? `fitted state ${bytes(n.bytes)}`
          : `memory bank ${bytes(n.bytesPerTrainingImage ?? 0)} per training image (building holds ${bytes(Number(n.attrs?.buildBytesPerTrainingImage ?? 0))} per image)`;
      return `  head ${n.id}: ${n.shape[0]}×${n.shape[1]} map from ${n.inputs.join('+')}; ${state}`;
    });
  const scored = plan.spec.score.heads;
  const scoreLine = scored
    ? [`  heads scored: ${scored.join(', ')}${scored.length > 1 ? ` (each standardised on the validation split, combined by ${plan.spec.score.combine})` : ''}`]
    : [];
  const lines = [header, ...modelLines, ...headLines, ...scoreLine];
  return lines.join('\n');
}

function bytes(n: number): string {
  return n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(2)} GiB` : n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : `${(n / 2 ** 10).toFixed(1)} KiB`;
}
