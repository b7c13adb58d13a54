// The Plan: a typed graph IR of a checked pipeline. Every node has its op, inputs, output
// shape (per image, batch left out), parameter count and forward FLOPs (multiply-add = 2).
// The runtime builds from the Spec and these sizes; plan.json is this object.
import { modelDims, type ModelDims } from './dims.ts';
import { declaredHeads, headDims, headFlops, scoreHeads, usesModel } from './heads.ts';
import type { Spec, Stream } from './spec.ts';

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
  /** Forward FLOPs per image. */
  flops: number;
  /** Which training stage updates this node's parameters. */
  trainedIn?: 'reconstruct' | 'flow';
  /** Bytes of fitted state (heads): fixed, or per training image for a memory bank. */
  bytes?: number;
  bytesPerTrainingImage?: number;
  attrs?: Record<string, unknown>;
}

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

export function buildPlan(spec: Spec): Plan {
  const d = modelDims(spec);
  const nodes: PlanNode[] = [];
  const add = (n: PlanNode) => (nodes.push(n), n.id);
  const S = d.inputSize;
  const T = d.tokens;
  const W = d.width;
  const L = d.memoryTokens;

  const image = add({ id: 'image', op: 'image', inputs: [], shape: [S, S, 3], params: 0, flops: 0, attrs: { normalization: d.normalization.kind } });
  const taps = d.scales.map((s) =>
    add({ id: `tap${s.index + 1}`, op: 'backbone_tap', inputs: [image], shape: [s.size, s.size, s.channels], params: 0, flops: 0, attrs: { tap: s.tap, stride: s.stride, frozen: true } }),
  );
  const embeds = d.scales.map((s, i) =>
    add({
      id: `embed${s.index + 1}`,
      op: 'patch_embed',
      inputs: [taps[i]],
      shape: [d.grid, d.grid, d.embedDim],
      params: s.patch * s.patch * s.channels * d.embedDim + d.embedDim,
      flops: 2 * d.grid * d.grid * s.patch * s.patch * s.channels * d.embedDim,
      trainedIn: 'reconstruct',
      attrs: { kernel: s.patch, stride: s.patch },
    }),
  );
  const tokens = add({ id: 'tokens', op: 'concat_tokens', inputs: embeds, shape: [T, W], params: 0, flops: 0 });
  const pos = add({ id: 'pos', op: 'position_embed', inputs: [tokens], shape: [T, W], params: 0, flops: T * W, attrs: { kind: 'sincos-2d', fixed: true } });
  const memory = add({
    id: 'memory',
    op: 'memory_tokens',
    inputs: [],
    shape: [L, W],
    params: L * W,
    flops: L * W,
    trainedIn: 'reconstruct',
    attrs: { init: `normal(0, ${spec.transformer.memory.init_std})`, query: spec.transformer.memory.query },
  });

  const H = d.mlpHidden;
  const qkvBias = spec.transformer.qkv_bias ? 3 * W : 0;
  const blockParams = 2 * (2 * W) + W * 3 * W + qkvBias + W * W + W + W * H + H + H * W + W;
  // Both branches run every layer: self over T feature tokens, memorial over L memory tokens.
  const streamFlops = (rows: number, keys: number) => 2 * rows * W * 3 * W + 2 * 2 * rows * keys * W + 2 * rows * W * W + 2 * 2 * rows * W * H;
  const blockFlops = streamFlops(T, T) + streamFlops(L, T);
  let prev = [pos, memory];
  for (let b = 0; b < spec.transformer.depth; b++) {
    prev = [
      add({
        id: `block${b + 1}`,
        op: 'dual_attention_block',
        inputs: prev,
        shape: [T + L, W],
        params: blockParams,
        flops: blockFlops,
        trainedIn: 'reconstruct',
        attrs: { heads: d.heads, headDim: d.headDim, mlpHidden: H, sharedBetweenBranches: true, preNorm: true },
      }),
    ];
  }
  const norm = add({ id: 'norm', op: 'layer_norm', inputs: prev, shape: [T + L, W], params: 2 * W, flops: 8 * (T + L) * W, trainedIn: 'reconstruct' });

  const recon: Record<'self' | 'memory', string[]> = { self: [], memory: [] };
  d.scales.forEach((s) => {
    const out = s.patch * s.patch * s.channels;
    const head = add({
      id: `head${s.index + 1}`,
      op: 'projection_head',
      inputs: [norm],
      shape: [s.size, s.size, s.channels],
      params: W * out + out,
      flops: 2 * 2 * T * W * out,
      trainedIn: 'reconstruct',
      attrs: { sharedBetweenBranches: true, unpatchify: s.patch, outputs: ['self', 'memory'] },
    });
    recon.self.push(head);
    recon.memory.push(head);
  });

  const streamInput = (stream: Stream, i: number) => (stream === 'prior' ? taps[i] : recon[stream][i]);
  const scaleMaps = d.scales.map((s, i) => {
    if (spec.score.source !== 'flow') {
      return add({ id: `map${s.index + 1}`, op: 'scale_map', inputs: [taps[i], recon.self[i]], shape: [s.size, s.size, 1], params: 0, flops: 3 * s.size * s.size * s.channels, attrs: { source: spec.score.source } });
    }
    const C = s.flowChannels;
    const HW = s.size * s.size;
    let x = add({ id: `flow${s.index + 1}.input`, op: 'flow_input', inputs: d.streams.map((st) => streamInput(st, i)), shape: [s.size, s.size, C], params: 0, flops: 0, attrs: { streams: d.streams } });
    x = add({ id: `flow${s.index + 1}.norm`, op: 'flow_norm', inputs: [x], shape: [s.size, s.size, C], params: 2 * HW * C, flops: 8 * HW * C, trainedIn: 'flow' });
    const c1 = Math.ceil(C / 2);
    const c2 = C - c1;
    for (let k = 0; k < spec.flow.steps; k++) {
      const kernel = spec.flow.alternate && k % 2 === 1 ? 1 : 3;
      let ch = c1 + spec.flow.position;
      let params = 0;
      let flops = 0;
      for (const layer of spec.flow.subnet) {
        const name = typeof layer === 'string' ? layer : layer.type;
        if (name.startsWith('dwconv')) {
          const kk = name.endsWith('3x3') ? kernel : 1;
          params += kk * kk * ch + ch;
          flops += 2 * HW * kk * kk * ch;
        } else if (name.startsWith('conv')) {
          const kk = name.endsWith('3x3') ? kernel : 1;
          params += kk * kk * ch * 2 * c2 + 2 * c2;
          flops += 2 * HW * kk * kk * ch * 2 * c2;
          ch = 2 * c2;
        } else {
          flops += HW * ch;
        }
      }
      params += 2 * C; // global affine
      flops += 6 * HW * C;
      x = add({
        id: `flow${s.index + 1}.step${k + 1}`,
        op: 'coupling_step',
        inputs: [x],
        shape: [s.size, s.size, C],
        params,
        flops,
        trainedIn: 'flow',
        attrs: { kernel, split: [c1, c2], clamp: spec.flow.clamp, permute: spec.flow.permute, ...(spec.flow.position ? { position: spec.flow.position } : {}) },
      });
    }
    return add({ id: `map${s.index + 1}`, op: 'scale_map', inputs: [x], shape: [s.size, s.size, 1], params: 0, flops: 3 * HW * C, attrs: { source: 'flow' } });
  });
  const ups = d.scoredScales.map((i) =>
    add({ id: `up${i + 1}`, op: 'upsample', inputs: [scaleMaps[i]], shape: [S, S, 1], params: 0, flops: 4 * S * S, attrs: { method: spec.score.upsample } }),
  );
  let fused = add({ id: 'fuse', op: 'fuse', inputs: ups, shape: [S, S, 1], params: 0, flops: ups.length * S * S, attrs: { method: spec.score.fuse } });
  // Without a scored head that needs it, the DADF model is not built: only the image and the taps stay.
  if (!usesModel(spec)) nodes.splice(1 + taps.length);
  const headMaps: Record<string, string> = { [spec.score.source]: fused };
  for (const kind of declaredHeads(spec)) {
    const hd = headDims(spec, d, kind);
    const head = add({
      id: kind,
      op: kind === 'gaussian' ? 'gaussian_head' : 'knn_head',
      inputs: hd.scales.map((i) => taps[i]),
      shape: [hd.grid, hd.grid, 1],
      params: 0,
      // The knn head's FLOPs grow with the bank; counted here per training image in its bank.
      flops: headFlops(hd, spec, 1),
      ...(hd.stateBytes ? { bytes: hd.stateBytes } : { bytesPerTrainingImage: hd.bytesPerImage }),
      attrs: { ...spec.heads[kind], channels: hd.channels, grid: hd.grid, ...(kind === 'knn' ? { buildBytesPerTrainingImage: hd.buildBytesPerImage, flopsPerTrainingImage: true } : {}) },
    });
    headMaps[kind] = add({ id: `up.${kind}`, op: 'upsample', inputs: [head], shape: [S, S, 1], params: 0, flops: 4 * S * S, attrs: { method: spec.score.upsample } });
  }
  const scored = scoreHeads(spec).map((h) => headMaps[h]);
  fused = scored.length === 1 ? scored[0] : add({ id: 'combine', op: 'combine_heads', inputs: scored, shape: [S, S, 1], params: 0, flops: 3 * scored.length * S * S, attrs: { method: spec.score.combine, calibrated: 'validation' } });
  if (spec.score.smooth > 0) {
    const radius = Math.ceil(4 * spec.score.smooth);
    fused = add({ id: 'smooth', op: 'smooth', inputs: [fused], shape: [S, S, 1], params: 0, flops: 2 * 2 * (2 * radius + 1) * S * S, attrs: { sigma: spec.score.smooth } });
  }
  add({ id: 'score', op: 'image_score', inputs: [fused], shape: [], params: 0, flops: S * S, attrs: { method: spec.score.image } });

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
  const fmt = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(2)} G` : n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : String(n));
  const d = plan.dims;
  const header = `pipeline ${plan.name}: ${d.backbone.arch}${d.backbone.arch.startsWith('mobilenet') ? ` α${d.backbone.alpha}` : ''} at ${d.inputSize} px`;
  const modelLines = usesModel(plan.spec)
    ? [
        ...d.scales.map((s) => `  scale ${s.index + 1}: ${s.tap} ${s.size}×${s.size}×${s.channels} (stride ${s.stride}) → patch ${s.patch} → ${s.grid}×${s.grid} tokens; flow over ${d.streams.join('+')} = ${s.flowChannels} ch`),
        `  transformer: ${plan.spec.transformer.depth} dual-attention blocks, width ${d.width}, ${d.heads} heads, ${d.memoryTokens} memory tokens (query from ${plan.spec.transformer.memory.query})`,
        `  parameters: ${fmt(plan.totals.params)} trainable (transformer ${fmt(plan.totals.transformerParams)}, flows ${fmt(plan.totals.flowParams)}); backbone frozen`,
        `  forward FLOPs per image (after the backbone): ${fmt(plan.totals.flops)} (transformer ${fmt(plan.totals.transformerFlops)}, flows ${fmt(plan.totals.flowFlops)})`,
        `  ${plan.nodes.length} nodes; score: ${plan.spec.score.source} → ${plan.spec.score.fuse} of scales ${d.scoredScales.map((s) => s + 1).join(',')} → image ${plan.spec.score.image}`,
      ]
    : [...d.scales.map((s) => `  scale ${s.index + 1}: ${s.tap} ${s.size}×${s.size}×${s.channels} (stride ${s.stride})`), '  the DADF model is not built: no scored head uses it'];
  const headLines = plan.nodes
    .filter((n) => n.op === 'gaussian_head' || n.op === 'knn_head')
    .map((n) => {
      const state = n.bytes !== undefined ? `fitted state ${bytes(n.bytes)}` : `memory bank ${bytes(n.bytesPerTrainingImage ?? 0)} per training image (building holds ${bytes(Number(n.attrs?.buildBytesPerTrainingImage ?? 0))} per image)`;
      return `  head ${n.id}: ${n.shape[0]}×${n.shape[1]} map from ${n.inputs.join('+')}; ${state}`;
    });
  const scored = plan.spec.score.heads;
  const scoreLine = scored ? [`  heads scored: ${scored.join(', ')}${scored.length > 1 ? ` (each standardised on the validation split, combined by ${plan.spec.score.combine})` : ''}`] : [];
  const lines = [header, ...modelLines, ...headLines, ...scoreLine];
  return lines.join('\n');
}

function bytes(n: number): string {
  return n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(2)} GiB` : n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : `${(n / 2 ** 10).toFixed(1)} KiB`;
}
