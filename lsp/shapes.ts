// The inferred shapes of a section, in words: what hover shows on a block. From the Plan when
// the pipeline checks; from the sizes alone (modelDims) when it is schema-valid but breaks a
// shape rule, which is exactly when one wants to see them (unknown sizes show as '?').
import AjvModule from 'ajv';
import { describePlan, modelDims, PipelineSpec, type Compiled, type Plan, type Spec } from '../compiler/index.ts';

const Ajv = AjvModule as unknown as typeof AjvModule.default;
let fillDefaults: ((data: unknown) => boolean) | undefined;

/** What the shapes are computed from: a Spec and its sizes, and the Plan when there is one. */
export interface ShapeSource {
  spec: Spec;
  dims: Plan['dims'];
  plan?: Plan;
}

/** The Plan's, or else sizes from the merged pipeline with defaults filled, if it is schema-valid. */
export function shapeSource(compiled: Compiled | undefined): ShapeSource | undefined {
  if (!compiled) return undefined;
  if (compiled.plan) return { spec: compiled.plan.spec, dims: compiled.plan.dims, plan: compiled.plan };
  fillDefaults ??= new Ajv({ useDefaults: true, strict: false }).compile(PipelineSpec);
  const spec = structuredClone(compiled.raw);
  if (!fillDefaults(spec)) return undefined;
  try {
    return { spec: spec as unknown as Spec, dims: modelDims(spec as unknown as Spec) };
  } catch {
    return undefined;
  }
}

const fmt = (n: number) =>
  n >= 1e9 ? `${(n / 1e9).toFixed(2)} G` : n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : String(n);
const num = (n: number) => (Number.isFinite(n) ? String(Number.isInteger(n) ? n : +n.toFixed(2)) : '?');
const square = (side: number, channels: number) => `${num(side)}×${num(side)}×${num(channels)}`;

/** Lines for one section of the pipeline; undefined for sections with no shapes. */
export function sectionShapes({ spec, dims: d, plan }: ShapeSource, section: string): string[] | undefined {
  const node = (id: string) => plan?.nodes.find((n) => n.id === id);
  switch (section) {
    case 'input':
      return [`image ${square(d.inputSize, 3)}, normalisation: ${d.normalization.kind}`];
    case 'backbone':
      return [
        `${d.backbone.arch}${d.backbone.arch.startsWith('mobilenet') ? ` α${d.backbone.alpha}` : ''}, frozen`,
        ...d.scales.map((s) => `scale ${s.index + 1}: ${s.tap} → ${square(s.size, s.channels)} (stride ${num(s.stride)})`),
      ];
    case 'embed':
      return [
        ...d.scales.map((s) => `scale ${s.index + 1}: ${s.tap} ${square(s.size, s.channels)} → patch ${num(s.patch)} → ${square(s.grid, d.embedDim)}`),
        `tokens: ${num(d.grid)}×${num(d.grid)} = ${num(d.tokens)}, width ${d.embedDim} × ${d.scales.length} scales = ${d.width}`,
      ];
    case 'transformer':
      return [
        `${spec.transformer.depth} dual-attention blocks, width ${d.width}, ${d.heads} heads × ${num(d.headDim)}, MLP hidden ${d.mlpHidden}`,
        `tokens: ${num(d.tokens)} feature + ${d.memoryTokens} memory`,
        ...(plan ? [`parameters: ${fmt(plan.totals.transformerParams)}, forward FLOPs ${fmt(plan.totals.transformerFlops)}`] : []),
      ];
    case 'flow':
      if (spec.score.source !== 'flow') return [`the score comes from ${spec.score.source}; no flows are built`];
      return [
        ...d.scales.map((s) => {
          const split = node(`flow${s.index + 1}.step1`)?.attrs?.split as number[] | undefined;
          return `scale ${s.index + 1}: ${square(s.size, s.flowChannels)} (${d.streams.join(' + ')})${split ? `, split ${split.join('/')}` : ''}`;
        }),
        `${spec.flow.steps} coupling steps per scale${plan ? `; parameters: ${fmt(plan.totals.flowParams)}, forward FLOPs ${fmt(plan.totals.flowFlops)}` : ''}`,
      ];
    case 'score':
      return [
        `maps of scales ${d.scoredScales.map((s) => s + 1).join(', ')} → ${spec.score.upsample} to ${d.inputSize}×${d.inputSize} → ${spec.score.fuse} → image ${spec.score.image}`,
      ];
    case 'train': {
      const stages = spec.train.stages;
      const trained = (n: number | undefined) => (n === undefined ? '' : `, trains ${fmt(n)} parameters`);
      return [
        ...(stages.reconstruct ? [`stage reconstruct: ${stages.reconstruct.epochs} epochs${trained(plan?.totals.transformerParams)}`] : []),
        ...(stages.flow ? [`stage flow: ${stages.flow.epochs} epochs${trained(plan?.totals.flowParams)}`] : []),
      ];
    }
    default:
      return undefined;
  }
}

/** The whole pipeline: the summary `dadfc compile` prints, or the sizes while it does not check. */
export function pipelineShapes(source: ShapeSource): string[] {
  if (source.plan) return [describePlan(source.plan)];
  return ['backbone', 'embed', 'transformer', 'flow'].flatMap((s) => sectionShapes(source, s) ?? []);
}
