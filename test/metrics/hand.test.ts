// Small cases computed by hand (the arithmetic is in the comments).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auroc, evaluate, f1Max, labelComponents, LimitedTrapezoid, saturationArea, type EvalImage } from '../../runtime/metrics/index.ts';

const near = (a: number | null | undefined, b: number, tol = 1e-12) => assert.ok(typeof a === 'number' && Math.abs(a - b) <= tol, `${a} != ${b}`);

const image = (id: string, defect: string, map: number[], mask: number[] | null, width = map.length, height = 1): EvalImage => ({
  id,
  defect,
  label: defect === 'good' ? 0 : 1,
  map: Float32Array.from(map),
  mask: mask ? Uint8Array.from(mask) : null,
  width,
  height,
});

test('AUROC: classic case and ties counted as one half', () => {
  near(auroc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75);
  // pos {1, 2} vs neg {1, 2}: (1,1) 1/2 + (1,2) 0 + (2,1) 1 + (2,2) 1/2 = 2 of 4 pairs.
  near(auroc([1, 1, 2, 2], [0, 1, 0, 1]), 0.5);
  near(auroc([0.5, 0.5, 0.5], [0, 1, 1]), 0.5);
  near(auroc([3, 2, 1], [1, 1, 0]), 1);
  assert.equal(auroc([1, 2], [0, 0]), null);
});

test('F1-max: best over thresholds, with the threshold', () => {
  // t=0.8: 2*1/(1+0+2)=2/3; t=0.4: 2/(1+1+2)=1/2; t=0.35: 4/(2+1+2)=0.8; t=0.1: 4/6.
  const r = f1Max([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]);
  near(r.f1, 0.8);
  assert.equal(r.threshold, 0.35);
});

test('components are 8-connected: diagonal neighbours join', () => {
  const mask = Uint8Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1]); // 4 x 3
  const { count, sizes } = labelComponents(mask, 4, 3);
  assert.equal(count, 2);
  assert.deepEqual(sizes.slice(1), [3, 1]);
});

test('AUPRO, one region: 13/18', () => {
  // 4x4 image, 2x2 region (scores .9 .9 .2 .2), 12 ok pixels (one .95, eleven .1).
  // Curve: (0,0) (1/12,0) (1/12,.5) (1/12,1) (1,1). Area to .3: 0 + (0.3 - 1/12) * 1.
  const mask = [0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0];
  const map = [0.95, 0.1, 0.1, 0.1, 0.1, 0.9, 0.9, 0.1, 0.1, 0.2, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1];
  const r = evaluate({ images: [image('a/0', 'a', map, mask, 4, 4)] });
  near(r.aupro, (0.3 - 1 / 12) / 0.3);
  near(r.aupro, 13 / 18);
});

test('AUPRO, two regions of different sizes: each region weighs the same', () => {
  // 10x1: region A = px 0-3 (scores .9 .1 .1 .1), region B = px 5 (.9); ok px 4,6-9 (.5 .1 .1 .1 .1).
  // t=.9: PRO = (1/4 + 1)/2 = .625 at FPR 0; t=.5: FPR .2; t=.1: (1, 1).
  // Area: .2 * .625 + .1 * (.625 + y(.3))/2 with y(.3) = .625 + .375 * .1/.8 = .671875.
  const mask = [1, 1, 1, 1, 0, 1, 0, 0, 0, 0];
  const map = [0.9, 0.1, 0.1, 0.1, 0.5, 0.9, 0.1, 0.1, 0.1, 0.1];
  const r = evaluate({ images: [image('a/0', 'a', map, mask)] });
  near(r.aupro, (0.2 * 0.625 + (0.1 * (0.625 + 0.671875)) / 2) / 0.3);
  // Pixel AUROC: the two .9 positives beat all 5 negatives (10); the three .1 positives tie
  // with four .1 negatives (3 * 4 / 2 = 6): 16 of 25 pairs.
  near(r.pixel_auroc, 16 / 25);
});

