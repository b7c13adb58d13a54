// The pixel metrics sort packed float64 keys (score + code bits). Check them against the plain
// index-sort AUROC/F1 on random float32 maps full of awkward values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { auroc, evaluate, f1Max } from '../../runtime/metrics/index.ts';

const awkward = fc.oneof(
  fc.constantFrom(0, -0, 1, -1, 1e-40, -1e-40, 3.4e38, -3.4e38, 0.5, 0.5000001),
  fc.float({ noNaN: true, noDefaultInfinity: true }),
  fc.integer({ min: -3, max: 3 }),
);

test('packed-key pixel AUROC and F1 equal the index-sort versions on random maps', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(awkward, fc.boolean()), { minLength: 2, maxLength: 60 }), (pixels) => {
      const map = Float32Array.from(pixels.map(([s]) => s));
      const mask = Uint8Array.from(pixels.map(([, m]) => (m ? 1 : 0)));
      const result = evaluate({ images: [{ id: 'a/0', defect: 'a', label: 1, map, mask, width: map.length, height: 1 }] });
      const scores = Array.from(map);
      const labels = Array.from(mask);
      assert.equal(result.pixel_auroc, auroc(scores, labels));
      assert.equal(result.f1_max_pixel, f1Max(scores, labels).f1);
    }),
    { numRuns: 300, seed: 7 },
  );
});
