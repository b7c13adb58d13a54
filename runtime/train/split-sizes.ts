// Enough good images for what the pipeline fits, checked right after the validation split and
// before the backbone is loaded or anything is written: a tiny training set is refused with
// the counts, not found out by a head or a calibration mid-run.
import { declaredHeads, scoreHeads, usesModel } from '../../compiler/heads.ts';
import type { Spec } from '../../compiler/spec.ts';
import { UserError } from '../../common/errors.ts';

const MIN_GAUSSIAN_IMAGES = 2;

export function checkSplitSizes(spec: Spec, counts: { train: number; validation: number; ownValidation: boolean }, where: string): void {
  const total = counts.ownValidation ? counts.train : counts.train + counts.validation;
  const split = counts.ownValidation
    ? `${counts.train} training images (validation/good holds ${counts.validation})`
    : `${total} good image${total === 1 ? '' : 's'}: ${counts.train} for training, ${counts.validation} for validation (train.validation ${spec.train.validation})`;
  if (counts.train === 0) {
    throw new UserError(`no training images left after the validation split: ${split}`, {
      where,
      hint: 'Add good images to train/good, or lower train.validation.',
    });
  }
  if (declaredHeads(spec).includes('gaussian') && spec.heads.gaussian?.per_position !== false && counts.train < MIN_GAUSSIAN_IMAGES) {
    throw new UserError(
      `too few training images for the gaussian head: it fits a covariance per position from at least ${MIN_GAUSSIAN_IMAGES} images; the data set has ${split}`,
      {
        where,
        hint: `Add good images (PaDiM-style heads want tens)${counts.validation > 0 && !counts.ownValidation ? ', or lower train.validation (thresholds need at least one validation image)' : ''}, use the knn head, which fits from one image, or head gaussian { per_position: false }.`,
      },
    );
  }
  const calibrates = (usesModel(spec) && spec.score.calibrate === 'validation') || scoreHeads(spec).length > 1;
  if (calibrates && counts.validation === 0) {
    const why = scoreHeads(spec).length > 1 ? `it combines ${scoreHeads(spec).join(' + ')}` : 'score.calibrate is validation';
    throw new UserError(`this pipeline calibrates its scores on the validation split (${why}), but the split is empty: the data set has ${split}`, {
      where,
      hint: counts.ownValidation
        ? 'Add images to validation/good.'
        : 'Add good images (at least 2, so that one can be held out), or raise train.validation, or set score.calibrate: none and score one head.',
    });
  }
}
