// Rules on scoring: scales that exist, calibration that can be fused and has data, smoothing
// that fits the map.
import { largestSmoothSigma, smoothRadius } from '../blocks/score.ts';
import type { Rule } from './context.ts';

export const scoreScale: Rule = {
  code: 'DADF4012',
  severity: 'error',
  title: 'score.scales names a scale that does not exist',
  check({ spec, taps, at }, report) {
    spec.score.scales?.forEach((s, i) => {
      if (s > taps.length)
        report(
          `score.scales names scale ${s}, but there are ${taps.length} scales`,
          at(['score', 'scales', String(i)]),
          `scales are numbered 1 to ${taps.length}`,
        );
    });
  },
};

export const calibrateFuse: Rule = {
  code: 'DADF4020',
  severity: 'error',
  title: 'calibrated maps fused by product',
  check({ spec, at }, report) {
    if (spec.score.calibrate !== 'validation' || spec.score.fuse !== 'product') return;
    report(
      'calibrated maps are standardised scores, not likelihoods: they cannot be fused by product',
      at(['score', 'fuse']),
      'use fuse: mean, sum or max with calibrate: validation',
    );
  },
};

export const calibrateSplit: Rule = {
  code: 'DADF4021',
  severity: 'error',
  title: 'calibration without a validation split',
  check({ spec, at }, report) {
    if (spec.score.calibrate !== 'validation' || spec.train.validation !== 0) return;
    report(
      'score.calibrate: validation needs a validation split, but train.validation is 0',
      at(['score', 'calibrate']),
      'set train.validation to a fraction such as 0.1, or calibrate: none',
    );
  },
};

export const smoothTooWide: Rule = {
  code: 'DADF4029',
  severity: 'error',
  title: 'score.smooth too wide for the map',
  check({ spec, dims, at }, report) {
    const sigma = spec.score.smooth;
    const size = dims.inputSize;
    if (sigma <= 0 || smoothRadius(sigma) < size) return;
    report(
      `score.smooth: sigma ${sigma} needs a ${smoothRadius(sigma)}-pixel mirrored border, but the maps are ${size}×${size} pixels (the border must be smaller than the map)`,
      at(['score', 'smooth']),
      `use a sigma of at most ${largestSmoothSigma(size)}, or a larger input.size`,
    );
  },
};
