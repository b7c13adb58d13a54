// ONNX export of a trained run: one graph from pixels to anomaly maps and image scores.
//   input  `images`  float32 [B, S, S, 3], NHWC RGB in 0..255 (already resized to S)
//   output `maps`    float32 [B, S, S]     (higher = more anomalous)
//   output `scores`  float32 [B]
// and, when the run has thresholds (docs/thresholds.md), `normalised_scores` float32 [B],
// `labels` bool [B], `normalised_maps` float32 [B, S, S] and `masks` bool [B, S, S].
// The maps are the detector's: the DADF model's, a fitted head's, or several heads' combined
// (runtime/export/heads.ts). Opset 17 (default domain), IR version 8. B is a number or the
// symbol "batch".
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { BackboneArch, InputNormalization } from '../../compiler/backbones.ts';
import type { ModelDims } from '../../compiler/dims.ts';
import { scoreHeads, usesModel } from '../../compiler/heads.ts';
import type { Spec } from '../../compiler/spec.ts';
import { UserError } from '../../common/errors.ts';
import { hashFiles } from '../../formats/index.ts';
import type { FittedHeads } from '../heads/index.ts';
import type { HeadCalibration } from '../heads/score.ts';
import type { ScaleCalibration } from '../model/index.ts';
import type { NamedWeight } from '../model/params.ts';
import type { Decision } from '../thresholds/rules.ts';
import { openRun, type OpenedRun } from '../inference/open-run.ts';
import { archLayout, deepestUnit } from '../../compiler/weights/index.ts';
import { FoldedWeights } from '../backbones/fold.ts';
import { backboneForward } from '../backbones/forward.ts';
import { OnnxOps } from '../tensor-ops/onnx.ts';
import { loadNativeWeights } from '../weights/load.ts';
import { randomNativeWeights } from '../weights/random.ts';
import { FLOAT, GraphBuilder } from './graph.ts';
import { decisionMetadata, emitDecision } from './decision.ts';
import { emitDetector } from './heads.ts';
import { encodeModel, type ModelMsg } from './onnx-proto.ts';

export const ONNX_OPSET = 17;
const ONNX_IR_VERSION = 8;
/** protobuf's hard limit on one message; bigger models would need external data files. */
const PROTOBUF_LIMIT = 2 ** 31 - 1;

export type BatchSize = number | 'dynamic';

export interface OnnxGraphInput {
  name: string;
  spec: Spec;
  dims: ModelDims;
  /** The model's weights by name (DadfModel.getWeights() or a checkpoint's model/ tensors); {} when no scored head is the model. */
  weights: Record<string, NamedWeight>;
  /** Validation statistics per scored scale, required when the spec calibrates. */
  calibration?: ScaleCalibration;
  /** The fitted heads, when score.heads names any. */
  heads?: FittedHeads;
  /** Validation statistics per scored head, required when score.heads combines several. */
  headCalibration?: HeadCalibration;
  backbone: BackboneSource;
  /** The backbone's own input normalisation (what runtime/backbones applies). */
  normalization: InputNormalization;
  batch?: BatchSize;
  /** The thresholds in force: adds the decision outputs and their metadata. */
  decision?: Decision;
  /** Extra key/value pairs stored in the model's metadata_props. */
  metadata?: Record<string, string>;
}

export interface OnnxModelSummary {
  bytes: Uint8Array;
  nodes: number;
  initializers: number;
  weightBytes: number;
  opCounts: Record<string, number>;
}

interface BackboneSource {
  arch: BackboneArch;
  alpha: number;
  /** Weights file of a pretrained run; undefined with random. */
  weights?: string;
  random: boolean;
  seed: number;
  /** Canonical tap names in network order. */
  taps: string[];
}

/**
 * The backbone's forward (runtime/backbones, the one tfjs runs) on the ONNX engine, from the
 * run's weights file or seeded random weights, folded as tfjs folds them. Returns the taps as
 * NCHW graph values.
 */
function emitBackbone(g: GraphBuilder, images: string, size: number, source: BackboneSource, normalization: InputNormalization): Record<string, string> {
  const { arch, alpha } = source;
  const layout = archLayout(arch, alpha);
  const weights = source.weights
    ? loadNativeWeights(source.weights, arch, alpha, source.taps).weights
    : source.random
      ? randomNativeWeights(arch, alpha, source.seed, source.taps)
      : undefined;
  if (!weights) throw new UserError(`backbone ${arch}: the run names neither weights nor random ones`, { hint: 'retrain the run' });
  const ops = new OnnxOps(g, {});
  g.scope = '';
  const graph = { arch, alpha, upTo: deepestUnit(layout, source.taps), taps: new Set(source.taps), normalization };
  const taps = ops.scope('backbone', () => backboneForward(ops, new FoldedWeights(weights, layout.naming), graph, ops.value(images, [-1, size, size, 3])));
  return Object.fromEntries(Object.entries(taps).map(([tap, value]) => [tap, ops.nchwRef(value)]));
}

