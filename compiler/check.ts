// The semantic checker: rules the schema cannot express (DESIGN §3), each with its own code.
// It runs on a schema-valid Spec and reports every problem it finds, not just the first.
import type { Diagnostic, SourceRange } from '../grammar/index.ts';
import { alphasOf, backboneInfo } from './backbones.ts';
import { checkHeads } from './check-heads.ts';
import { modelDims, resolvedTaps } from './dims.ts';
import { usesModel } from './heads.ts';
import { LOSSES, PipelineSpec, type Spec } from './spec.ts';
import { closest, didYouMean } from './suggest.ts';
import { rangeOf, type Located } from './validate.ts';

export const CHECK_CODES = {
  unknownTap: 'DADF4001',
  alpha: 'DADF4002',
  patchCount: 'DADF4003',
  patchDivides: 'DADF4004',
  tokenGrid: 'DADF4005',
  headsDivide: 'DADF4006',
  memoryTokens: 'DADF4007',
  couplingSplit: 'DADF4008',
  tapOrder: 'DADF4009',
  stageLoss: 'DADF4010',
  sweepKey: 'DADF4011',
  scoreScale: 'DADF4012',
  noWeights: 'DADF4013',
  subnetEnd: 'DADF4014',
  noStages: 'DADF4015',
  inputTooSmall: 'DADF4016',
  flowPosition: 'DADF4022',
  calibrateFuse: 'DADF4020',
  calibrateSplit: 'DADF4021',
} as const;

