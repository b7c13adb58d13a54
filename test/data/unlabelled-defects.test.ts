// A defect type labelled per image only (test/<type>/ with no ground_truth/<type>/ beside types
// that have masks): it loads, image metrics count it, pixel metrics and the pixel confusion
// leave it out, and the table says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadDataset, readMask, type Sample } from '../../runtime/data/index.ts';
import { evaluate, missingMetricNotes, type EvalImage } from '../../runtime/metrics/index.ts';
import { decisionOnLabelled } from '../../runtime/thresholds/confusion.ts';
import { makeMvtec, rgb, tempDir } from './make-fixtures.ts';

const SIZE = 16;

/** A map that is high on the mask (or, without one, on a corner), plus a per-image offset. */
async function evalImage(sample: Sample, offset: number): Promise<EvalImage> {
  const mask = sample.maskPaths.length > 0 ? await readMask(sample) : null;
  const map = new Float32Array(SIZE * SIZE);
  for (let i = 0; i < map.length; i++) map[i] = offset + ((i * 37) % 11) / 100 + (mask ? mask[i] : sample.label && i < 20 ? 1 : 0);
  return { id: sample.id, defect: sample.defect, label: sample.label, map, mask: sample.label ? mask : null, width: SIZE, height: SIZE };
}

test('a defect type without a mask folder loads; image metrics count it, pixel metrics are over the types with masks', async () => {
  const root = tempDir();
  await makeMvtec(root, SIZE);
  for (const n of ['000', '001', '002']) await rgb(join(root, 'test/dent', `${n}.png`), SIZE);
  const ds = await loadDataset(root);
  assert.deepEqual(ds.defectTypes, ['crack', 'dent']);
  assert.ok(ds.test.filter((s) => s.defect === 'dent').every((s) => s.maskPaths.length === 0));
  assert.ok(ds.test.filter((s) => s.defect === 'crack').every((s) => s.maskPaths.length === 1));

  const images = await Promise.all(ds.test.map((s, i) => evalImage(s, i / 10)));
  const withDent = evaluate({ images, defectTypes: ds.defectTypes });
  const masked = images.filter((im) => im.defect !== 'dent');
  const withoutDent = evaluate({ images: masked, defectTypes: ['crack'] });

  assert.deepEqual(withDent.missing_masks, ['dent']);
  assert.equal(withDent.n_anomalous, 5);
  assert.equal(withDent.per_type.dent.pixel_auroc, null);
  assert.equal(withDent.per_type.dent.aupro, null);
  assert.notEqual(withDent.per_type.dent.image_auroc, null);
  // Overall pixel metrics are exactly those of good + crack; image metrics include dent.
  assert.equal(withDent.pixel_auroc, withoutDent.pixel_auroc);
  assert.equal(withDent.aupro, withoutDent.aupro);
  assert.notEqual(withDent.pixel_auroc, null);
  assert.equal(withDent.n_images, withoutDent.n_images + 3);
  assert.deepEqual(missingMetricNotes(withDent), ['note: pixel metrics leave out dent: no masks (ground_truth/<type>/); image metrics count them.']);
  assert.deepEqual(missingMetricNotes(withoutDent), []);

  // The pixel confusion at a threshold counts the same pixels as without dent.
  const decision = { image: 0.5, pixel: 0.9, imageSpread: 1, pixelSpread: 1, imageSource: 'test', pixelSource: 'test' };
  const scored = (list: EvalImage[]) => list.map((im) => ({ label: im.label, score: Math.max(...im.map), map: im.map, mask: im.mask }));
  const both = decisionOnLabelled(decision, scored(images));
  const crackOnly = decisionOnLabelled(decision, scored(masked));
  assert.notEqual(both.pixel.confusion, null);
  assert.deepEqual(both.pixel.confusion, crackOnly.pixel.confusion);
  assert.equal(both.image.confusion!.tp + both.image.confusion!.fn, 5);
});

test('notes say why a metric is missing: no good test images, no masks at all', async () => {
  const root = tempDir();
  await makeMvtec(root, SIZE);
  const ds = await loadDataset(root);
  const images = await Promise.all(ds.test.map((s, i) => evalImage(s, i / 10)));
  const noGood = evaluate({ images: images.filter((im) => im.label === 1), defectTypes: ['crack'] });
  assert.equal(noGood.image_auroc, null);
  assert.match(missingMetricNotes(noGood)[0], /no image AUROC: the test split has no good images/);
  const noMasks = evaluate({ images: images.map((im) => ({ ...im, mask: null })), defectTypes: ['crack'] });
  assert.equal(noMasks.pixel_auroc, null);
  assert.deepEqual(missingMetricNotes(noMasks), ['note: no pixel metrics: no defect type has masks (ground_truth/<type>/NNN_mask.png); image metrics only.']);
});
