// A trained detector: the DADF model (when a scored head needs it) and the fitted heads.
// Its anomaly map is the one scored head's map, or, with several, each head's map (at input
// size, after score.smooth) standardised by its mean and standard deviation on the validation
// split, then combined pixel by pixel by score.combine.
import * as tf from '@tensorflow/tfjs-core';
import type { ModelDims } from '../../compiler/dims.ts';
import { isModelHead, scoreHeads } from '../../compiler/heads.ts';
import type { Spec } from '../../compiler/spec.ts';
import type { AnomalyOutput, DadfModel, ScaleCalibration } from '../model/index.ts';
import { imageScores } from '../model/score.ts';
import { plainTfjsOps as ops } from '../tensor-ops/tfjs.ts';
import { headMap, type FittedHeads } from './index.ts';
import { atInputSize, combineHeadMaps, type HeadCalibration } from './score.ts';

export interface Detector {
  spec: Spec;
  dims: ModelDims;
  model?: DadfModel;
  heads: FittedHeads;
}

export interface Calibrations {
  /** The DADF model's per-scale calibration (score.calibrate: validation). */
  scales?: ScaleCalibration;
  /** Needed when score.heads combines several heads. */
  heads?: HeadCalibration;
}

/** Each scored head's map at input size, after score.smooth, before any combination: [N, S, S] each. */
export function headMaps(det: Detector, prior: tf.Tensor4D[], scales?: ScaleCalibration): tf.Tensor3D[] {
  const { spec, dims } = det;
  return scoreHeads(spec).map((head) =>
    tf.tidy(() => {
      if (isModelHead(head)) {
        if (!det.model) throw new Error(`score head '${head}' needs the DADF model, which this run did not build`);
        const { maps, scores } = det.model.anomalyMaps(prior, scales);
        scores.dispose();
        return maps;
      }
      return atInputSize(ops, headMap(head, prior, spec, dims, det.heads), spec, dims) as tf.Tensor3D;
    }),
  );
}

export function detectorMaps(det: Detector, prior: tf.Tensor4D[], calibrations: Calibrations = {}): AnomalyOutput {
  const heads = scoreHeads(det.spec);
  if (heads.length === 1 && isModelHead(heads[0])) {
    if (!det.model) throw new Error('this run did not build the DADF model');
    return det.model.anomalyMaps(prior, calibrations.scales);
  }
  return tf.tidy(() => {
    const maps = headMaps(det, prior, calibrations.scales);
    let combined: tf.Tensor3D;
    if (maps.length === 1) combined = maps[0];
    else {
      const cal = calibrations.heads;
      const fits = cal?.length === heads.length && cal.every((c, k) => c.head === heads[k] && c.std > 0 && Number.isFinite(c.mean));
      if (!fits) throw new Error(`score.heads [${heads.join(', ')}] needs one validation calibration per head; got ${JSON.stringify(cal)}`);
      combined = combineHeadMaps(ops, maps, cal!, det.spec.score.combine) as tf.Tensor3D;
    }
    return { maps: combined, scores: imageScores(ops, combined, det.spec.score.image, det.dims.inputSize) as tf.Tensor1D };
  });
}
