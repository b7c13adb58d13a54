// The detector as ONNX nodes: the scored heads' maps from the backbone taps, then their
// combination and the image scores. The fitted heads (Gaussian, patch memory) and the
// combination are the functions tfjs scores with (runtime/heads/score.ts) run on the ONNX
// engine of runtime/tensor-ops; the DADF model's map is emitModel's.
import type { ModelDims } from '../../compiler/dims.ts';
import { headDims } from '../../compiler/blocks/fitted-heads.ts';
import { isModelHead, scoreHeads } from '../../compiler/heads.ts';
import type { HeadKind, Spec } from '../../compiler/spec.ts';
import { UserError } from '../../common/errors.ts';
import { headsToTensors, type FittedHeads } from '../heads/index.ts';
import { atInputSize, combineHeadMaps, fittedHeadRaw, type HeadCalibration, type HeadValues } from '../heads/score.ts';
import type { ScaleCalibration } from '../model/index.ts';
import type { NamedWeight } from '../model/params.ts';
import { imageScores } from '../model/score.ts';
import { OnnxOps, type OnnxValue } from '../tensor-ops/onnx.ts';
import type { GraphBuilder } from './graph.ts';
import { emitModel } from './model.ts';

export interface DetectorWeights {
  /** The DADF model's weights, when a scored head is the model. */
  model: Record<string, NamedWeight>;
  calibration?: ScaleCalibration;
  heads: FittedHeads;
  /** Needed when score.heads combines several heads. */
  headCalibration?: HeadCalibration;
}

/** The fitted heads' values as ONNX initializers (written on first use). */
function headValues(ops: OnnxOps, kinds: HeadKind[], heads: FittedHeads): HeadValues<OnnxValue> {
  const values: HeadValues<OnnxValue> = {};
  if (heads.gaussian && kinds.includes('gaussian'))
    values.gaussian = {
      mean: ops.param('heads/gaussian/mean'),
      transform: ops.param('heads/gaussian/transform'),
      channels: heads.gaussian.channels,
      perPosition: heads.gaussian.mean.shape[0] !== 1,
    };
  // onnxruntime folds the transpose of an initializer when it loads the graph.
  if (heads.knn && kinds.includes('knn')) values.knn = { bankT: ops.transpose(ops.param('heads/knn/bank'), [1, 0]), entries: heads.knn.bank.shape[0] };
  for (const kind of kinds)
    if (!values[kind]) throw new UserError(`cannot export the ${kind} head: this run's checkpoint does not hold it`, { hint: 'retrain the run' });
  return values;
}

/** Emits the anomaly maps [N, S, S] and image scores [N] on NCHW taps (in the order of dims.scales). */
export function emitDetector(g: GraphBuilder, taps: string[], spec: Spec, dims: ModelDims, weights: DetectorWeights): { maps: string; scores: string } {
  const scored = scoreHeads(spec);
  if (scored.length === 1 && isModelHead(scored[0])) return emitModel(g, taps, spec, dims, weights.model, weights.calibration);
  if (scored.length > 1 && weights.headCalibration?.length !== scored.length)
    throw new UserError(`cannot export node score/combine: score.heads [${scored.join(', ')}] needs one validation calibration per head`, {
      hint: 'retrain the run (training writes the calibration), or score one head',
    });
  const storedHeads = headsToTensors(weights.heads);
  const ops = new OnnxOps(g, storedHeads);
  g.scope = '';
  const fitted = scored.filter((head): head is HeadKind => !isModelHead(head));
  // The taps are NCHW graph values; the heads see them as NHWC maps (the engine keeps them NCHW until an op needs otherwise).
  const prior: OnnxValue[] = [];
  for (const kind of fitted)
    for (const i of headDims(spec, dims, kind).scales) {
      const s = dims.scales[i];
      prior[i] ??= ops.value(taps[i], [-1, s.size, s.size, s.channels], true);
    }
  const values = headValues(ops, fitted, weights.heads);
  const S = dims.inputSize;
  const maps = scored.map((head) => {
    if (isModelHead(head)) return ops.value(emitModel(g, taps, spec, dims, weights.model, weights.calibration).maps, [-1, S, S]);
    return ops.scope(`head_${head}`, () => atInputSize(ops, fittedHeadRaw(ops, head, prior, spec, dims, values), spec, dims));
  });
  return ops.scope('score', () => {
    const combined = maps.length === 1 ? maps[0] : combineHeadMaps(ops, maps, weights.headCalibration!, spec.score.combine);
    return { maps: ops.ref(combined), scores: ops.ref(imageScores(ops, combined, spec.score.image, S)) };
  });
}
