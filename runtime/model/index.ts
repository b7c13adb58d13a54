// The DADF model's public face: built from a checked Spec and its dims with a seed; nothing
// here depends on which backend runs it.
import * as tf from '@tensorflow/tfjs-core';
import type { ModelDims } from '../../compiler/dims.ts';
import type { Spec } from '../../compiler/spec.ts';
import { fastOps, type Ops } from '../ops/index.ts';
import { declareFlow, declareTransformer } from './declare.ts';
import { flowInput, ScaleFlow, type FlowOutput as GenericFlowOutput } from './flow.ts';
import { featureDistance, flowNll } from './losses.ts';
import { ParamStore, type NamedWeight } from './params.ts';
import { TfjsOps } from '../tensor-ops/tfjs.ts';
import { scaleMap, scoreMaps } from './score.ts';
import { DualTransformer } from './transformer.ts';

export type { NamedWeight } from './params.ts';

export type FlowOutput = GenericFlowOutput<tf.Tensor4D>;

export interface Reconstruction {
  /** φS per scale, [N, H_i, W_i, C_i]. */
  self: tf.Tensor4D[];
  /** φM per scale. */
  memory: tf.Tensor4D[];
}

export interface AnomalyOutput {
  /** Anomaly maps at input size, [N, S, S]; higher = more anomalous. */
  maps: tf.Tensor3D;
  /** Image scores, [N]. */
  scores: tf.Tensor1D;
}

/**
 * Per scored scale, the mean and standard deviation of its raw map on the validation split;
 * with score.calibrate: validation each map becomes (map − mean) / std before fusion.
 */
export type ScaleCalibration = { scale: number; mean: number; std: number }[];

export interface ModelOptions {
  /** Op formulation; default fastOps (trains on every backend). */
  ops?: Ops;
}

export interface DadfModel {
  readonly spec: Spec;
  readonly dims: ModelDims;
  readonly flows: ScaleFlow<tf.Tensor>[];
  /** Stage 1 trains these (patch embeddings, memory tokens, blocks, norms, heads). */
  transformerVariables(): tf.Variable[];
  /** Stage 2 trains these (flow norms, subnets, global affines). */
  flowVariables(): tf.Variable[];
  reconstruct(prior: tf.Tensor4D[]): Reconstruction;
  /** Σ over scales and both branches of the configured distance (mse | l1 | cosine). */
  reconstructionLoss(prior: tf.Tensor4D[], rec: Reconstruction): tf.Scalar;
  /** The flow input of one scale: the streams of flow.over concatenated along channels. */
  flowInput(prior: tf.Tensor4D[], rec: Reconstruction, scale: number): tf.Tensor4D;
  /** z and log|det J| per scale. */
  flowForward(prior: tf.Tensor4D[], rec: Reconstruction): FlowOutput[];
  /** Σ over scales of the per-dimension NLL (see flowNll). */
  flowLoss(prior: tf.Tensor4D[], rec: Reconstruction): tf.Scalar;
  /** The raw map of each scored scale at its own resolution, [N, H_i, W_i] (before calibration). */
  scaleMaps(prior: tf.Tensor4D[]): tf.Tensor3D[];
  /** Maps at input size and image scores, per score.* of the spec (calibration required when it calibrates). */
  anomalyMaps(prior: tf.Tensor4D[], calibration?: ScaleCalibration): AnomalyOutput;
  getWeights(): Record<string, NamedWeight>;
  setWeights(weights: Record<string, NamedWeight>): void;
  /** Parameter names in a stable order (variables, then buffers). */
  weightNames(): string[];
  dispose(): void;
}

/** The runtime builds only from checked Specs; these are the sizes it relies on. */
function assertBuildable(dims: ModelDims): void {
  const problems: string[] = [];
  for (const s of dims.scales) {
    if (!Number.isInteger(s.size) || !Number.isInteger(s.channels) || !Number.isInteger(s.grid))
      problems.push(`scale ${s.index + 1} (${s.tap}) has no valid size`);
    else if (s.grid !== dims.grid) problems.push(`scale ${s.index + 1} reaches a ${s.grid}×${s.grid} grid, not ${dims.grid}×${dims.grid}`);
  }
  if (!Number.isInteger(dims.headDim)) problems.push(`${dims.heads} heads do not divide the width ${dims.width}`);
  if (dims.memoryTokens !== dims.tokens) problems.push(`memory tokens (${dims.memoryTokens}) differ from the token count (${dims.tokens})`);
  if (problems.length) throw new Error(`createModel needs a checked spec: ${problems.join('; ')}`);
}

