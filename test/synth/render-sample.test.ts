import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderSample, defectsFor, SYNTH_CATEGORIES } from '../../runtime/synth/index.ts';
import { UserError } from '../../common/errors.ts';

const SIZE = 96;

function countOnes(mask: Uint8Array): number {
  let n = 0;
  for (const v of mask) n += v;
  return n;
}

test('same seed gives identical bytes, a different seed a different image', () => {
  for (const category of SYNTH_CATEGORIES) {
    for (const defect of [null, defectsFor(category)[0]]) {
      const a = renderSample(11, category, defect, SIZE);
      const b = renderSample(11, category, defect, SIZE);
      assert.deepEqual(a.image, b.image, `${category}/${defect}`);
      assert.deepEqual(a.mask, b.mask, `${category}/${defect}`);
      const c = renderSample(12, category, defect, SIZE);
      assert.notDeepEqual(a.image, c.image, `${category}/${defect}: seeds 11 and 12 gave the same image`);
    }
  }
});

test('shapes: image is HWC RGB, mask is 0/1 of the same size', () => {
  const { image, mask } = renderSample(3, 'wood', 'crack', 64);
  assert.equal(image.length, 64 * 64 * 3);
  assert.equal(mask.length, 64 * 64);
  assert.ok(mask.every((v) => v === 0 || v === 1));
});

test('good samples have an empty mask; every defect sample a non-empty one', () => {
  for (const category of SYNTH_CATEGORIES) {
    for (let seed = 0; seed < 3; seed++) {
      assert.equal(countOnes(renderSample(seed, category, null, SIZE).mask), 0, `${category} good`);
      for (const defect of defectsFor(category)) {
        const n = countOnes(renderSample(seed, category, defect, SIZE).mask);
        assert.ok(n >= 8, `${category}/${defect} seed ${seed}: mask has only ${n} pixels`);
        assert.ok(n < SIZE * SIZE * 0.25, `${category}/${defect} seed ${seed}: mask covers ${n} pixels, too much for a defect`);
      }
    }
  }
});

test('the mask is exactly the set of pixels where the defect image differs from the normal one', () => {
  for (const category of SYNTH_CATEGORIES) {
    for (const defect of defectsFor(category)) {
      for (const seed of [5, 6]) {
        const normal = renderSample(seed, category, null, SIZE).image;
        const { image, mask } = renderSample(seed, category, defect, SIZE);
        for (let p = 0; p < SIZE * SIZE; p++) {
          const differs = image[3 * p] !== normal[3 * p] || image[3 * p + 1] !== normal[3 * p + 1] || image[3 * p + 2] !== normal[3 * p + 2];
          if (differs !== (mask[p] === 1)) assert.fail(`${category}/${defect} seed ${seed}: pixel ${p} differs=${differs} mask=${mask[p]}`);
        }
      }
    }
  }
});

test('normal images vary between seeds (not one template)', () => {
  for (const category of SYNTH_CATEGORIES) {
    const a = renderSample(1, category, null, SIZE).image;
    const b = renderSample(2, category, null, SIZE).image;
    let sum = 0;
    for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
    const meanAbs = sum / a.length;
    assert.ok(meanAbs > 3, `${category}: normal images differ by only ${meanAbs.toFixed(2)} grey levels on average`);
  }
});

test('defects are visible: the changed pixels move by a clear amount on average', () => {
  for (const category of SYNTH_CATEGORIES) {
    for (const defect of defectsFor(category)) {
      const normal = renderSample(9, category, null, SIZE).image;
      const { image, mask } = renderSample(9, category, defect, SIZE);
      let sum = 0;
      let n = 0;
      for (let p = 0; p < mask.length; p++) {
        if (!mask[p]) continue;
        n++;
        for (let c = 0; c < 3; c++) sum += Math.abs(image[3 * p + c] - normal[3 * p + c]) / 3;
      }
      assert.ok(sum / n > 12, `${category}/${defect}: mean change ${(sum / n).toFixed(1)} grey levels`);
    }
  }
});

test('bad arguments are user errors with a hint', () => {
  assert.throws(
    () => renderSample(1, 'marble', null, SIZE),
    (e: unknown) => e instanceof UserError && /carpet/.test(e.hint ?? ''),
  );
  assert.throws(
    () => renderSample(1, 'carpet', 'missing', SIZE),
    (e: unknown) => e instanceof UserError && /scratch/.test(e.hint ?? ''),
  );
  assert.throws(() => renderSample(1, 'carpet', null, 7), UserError);
});