test('an image with no anomaly adds only false positives; only good images leave metrics undefined', () => {
  const anomalous = image('a/0', 'a', [0.9, 0.1, 0.1, 0.1, 0.5, 0.9, 0.1, 0.1, 0.1, 0.1], [1, 1, 1, 1, 0, 1, 0, 0, 0, 0]);
  // A good image whose pixels all score .05 (below everything): FPR only moves at the end.
  const good = image('good/0', 'good', new Array(10).fill(0.05), null);
  const r = evaluate({ images: [anomalous, good] });
  // FPR denominators become 15: t=.5 -> FPR 1/15; t=.1 -> 5/15 with PRO 1; so the curve is
  // (0,.625) (1/15,.625) (1/3,1): y(.3) = .625 + .375 * (.3 - 1/15)/(1/3 - 1/15).
  const y = 0.625 + (0.375 * (0.3 - 1 / 15)) / (1 / 3 - 1 / 15);
  near(r.aupro, ((1 / 15) * 0.625 + ((0.3 - 1 / 15) * (0.625 + y)) / 2) / 0.3);
  near(r.image_auroc, 1);
  near(r.per_type.a.image_auroc, 1);
  assert.equal(r.n_good, 1);
  const onlyGood = evaluate({ images: [good] });
  assert.equal(onlyGood.image_auroc, null);
  assert.equal(onlyGood.pixel_auroc, null);
  assert.equal(onlyGood.aupro, null);
  assert.equal(onlyGood.f1_max_pixel, null);
});

test('scores: negatives, +0/-0 as one tie, given image scores override the map max', () => {
  const r = evaluate({ images: [image('a/0', 'a', [-2, -1, -1.5, 3], [0, 1, 0, 1])] });
  near(r.pixel_auroc, 1);
  const zeros = evaluate({ images: [image('a/0', 'a', [-0, 0], [1, 0])] });
  near(zeros.pixel_auroc, 0.5);
  const withScores = evaluate({
    images: [
      { ...image('a/0', 'a', [5], [1]), score: 0.1 },
      { ...image('good/0', 'good', [1], null), score: 0.9 },
    ],
  });
  near(withScores.image_auroc, 0);
  assert.throws(() => evaluate({ images: [image('a/0', 'a', [NaN, 1], [1, 0])] }), /non-finite/);
});

test('trapezoid stops exactly at the limit when a point lands on it', () => {
  const t = new LimitedTrapezoid(0.3);
  t.add(0.3, 1);
  t.add(0.5, 0);
  near(t.area, 0.15);
});

test('LOCO sPRO saturates; AUsPRO at each limit', () => {
  // 8x1 structural image: one channel on px 0-3 (.9 .8 .1 .1), saturation 2 px; ok px .85 .1 .1 .1.
  // Curve: (0,0) (0,.5) (.25,.5) (.25,1) (1,1).
  // @.01: .5; @.05: .5; @.1: .5; @.3: (.25*.5 + .05)/.3; @1: .125 + .75.
  const config = { defect_name: 'd', pixel_value: 255, saturation_threshold: 2, relative_saturation: false };
  const map = [0.9, 0.8, 0.1, 0.1, 0.85, 0.1, 0.1, 0.1];
  const channel = Uint8Array.from([1, 1, 1, 1, 0, 0, 0, 0]);
  const r = evaluate({
    images: [{ ...image('structural_anomalies/0', 'structural_anomalies', map, [1, 1, 1, 1, 0, 0, 0, 0]), channels: [{ mask: channel, config }] }],
    loco: true,
  });
  const s = r.spro!.structural_anomalies;
  near(s['0.01'], 0.5);
  near(s['0.05'], 0.5);
  near(s['0.1'], 0.5);
  near(s['0.3'], (0.25 * 0.5 + 0.05) / 0.3);
  near(s['1'], 0.875);
  assert.equal(r.spro!.mean['0.3'], null); // no logical anomalies: no mean
  assert.equal(saturationArea(4, { ...config, saturation_threshold: 0.5, relative_saturation: true }), 2);
  assert.equal(saturationArea(4, { ...config, saturation_threshold: 10 }), 4);
  assert.equal(saturationArea(1, { ...config, saturation_threshold: 0.3, relative_saturation: true }), 1);
});
