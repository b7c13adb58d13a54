// Per-head calibration on the validation split: the mean and standard deviation of each scored
// head's map (at input size, after smoothing), so that heads with different ranges (a
// likelihood, a Mahalanobis distance, a patch distance) can be combined. Test images never enter it.
import type { ModelDims } from '../../compiler/dims.ts';
import { isModelHead, scoreHeads } from '../../compiler/heads.ts';
import type { Spec } from '../../compiler/spec.ts';
import { UserError } from '../../common/errors.ts';
import type { ScaleCalibration } from '../model/index.ts';
import { mapStatistics } from '../train/calibration.ts';
import type { ScaleFeatures } from '../train/features.ts';
import { headMaps, type Detector } from './detector.ts';
import type { HeadCalibration } from './score.ts';

/** What a head calibration depends on besides the fitted state: which heads, and how their maps are made. */
export function headCalibrationKey(spec: Spec, dims: ModelDims): string {
  const { source, self_weight, calibrate, fuse, upsample, smooth } = spec.score;
  const model = scoreHeads(spec).some(isModelHead) ? { source, self_weight, calibrate, fuse, scales: dims.scoredScales.map((i) => i + 1) } : undefined;
  return JSON.stringify({ heads: scoreHeads(spec), upsample, smooth, model });
}

export function computeHeadCalibration(det: Detector, features: ScaleFeatures, scales?: ScaleCalibration, batch = 8): HeadCalibration {
  const heads = scoreHeads(det.spec);
  const n = features[0]?.length ?? 0;
  if (n === 0)
    throw new UserError('combining several score.heads needs validation images, but the validation split is empty', {
      hint: 'set train.validation > 0 (e.g. 0.1), or score one head',
    });
  const stats = mapStatistics(features, det.dims, heads.length, (prior) => headMaps(det, prior, scales), batch);
  return heads.map((head, k) => {
    const { mean, std } = stats[k];
    if (!Number.isFinite(mean) || !(std > 0)) {
      throw new UserError(`head ${head} gives a constant or non-finite map on the validation split (mean ${mean}, std ${std}); it cannot be combined`, {
        hint: 'check that training finished without errors, or score one head',
      });
    }
    return { head, mean, std };
  });
}
