// Metric time and peak memory for a bottle-sized evaluation: 83 test images (20 good, 63 with
// defects in 3 types) at 256 x 256, synthetic maps and masks. Run:
//   node --import tsx bench/metrics.ts [size] [images]
// Prints the time to fill the tables, the time to sort and sweep, and peak RSS / array buffers
// (sampled every 5 ms), next to the bytes the maps themselves take.
import { Evaluator } from '../runtime/metrics/index.ts';
import { auroc } from '../runtime/metrics/index.ts';

const size = Number(process.argv[2] ?? 256);
const count = Number(process.argv[3] ?? 83);
const types = ['broken_large', 'broken_small', 'contamination'];
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

let seed = 12345;
const random = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32;

function synthetic(i: number) {
  const good = i < Math.round((count * 20) / 83);
  const defect = good ? 'good' : types[i % 3];
  const map = new Float32Array(size * size);
  const mask = new Uint8Array(size * size);
  const blobs = good ? 0 : 1 + (i % 3);
  for (let b = 0; b < blobs; b++) {
    const cx = random() * size;
    const cy = random() * size;
    const r = 4 + random() * size * 0.08;
    for (let y = Math.max(0, Math.floor(cy - r)); y < Math.min(size, cy + r); y++) {
      for (let x = Math.max(0, Math.floor(cx - r)); x < Math.min(size, cx + r); x++) {
        if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) mask[y * size + x] = 1;
      }
    }
  }
  // Float scores with some exact ties (a quantised half) and a defect signal.
  for (let p = 0; p < map.length; p++) {
    const noise = p % 2 === 0 ? Math.round(random() * 256) / 256 : random();
    map[p] = noise + mask[p] * (0.3 + 0.5 * random());
  }
  return { id: `${defect}/${i}`, defect, label: (good ? 0 : 1) as 0 | 1, map, mask: good ? null : mask, width: size, height: size };
}

const images = Array.from({ length: count }, (_, i) => synthetic(i));
const mapBytes = images.reduce((n, im) => n + im.map.byteLength, 0);
global.gc?.();
const base = process.memoryUsage();
let peakRss = base.rss;
let peakBuffers = base.arrayBuffers;
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakBuffers = Math.max(peakBuffers, m.arrayBuffers);
}, 5);

await new Promise((r) => setTimeout(r, 10));
const t0 = performance.now();
const evaluator = new Evaluator({ defectTypes: types, expectedPixels: count * size * size });
for (const image of images) evaluator.add(image);
const t1 = performance.now();
const result = evaluator.finish();
const t2 = performance.now();
await new Promise((r) => setTimeout(r, 10));
clearInterval(sampler);
const end = process.memoryUsage();
peakRss = Math.max(peakRss, end.rss);
peakBuffers = Math.max(peakBuffers, end.arrayBuffers);

// For scale: the generic index-sort AUROC over the same pixels (what a plain implementation does).
const allScores = new Float32Array(count * size * size);
const allLabels = new Uint8Array(count * size * size);
images.forEach((im, k) => {
  allScores.set(im.map, k * size * size);
  if (im.mask) allLabels.set(im.mask, k * size * size);
});
const t3 = performance.now();
const plain = auroc(allScores, allLabels);
const t4 = performance.now();

const pixels = count * size * size;
console.log(`metrics bench: ${count} images x ${size}x${size} = ${(pixels / 1e6).toFixed(2)} M pixels, ${types.length} defect types`);
console.log(`  fill tables (components, packing):  ${(t1 - t0).toFixed(0)} ms`);
console.log(`  sort + sweep (all scopes, all metrics): ${(t2 - t1).toFixed(0)} ms`);
console.log(`  total evaluate:                     ${(t2 - t0).toFixed(0)} ms  (${(((pixels / (t2 - t0)) * 1e3) / 1e6).toFixed(1)} M pixels/s)`);
console.log(`  plain index-sort pixel AUROC alone: ${(t4 - t3).toFixed(0)} ms  (ratio ${((t4 - t3) / (t2 - t0)).toFixed(2)}x the full evaluation)`);
console.log(`  maps themselves:                    ${mb(mapBytes)}`);
console.log(`  peak array buffers:                 ${mb(peakBuffers)} (before: ${mb(base.arrayBuffers)}; +${mb(peakBuffers - base.arrayBuffers)})`);
console.log(`  peak RSS:                           ${mb(peakRss)} (before: ${mb(base.rss)})`);
console.log(
  `  image AUROC ${result.image_auroc?.toFixed(4)}, pixel AUROC ${result.pixel_auroc?.toFixed(6)} (index sort: ${plain?.toFixed(6)}), AUPRO ${result.aupro?.toFixed(4)}`,
);
if (Math.abs((result.pixel_auroc ?? 0) - (plain ?? 0)) > 1e-12) {
  console.error('pixel AUROC differs between the two implementations');
  process.exitCode = 1;
}