export function checkSpec(spec: Spec, where: Located): Diagnostic[] {
  const out: Diagnostic[] = [];
  const at = (path: string[], part: 'key' | 'value' = 'value'): SourceRange => rangeOf(where, path, part);
  const error = (code: string, message: string, range: SourceRange, hint?: string) =>
    out.push({ severity: 'error', code, message, range, hint });
  const warn = (code: string, message: string, range: SourceRange, hint?: string) =>
    out.push({ severity: 'warning', code, message, range, hint });

  const { arch, alpha } = spec.backbone;
  const alphas = alphasOf(arch);
  if (!alphas.includes(alpha)) {
    error(
      CHECK_CODES.alpha,
      alphas.length === 1 ? `${arch} has no width multiplier; alpha must be 1, got ${alpha}` : `${arch} has no published weights for alpha ${alpha}`,
      at(['backbone', 'alpha']),
      `allowed: ${alphas.join(', ')}`,
    );
  }
  const info = backboneInfo(arch, alpha);
  const taps = resolvedTaps(spec);
  const tapNames = info.taps.map((t) => t.name);
  let tapsKnown = true;
  taps.forEach((tap, i) => {
    if (!tapNames.includes(tap)) {
      tapsKnown = false;
      const hint = didYouMean(tap, tapNames);
      error(
        CHECK_CODES.unknownTap,
        `${arch} has no tap '${tap}'${hint ? `; ${hint}` : ''}`,
        at(['backbone', 'taps', String(i)]),
        `taps of ${arch}: ${tapNames.join(', ')}`,
      );
    }
  });
  if (tapsKnown) {
    const order = taps.map((t) => tapNames.indexOf(t));
    const unsorted = order.findIndex((o, i) => i > 0 && o <= order[i - 1]);
    if (unsorted > 0) {
      warn(CHECK_CODES.tapOrder, `taps are usually listed shallow to deep once each; '${taps[unsorted]}' comes after '${taps[unsorted - 1]}'`, at(['backbone', 'taps', String(unsorted)]));
    }
  }

  const dims = modelDims(spec);
  if (spec.embed.patch.length !== taps.length) {
    error(
      CHECK_CODES.patchCount,
      `embed.patch has ${spec.embed.patch.length} size${spec.embed.patch.length === 1 ? '' : 's'} but the backbone has ${taps.length} tap${taps.length === 1 ? '' : 's'}`,
      at(['embed', 'patch']),
      'give one patch size per tap, shallow to deep (e.g. [4, 2, 1] for strides 4/8/16)',
    );
  }
  const tooSmall = dims.scales.find((s) => Number.isFinite(s.size) && s.size < 1);
  if (tooSmall) error(CHECK_CODES.inputTooSmall, `input.size ${spec.input.size} is too small for tap '${tooSmall.tap}'`, at(['input', 'size']));

  let gridsOk = tapsKnown && spec.embed.patch.length === taps.length;
  if (gridsOk) {
    for (const s of dims.scales) {
      if (s.size % s.patch !== 0) {
        gridsOk = false;
        const divisors = Array.from({ length: s.size }, (_, k) => k + 1).filter((d) => s.size % d === 0);
        error(
          CHECK_CODES.patchDivides,
          `patch ${s.patch} does not divide the ${s.size}×${s.size} feature map of '${s.tap}' (stride ${s.stride} at input ${spec.input.size})`,
          at(['embed', 'patch', String(s.index)]),
          `use a divisor of ${s.size}: ${divisors.join(', ')}`,
        );
      }
    }
  }
  if (gridsOk) {
    const first = dims.scales[0];
    for (const s of dims.scales.slice(1)) {
      if (s.grid !== first.grid) {
        gridsOk = false;
        const fitting = dims.scales.map((x) => x.size / first.grid);
        error(
          CHECK_CODES.tokenGrid,
          `scale ${s.index + 1} ('${s.tap}', ${s.size}×${s.size}, patch ${s.patch}) gives ${s.grid}×${s.grid} tokens but scale 1 gives ${first.grid}×${first.grid}; every scale must reach the same token grid`,
          at(['embed', 'patch', String(s.index)]),
          fitting.every(Number.isInteger) ? `for ${first.grid}×${first.grid} tokens use patch: [${fitting.join(', ')}]` : 'choose patches so that feature size / patch is equal at every scale',
        );
      }
    }
  }

  if (dims.width % spec.transformer.heads !== 0) {
    const divisors = Array.from({ length: Math.min(dims.width, 64) }, (_, k) => k + 1).filter((d) => dims.width % d === 0);
    error(
      CHECK_CODES.headsDivide,
      `${spec.transformer.heads} heads do not divide the token width ${dims.width} (embed.dim ${spec.embed.dim} × ${taps.length} scales)`,
      at(['transformer', 'heads']),
      `use heads in ${divisors.join(', ')}, or change embed.dim`,
    );
  }
  if (gridsOk && spec.transformer.memory.tokens !== dims.tokens) {
    error(
      CHECK_CODES.memoryTokens,
      `memory tokens (${spec.transformer.memory.tokens}) must equal the token count ${dims.tokens} (${dims.grid}×${dims.grid})`,
      at(['transformer', 'memory', 'tokens']),
      `set transformer.memory.tokens: ${dims.tokens}`,
    );
  }

  if (tapsKnown) {
    for (const s of dims.scales) {
      if (s.flowChannels < 2) {
        error(
          CHECK_CODES.couplingSplit,
          `the flow of scale ${s.index + 1} sees ${s.flowChannels} channel (${s.channels} × ${dims.streams.length} streams); a coupling step needs at least 2 to split`,
          at(['flow', 'over']),
        );
      }
    }
  }
  const lastLayer = spec.flow.subnet[spec.flow.subnet.length - 1];
  if (lastLayer !== 'conv1x1' && lastLayer !== 'conv3x3') {
    error(
      CHECK_CODES.subnetEnd,
      `the coupling subnet must end with a conv that outputs the scale and shift (conv1x1 or conv3x3), not '${typeof lastLayer === 'string' ? lastLayer : lastLayer.type}'`,
      at(['flow', 'subnet', String(spec.flow.subnet.length - 1)]),
    );
  }

  spec.score.scales?.forEach((s, i) => {
    if (s > taps.length) {
      error(CHECK_CODES.scoreScale, `score.scales names scale ${s}, but there are ${taps.length} scales`, at(['score', 'scales', String(i)]), `scales are numbered 1 to ${taps.length}`);
    }
  });

  if (spec.flow.position % 4 !== 0) {
    const up = Math.ceil(spec.flow.position / 4) * 4;
    error(CHECK_CODES.flowPosition, `flow.position is ${spec.flow.position}, but the 2-D sine-cosine code needs a multiple of 4 channels (sin and cos of rows and of columns)`, at(['flow', 'position']), `use ${up}`);
  }

  if (spec.score.calibrate === 'validation') {
    if (spec.score.fuse === 'product') {
      error(CHECK_CODES.calibrateFuse, 'calibrated maps are standardised scores, not likelihoods: they cannot be fused by product', at(['score', 'fuse']), 'use fuse: mean, sum or max with calibrate: validation');
    }
    if (spec.train.validation === 0) {
      error(CHECK_CODES.calibrateSplit, 'score.calibrate: validation needs a validation split, but train.validation is 0', at(['score', 'calibrate']), 'set train.validation to a fraction such as 0.1, or calibrate: none');
    }
  }

  if (spec.backbone.weights === undefined && !spec.backbone.random) {
    error(
      CHECK_CODES.noWeights,
      `backbone ${arch} has no weights`,
      at(['backbone'], 'key'),
      `add weights: "path/to/weights" (${info.weightsHint}), or weights: env("VAR", "default/path"); random: true gives a seeded random network for tests only (far worse features)`,
    );
  }

  const stages = spec.train.stages;
  for (const name of ['reconstruct', 'flow'] as const) {
    const stage = stages[name];
    const allowed: readonly string[] = LOSSES[name];
    // The schema admits any name (see stageSpec); this rule narrows it to the stage's losses.
    if (stage?.loss !== undefined && !allowed.includes(stage.loss)) {
      const hint = didYouMean(stage.loss, allowed);
      error(
        CHECK_CODES.stageLoss,
        `stage ${name} has no loss '${stage.loss}'${hint ? `; ${hint}` : ''}`,
        at(['train', 'stages', name, 'loss']),
        `losses of stage ${name}: ${allowed.join(', ')}`,
      );
    }
  }
  if (!stages.reconstruct && !stages.flow) {
    warn(CHECK_CODES.noStages, 'train has no stages; nothing will be trained', at(['train'], 'key'), "add 'stage reconstruct { epochs: N }' and 'stage flow { epochs: N }'");
  } else if (!stages.flow && spec.score.source === 'flow') {
    warn(CHECK_CODES.noStages, 'score.source is flow but there is no flow stage; the flows stay untrained', at(['train'], 'key'));
  }

  for (const key of Object.keys(spec.sweep ?? {})) {
    if (!schemaHasPath(key.split('.'))) {
      const all = allSchemaPaths();
      const hint = didYouMean(key, all) || (closest(key.split('.').pop() ?? key, all) ? `did you mean '${closest(key.split('.').pop() ?? key, all)}'?` : '');
      error(CHECK_CODES.sweepKey, `sweep key '${key}' is not a key of the pipeline${hint ? `; ${hint}` : ''}`, at(['sweep', key], 'key'));
    }
  }
  out.push(...checkHeads(spec, at));
  // Without a scored head that needs it, the DADF model is neither built nor trained: its rules do not apply.
  return usesModel(spec) ? out : out.filter((d) => !MODEL_RULES.has(d.code));
}

const MODEL_RULES = new Set<string>([
  CHECK_CODES.patchCount,
  CHECK_CODES.patchDivides,
  CHECK_CODES.tokenGrid,
  CHECK_CODES.headsDivide,
  CHECK_CODES.memoryTokens,
  CHECK_CODES.couplingSplit,
  CHECK_CODES.subnetEnd,
  CHECK_CODES.flowPosition,
  CHECK_CODES.noStages,
]);

interface SchemaLike {
  properties?: Record<string, SchemaLike>;
}

function schemaHasPath(path: string[]): boolean {
  let node: SchemaLike | undefined = PipelineSpec as SchemaLike;
  for (const k of path) {
    node = node?.properties?.[k];
    if (!node) return false;
  }
  return true;
}

let cachedPaths: string[] | undefined;
function allSchemaPaths(): string[] {
  if (cachedPaths) return cachedPaths;
  const out: string[] = [];
  const walk = (node: SchemaLike, prefix: string[]) => {
    for (const [k, v] of Object.entries(node.properties ?? {})) {
      out.push([...prefix, k].join('.'));
      walk(v, [...prefix, k]);
    }
  };
  walk(PipelineSpec as SchemaLike, []);
  cachedPaths = out;
  return out;
}
