// Too few good images for what a pipeline fits is refused right after the split, with the
// counts; what one image suffices for (a patch memory) is not refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { compilePipeline } from '../../compiler/index.ts';
import type { Spec } from '../../compiler/spec.ts';
import { UserError } from '../../common/errors.ts';
import { checkSplitSizes } from '../../runtime/train/split-sizes.ts';
import { pipelinesDir } from '../compiler/helpers.ts';

function specOf(file: string, sets: string[] = []): Spec {
  const compiled = compilePipeline(join(pipelinesDir, file), { sets });
  assert.ok(compiled.spec, `${file}: ${JSON.stringify(compiled.diagnostics.filter((d) => d.severity === 'error'))}`);
  return compiled.spec;
}

function refusal(spec: Spec, train: number, validation: number, ownValidation = false): UserError | null {
  try {
    checkSplitSizes(spec, { train, validation, ownValidation }, 'DATA');
    return null;
  } catch (error) {
    assert.ok(error instanceof UserError, String(error));
    assert.equal(error.where, 'DATA');
    return error;
  }
}

test('a per-position Gaussian needs two training images; the message gives the counts and the way out', () => {
  const padim = specOf('padim-025.dadf');
  const one = refusal(padim, 1, 1);
  assert.match(one?.message ?? '', /too few training images for the gaussian head.*2 good images: 1 for training, 1 for validation \(train\.validation 0\.1\)/);
  assert.match(one?.hint ?? '', /lower train\.validation.*knn head/);
  assert.equal(refusal(padim, 2, 0), null);
  assert.equal(refusal(specOf('padim-025.dadf', ['heads.gaussian.per_position=false']), 1, 0), null);
});

test('a patch memory fits from one image; fusing heads or calibrating scales needs a validation image', () => {
  assert.equal(refusal(specOf('patchcore-025.dadf'), 1, 0), null);
  const fused = refusal(specOf('dadf-cpu-gaussian.dadf'), 3, 0);
  assert.match(fused?.message ?? '', /calibrates its scores on the validation split \(it combines .*gaussian\), but the split is empty/);
  const calibrated = refusal(specOf('dadf-cpu.dadf'), 3, 0, true);
  assert.match(calibrated?.message ?? '', /score\.calibrate is validation/);
  assert.match(calibrated?.hint ?? '', /validation\/good/);
  assert.equal(refusal(specOf('dadf-cpu.dadf', ['score.calibrate=none']), 3, 0), null);
  assert.match(refusal(specOf('tiny.dadf'), 0, 1)?.message ?? '', /no training images left/);
});
