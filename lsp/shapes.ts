// The inferred shapes of a section, in words, from the Plan: what hover shows on a block.
import { describePlan, type Plan } from '../compiler/index.ts';

const fmt = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(2)} G` : n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : String(n));
const square = (side: number, channels: number) => `${side}×${side}×${channels}`;

/** Lines for one section of the pipeline; undefined for sections with no shapes. */
export function sectionShapes(plan: Plan, section: string): string[] | undefined {
  const d = plan.dims;
  const node = (id: string) => plan.nodes.find((n) => n.id === id);
  switch (section) {
    case 'input':
      return [`image ${square(d.inputSize, 3)}, normalisation: ${d.normalization.kind}`];
    case 'backbone':
      return [
        `${d.backbone.arch}${d.backbone.arch.startsWith('mobilenet') ? ` α${d.backbone.alpha}` : ''}, frozen`,
        ...d.scales.map((s) => `scale ${s.index + 1}: ${s.tap} → ${square(s.size, s.channels)} (stride ${s.stride})`),
      ];
    case 'embed':
      return [
        ...d.scales.map((s) => `scale ${s.index + 1}: ${s.tap} ${square(s.size, s.channels)} → patch ${s.patch} → ${square(s.grid, d.embedDim)}`),
        `tokens: ${d.grid}×${d.grid} = ${d.tokens}, width ${d.embedDim} × ${d.scales.length} scales = ${d.width}`,
      ];
    case 'transformer':
      return [
        `${plan.spec.transformer.depth} dual-attention blocks, width ${d.width}, ${d.heads} heads × ${d.headDim}, MLP hidden ${d.mlpHidden}`,
        `tokens: ${d.tokens} feature + ${d.memoryTokens} memory → ${node('block1')?.shape.join('×') ?? '?'} per block`,
        `parameters: ${fmt(plan.totals.transformerParams)}, forward FLOPs ${fmt(plan.totals.transformerFlops)}`,
      ];
    case 'flow':
      if (plan.spec.score.source !== 'flow') return [`the score comes from ${plan.spec.score.source}; no flows are built`];
      return [
        ...d.scales.map((s) => {
          const split = node(`flow${s.index + 1}.step1`)?.attrs?.split as number[] | undefined;
          return `scale ${s.index + 1}: ${square(s.size, s.flowChannels)} (${d.streams.join(' + ')})${split ? `, split ${split.join('/')}` : ''}`;
        }),
        `${plan.spec.flow.steps} coupling steps per scale; parameters: ${fmt(plan.totals.flowParams)}, forward FLOPs ${fmt(plan.totals.flowFlops)}`,
      ];
    case 'score':
      return [
        `maps of scales ${d.scoredScales.map((s) => s + 1).join(', ')} → ${plan.spec.score.upsample} to ${d.inputSize}×${d.inputSize} → ${plan.spec.score.fuse} → image ${plan.spec.score.image}`,
      ];
    case 'train': {
      const stages = plan.spec.train.stages;
      return [
        ...(stages.reconstruct ? [`stage reconstruct: ${stages.reconstruct.epochs} epochs, trains ${fmt(plan.totals.transformerParams)} parameters`] : []),
        ...(stages.flow ? [`stage flow: ${stages.flow.epochs} epochs, trains ${fmt(plan.totals.flowParams)} parameters`] : []),
      ];
    }
    default:
      return undefined;
  }
}

/** The whole pipeline: the summary `dadfc compile` prints. */
export function pipelineShapes(plan: Plan): string {
  return describePlan(plan);
}
