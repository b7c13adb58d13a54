// Writes synthetic anomaly maps for the real bottle test split (float32 TIFF, the official
// layout) plus every ground-truth mask as .npy, for a cross-check of `dadfc eval` against the
// numpy reference on 67 M pixels:
//   node --import tsx test/metrics/reference/bottle-maps.ts OUT [size]
//   node bin/dadfc.js eval --maps OUT --data ../shared/data/mvtec_ad/bottle --json OUT/eval.json
//   python3 test/metrics/reference/bottle_check.py OUT
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDataset, readMask, writeMap } from '../../../runtime/data/index.ts';
import { encodeNpy } from '../../../formats/index.ts';

const out = process.argv[2];
if (!out) {
  console.error('usage: bottle-maps.ts OUT [size]');
  process.exit(2);
}
const size = process.argv[3] ? Number(process.argv[3]) : undefined;
const repoRoot = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const shared = process.env.DADF_SHARED ?? resolve(repoRoot, '../shared');
const dataset = await loadDataset(join(shared, 'data/mvtec_ad/bottle'));
let seed = 7;
// mulberry32
const random = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
};
for (const sample of dataset.test) {
  const mask = await readMask(sample, size);
  const side = size ?? sample.width;
  // Quantised noise (many exact ties) plus a weak, noisy defect signal; a per-image gain makes
  // some good images outscore defective ones, so image AUROC is not trivially 1.
  const gain = 0.4 + 1.2 * random();
  const map = Float32Array.from(mask, (m) => Math.round((m * 0.3 * random() + random()) * gain * 64) / 64 + (random() < 0.3 ? random() * 1e-3 : 0));
  await writeMap(join(out, 'test', `${sample.id}.tiff`), map, side, side);
  mkdirSync(join(out, 'masks', sample.defect), { recursive: true });
  writeFileSync(join(out, 'masks', `${sample.id}.npy`), encodeNpy(Float32Array.from(mask), [side, side]));
}
console.log(`wrote ${dataset.test.length} maps and masks under ${out}`);