/** Builds the ONNX model bytes for a model + backbone. */
export function buildOnnxModel(input: OnnxGraphInput): OnnxModelSummary {
  const { spec, dims } = input;
  const batch = input.batch ?? 'dynamic';
  if (batch !== 'dynamic' && !(Number.isInteger(batch) && batch >= 1)) {
    throw new UserError(`batch must be a positive integer or "dynamic", got ${batch}`);
  }
  if (input.backbone.arch !== spec.backbone.arch || input.backbone.alpha !== spec.backbone.alpha) {
    throw new Error(
      `internal: backbone ${input.backbone.arch} α${input.backbone.alpha} does not match the spec's ${spec.backbone.arch} α${spec.backbone.alpha}`,
    );
  }
  const b = batch === 'dynamic' ? 'batch' : batch;
  const S = dims.inputSize;
  const g = new GraphBuilder();
  const images = g.input('images', FLOAT, [b, S, S, 3], `RGB images, NHWC float32 in 0..255, resized to ${S}×${S}`);
  const tapValues = emitBackbone(g, images, S, input.backbone, input.normalization);
  const taps = dims.scales.map((s) => {
    const t = tapValues[s.tap];
    if (!t) throw new Error(`internal: tap ${s.tap} was not emitted`);
    return t;
  });
  const { maps, scores } = emitDetector(g, taps, spec, dims, {
    model: input.weights,
    calibration: input.calibration,
    heads: input.heads ?? {},
    headCalibration: input.headCalibration,
  });
  g.output('maps', maps, FLOAT, [b, S, S], 'anomaly maps at input size; higher = more anomalous');
  g.output('scores', scores, FLOAT, [b], `image scores (${spec.score.image} of the map)`);
  if (input.decision) emitDecision(g, maps, scores, input.decision, b, S);
  if (g.weightBytes > PROTOBUF_LIMIT - 64 * 1024 * 1024) {
    throw new UserError(
      `cannot export node graph/initializers: ${(g.weightBytes / 2 ** 30).toFixed(2)} GiB of weights exceed protobuf's 2 GiB limit for one .onnx file`,
      {
        hint: 'use a smaller pipeline (embed.dim, transformer.depth), or score with --engine tfjs',
      },
    );
  }
  const model: ModelMsg = {
    irVersion: ONNX_IR_VERSION,
    producerName: 'dadf',
    producerVersion: '0.1.0',
    docString: `dadf pipeline ${spec.name}: images [B, ${S}, ${S}, 3] float32 0..255 (NHWC) → maps [B, ${S}, ${S}], scores [B]`,
    graph: { name: spec.name, node: g.nodes, initializer: g.initializers, input: g.inputs, output: g.outputs },
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    metadataProps: Object.entries({
      pipeline: spec.name,
      input_size: String(S),
      layout: 'NHWC float32 0..255',
      // Resizing is not in the graph: a consumer of the file alone must resize the same way.
      resize: spec.input.resize,
      ...(input.decision ? decisionMetadata(input.decision) : {}),
      ...(input.metadata ?? {}),
    }).map(([key, value]) => ({ key, value })),
  };
  const opCounts: Record<string, number> = {};
  for (const n of g.nodes) opCounts[n.opType] = (opCounts[n.opType] ?? 0) + 1;
  return { bytes: encodeModel(model), nodes: g.nodes.length, initializers: g.initializers.length, weightBytes: g.weightBytes, opCounts };
}

export interface ExportSummary extends Omit<OnnxModelSummary, 'bytes'> {
  /** The thresholds baked into the graph (absent for a run without thresholds). */
  decision?: Decision;
  file: string;
  fileBytes: number;
  batch: BatchSize;
  inputSize: number;
  checkpointSha256: string;
}

/** Exports an opened run to an .onnx file (written atomically). */
export function exportOpenedRun(opened: OpenedRun, file: string, options: { batch?: BatchSize } = {}): ExportSummary {
  const { spec, dims, meta } = opened;
  if (usesModel(spec) && !opened.model) throw new Error(`internal: score.heads [${scoreHeads(spec).join(', ')}] needs the DADF model, which was not opened`);
  const checkpointSha256 = hashFiles([opened.run.file('checkpoint')], 64);
  const built = buildOnnxModel({
    name: spec.name,
    spec,
    dims,
    weights: opened.model?.getWeights() ?? {},
    calibration: opened.calibration,
    heads: opened.heads,
    headCalibration: opened.headCalibration,
    decision: opened.decision,
    backbone: {
      arch: spec.backbone.arch,
      alpha: spec.backbone.alpha,
      weights: meta.backbone.pretrained ? meta.backbone.weights : undefined,
      random: !meta.backbone.pretrained,
      seed: meta.seed,
      taps: opened.backbone.taps,
    },
    normalization: opened.backbone.normalization,
    batch: options.batch,
    metadata: { backbone: opened.backbone.label, checkpoint_sha256: checkpointSha256 },
  });
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, built.bytes);
  renameSync(tmp, file);
  const { bytes, ...rest } = built;
  return {
    ...rest,
    file,
    fileBytes: bytes.byteLength,
    batch: options.batch ?? 'dynamic',
    inputSize: dims.inputSize,
    checkpointSha256,
    decision: opened.decision,
  };
}

/** Opens a run (a checkpoint is required) and exports it. */
export async function exportRun(runPath: string, file: string, options: { batch?: BatchSize; scoreSets?: string[] } = {}): Promise<ExportSummary> {
  const opened = await openRun(runPath, { scoreSets: options.scoreSets });
  try {
    return exportOpenedRun(opened, file, options);
  } finally {
    opened.dispose();
  }
}
