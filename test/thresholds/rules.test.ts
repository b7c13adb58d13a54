// The decision rules on hand-made scores: quantile and F1-max thresholds, the logistic
// normalisation (0.5 exactly at the threshold), labels and masks, and fixed overrides.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isUserError } from '../../common/errors.ts';
import { decide, f1MaxThreshold, isDefective, learnThresholds, maskOf, normalise, normaliseMap, quantile } from '../../runtime/thresholds/rules.ts';

const settings = { quantile: 0.75 };
const flat = (values: number[]) => Float32Array.from(values);

test('quantile interpolates linearly between sorted values (numpy default)', () => {
  assert.equal(quantile([4, 1, 3, 2], 0), 1);
  assert.equal(quantile([4, 1, 3, 2], 1), 4);
  assert.equal(quantile([4, 1, 3, 2], 0.5), 2.5);
  assert.ok(Math.abs(quantile([10, 0], 0.99) - 9.9) < 1e-12);
});

test('F1-max threshold separates the classes and sits halfway to the next lower score', () => {
  // Positives 0.9, 0.8; negatives 0.5, 0.1: F1 = 1 at t = 0.8, moved to (0.8 + 0.5) / 2.
  assert.equal(f1MaxThreshold([0.1, 0.9, 0.5, 0.8], [0, 1, 0, 1]), 0.65);
  // The lowest score as F1-max threshold (everything positive) stays where it is.
  assert.equal(f1MaxThreshold([0.2, 0.3], [1, 1]), 0.2);
});

test('good-only validation: image threshold = quantile of scores, pixel threshold = quantile of map maxima', () => {
  const good = [
    { score: 1, map: flat([0, 1, 0.5, 0.2]) },
    { score: 2, map: flat([0, 2, 0.1, 0.3]) },
    { score: 3, map: flat([3, 0, 0.4, 0.1]) },
  ];
  const learned = learnThresholds({ good, anomalous: [] }, settings);
  assert.equal(learned.rule, 'quantile');
  assert.equal(learned.image, 2.5);
  assert.equal(learned.pixel, 2.5);
  assert.deepEqual(learned.validation, { good: 3, anomalous: 0 });
  assert.ok(Math.abs(learned.imageSpread - Math.sqrt(2 / 3)) < 1e-12, 'population std of 1, 2, 3');
  assert.ok(learned.pixelSpread > 0);
  assert.throws(
    () => learnThresholds({ good: [], anomalous: [] }, settings),
    (e: unknown) => isUserError(e) && /validation split is empty/.test((e as Error).message),
  );
  assert.throws(
    () => learnThresholds({ good: [{ score: 1, map: flat([1, 1]) }], anomalous: [] }, settings),
    (e: unknown) => isUserError(e) && /constant/.test((e as Error).message),
  );
});

test('labelled anomalies in validation: F1-max for images, and for pixels when every anomaly has a mask', () => {
  const good = [
    { score: 0.1, map: flat([0.1, 0, 0, 0]) },
    { score: 0.3, map: flat([0.3, 0.2, 0, 0]) },
  ];
  const anomalous = [{ score: 0.9, map: flat([0.9, 0.7, 0.2, 0]), mask: Uint8Array.from([1, 1, 0, 0]) }];
  const learned = learnThresholds({ good, anomalous }, settings);
  assert.equal(learned.rule, 'f1_max');
  assert.equal(learned.pixelRule, 'f1_max');
  assert.ok(Math.abs(learned.image - 0.6) < 1e-12, `image ${learned.image}`);
  assert.ok(learned.pixel > 0.3 && learned.pixel <= 0.7, `pixel ${learned.pixel} separates 0.7 (defect) from 0.3 (good)`);
  const unmasked = learnThresholds({ good, anomalous: [{ ...anomalous[0], mask: null }] }, settings);
  assert.equal(unmasked.pixelRule, 'quantile');
  assert.equal(unmasked.pixel, quantile(flat([0.1, 0.3]), 0.75), "quantile of the good maps' maxima");
});

test('normalised scores: 0.5 exactly at the threshold, inside (0, 1), order kept', () => {
  assert.equal(normalise(2, 2, 0.7), 0.5);
  const xs = [-1e3, -3, 1.9, 2, 2.1, 5, 1e3];
  const ns = xs.map((x) => normalise(x, 2, 0.7));
  for (const n of ns) assert.ok(n >= 0 && n <= 1);
  for (let i = 1; i < ns.length; i++) assert.ok(ns[i] >= ns[i - 1]);
  assert.ok(ns[2] < 0.5 && ns[4] > 0.5);
});

test('decide: learned thresholds unless score.threshold.image / .pixel fix them; labels and masks follow them', () => {
  const learned = learnThresholds(
    {
      good: [
        { score: 1, map: flat([0, 1]) },
        { score: 2, map: flat([0, 2]) },
      ],
      anomalous: [],
    },
    settings,
  );
  const d = decide(learned, settings);
  assert.equal(d.image, learned.image);
  assert.match(d.imageSource, /quantile 0\.75 of 2 good validation images/);
  const fixed = decide(learned, { ...settings, image: 10, pixel: 0.5 });
  assert.equal(fixed.image, 10);
  assert.equal(fixed.pixel, 0.5);
  assert.match(fixed.pixelSource, /fixed by score\.threshold\.pixel/);
  assert.equal(isDefective(10, fixed.image), true, 'at the threshold is defective');
  assert.equal(isDefective(9.999, fixed.image), false);
  assert.deepEqual(Array.from(maskOf(flat([0.4, 0.5, 0.6]), fixed)), [0, 1, 1]);
  const n = normaliseMap(flat([0.4, 0.5, 0.6]), fixed);
  assert.ok(n[0] < 0.5 && n[1] === 0.5 && n[2] > 0.5);
});
