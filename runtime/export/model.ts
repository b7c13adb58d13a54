// The DADF model as ONNX nodes: the same block forwards the tfjs model runs (runtime/model:
// transformer, flow, score), on the ONNX engine of runtime/tensor-ops. The backbone's taps
// arrive NCHW (ONNX's layout), which that engine keeps for maps under the NHWC the blocks see.
import type { ModelDims } from '../../compiler/dims.ts';
import type { Spec } from '../../compiler/spec.ts';
import { UserError } from '../../common/errors.ts';
import { flowInput, ScaleFlow } from '../model/flow.ts';
import type { ScaleCalibration } from '../model/index.ts';
import type { NamedWeight } from '../model/params.ts';
import { scaleMap, scoreMaps } from '../model/score.ts';
import { DualTransformer } from '../model/transformer.ts';
import { OnnxOps } from '../tensor-ops/onnx.ts';
import type { GraphBuilder } from './graph.ts';

/** Emits the model on NCHW taps (in the order of dims.scales); returns maps [N, S, S] and scores [N]. */
export function emitModel(
  g: GraphBuilder,
  taps: string[],
  spec: Spec,
  dims: ModelDims,
  weights: Record<string, NamedWeight>,
  calibration?: ScaleCalibration,
): { maps: string; scores: string } {
  if (spec.score.calibrate === 'validation' && !calibration)
    throw new UserError('cannot export node score/calibrate: the run has no validation calibration for this scoring', {
      hint: 'retrain the run (training writes the calibration), or score this run with --engine tfjs',
    });
  const ops = new OnnxOps(g, weights);
  g.scope = '';
  // The taps are NCHW graph values; the blocks see them as NHWC maps (stored NCHW until an op needs otherwise).
  const prior = dims.scales.map((s, i) => ops.value(taps[i], [-1, s.size, s.size, s.channels], true));
  const rec = ops.scope('transformer', () => new DualTransformer(ops, spec, dims).reconstruct(prior));
  const perScale = dims.scoredScales.map((i) => {
    const streams = { self: rec.self[i], memory: rec.memory[i] };
    const z = () =>
      ops.scope(`flow${i + 1}`, () => {
        const s = dims.scales[i];
        return new ScaleFlow(ops, spec, i, s.size, s.flowChannels).transform(flowInput(ops, dims.streams, prior[i], streams));
      });
    return ops.scope(`map${i + 1}`, () => scaleMap(ops, spec.score, prior[i], streams, z));
  });
  const { maps, scores } = ops.scope('score', () => scoreMaps(ops, spec.score, dims.inputSize, perScale, calibration));
  return { maps: ops.ref(maps), scores: ops.ref(scores) };
}