export function createModel(spec: Spec, dims: ModelDims, seed = spec.train.seed, options: ModelOptions = {}): DadfModel {
  assertBuildable(dims);
  const ops = options.ops ?? fastOps;
  const store = new ParamStore(seed);
  const tops = new TfjsOps(ops, store);
  declareTransformer(store, spec, dims);
  for (const s of dims.scales) declareFlow(store, spec, s.index, s.size, s.flowChannels, seed);
  const transformer = new DualTransformer(tops, spec, dims);
  const flows = dims.scales.map((s) => new ScaleFlow(tops, spec, s.index, s.size, s.flowChannels));
  const lossKind = spec.train.stages.reconstruct?.loss ?? 'mse';

  const model: DadfModel = {
    spec,
    dims,
    flows,
    transformerVariables: () => store.variables('transformer'),
    flowVariables: () => store.variables('flow'),
    reconstruct: (prior) => tf.tidy(() => ({ ...(transformer.reconstruct(prior) as Reconstruction) })) as Reconstruction,
    reconstructionLoss: (prior, rec) =>
      tf.tidy(() =>
        tf.addN(dims.scales.flatMap((_, i) => [featureDistance(prior[i], rec.self[i], lossKind), featureDistance(prior[i], rec.memory[i], lossKind)])),
      ),
    flowInput: (prior, rec, i) =>
      tf.tidy(() => {
        const x = flowInput(tops, dims.streams, prior[i], { self: rec.self[i], memory: rec.memory[i] });
        // A single stream is the caller's own tensor: hand back a copy it may dispose.
        return (dims.streams.length === 1 ? tf.clone(x) : x) as tf.Tensor4D;
      }),
    flowForward: (prior, rec) =>
      dims.scales.map((_, i) => {
        const out = tf.tidy(() => ({ ...flows[i].forward(model.flowInput(prior, rec, i)) }));
        return out as FlowOutput;
      }),
    flowLoss: (prior, rec) => tf.tidy(() => tf.addN(dims.scales.map((_, i) => flowNll(flows[i].forward(model.flowInput(prior, rec, i)) as FlowOutput)))),
    scaleMaps: (prior) =>
      tf.tidy(() => {
        const score = spec.score;
        const rec = transformer.reconstruct(prior) as Reconstruction;
        return dims.scoredScales.map(
          (i) =>
            scaleMap(tops, score, prior[i], { self: rec.self[i], memory: rec.memory[i] }, () =>
              flows[i].transform(model.flowInput(prior, rec, i)),
            ) as tf.Tensor3D,
        );
      }),
    anomalyMaps: (prior, calibration) =>
      tf.tidy(() => {
        if (spec.score.calibrate === 'validation') assertCalibration(calibration, dims.scoredScales);
        const { maps, scores } = scoreMaps(tops, spec.score, dims.inputSize, model.scaleMaps(prior), calibration);
        return { maps: maps as tf.Tensor3D, scores: scores as tf.Tensor1D };
      }),
    getWeights: () => store.getWeights(),
    setWeights: (weights) => store.setWeights(weights),
    weightNames: () => store.names(),
    dispose: () => {
      store.dispose();
      tops.dispose();
    },
  };
  return model;
}

function assertCalibration(calibration: ScaleCalibration | undefined, scored: number[]): void {
  const fits = calibration?.length === scored.length && calibration.every((c, k) => c.scale === scored[k] + 1 && c.std > 0 && Number.isFinite(c.mean));
  if (!fits)
    throw new Error(
      `score.calibrate: validation needs one calibration per scored scale (${scored.map((i) => i + 1).join(', ')}); got ${JSON.stringify(calibration)}`,
    );
}
