// scripts/results.ts turns finished runs into the tables of docs/results.md: the numbers must be
// the runs' own, and the spread must be the sample standard deviation over seeds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { meanAndSpread, perTypeTable, readRunResult, spreadRow, summaryTable } from '../../scripts/results.ts';
import { tempDir } from '../compiler/helpers.ts';

function fakeRun(seed: number, imageAuroc: number): string {
  const dir = join(tempDir(), `run-${seed}`);
  mkdirSync(join(dir, 'test'), { recursive: true });
  writeFileSync(join(dir, 'run.json'), JSON.stringify({ seed, timings: { features: 1, reconstruct: 100, flow: 200 }, peakRssMiB: 900 }));
  writeFileSync(join(dir, 'spec.json'), JSON.stringify({ flow: { over: ['prior', 'self'] } }));
  const overall = { image_auroc: imageAuroc, pixel_auroc: 0.9, aupro: 0.8, f1_max_image: 0.95, f1_max_pixel: 0.5 };
  writeFileSync(
    join(dir, 'test', 'metrics.json'),
    JSON.stringify({
      overall,
      perType: { crack: overall, good: { ...overall, pixel_auroc: null, aupro: null } },
      timings: { 'seconds per image (test)': 0.05 },
      memory: { trainPeakRssMiB: 1000, testPeakRssMiB: 1100 },
      images: [{ type: 'crack' }, { type: 'crack' }, { type: 'good' }],
    }),
  );
  return dir;
}

test('a run is read from its own files', () => {
  const r = readRunResult(fakeRun(3, 0.975));
  assert.equal(r.seed, 3);
  assert.equal(r.over, '[prior, self]');
  assert.equal(r.trainSeconds, 301);
  assert.equal(r.msPerImage, 50);
  assert.equal(r.peakRssMiB, 1100);
  assert.deepEqual(r.images, { crack: 2, good: 1 });
  assert.match(summaryTable([r]), /\| run-3 \| 3 \| `\[prior, self\]` \| 97\.50 \| 90\.00 \| 80\.00 \| 95\.00 \| 50\.00 \| 301 \| 50\.0 \| 1100 \|/);
  assert.match(perTypeTable(r), /\| good \| 1 \| 97\.50 \| – \| – \|/);
  assert.match(perTypeTable(r), /\| \*\*overall\*\* \| 3 \| \*\*97\.50\*\* \|/);
});

test('runs that score heads: the heads named, their fitting time counted as training', () => {
  const dir = fakeRun(0, 0.99);
  writeFileSync(join(dir, 'spec.json'), JSON.stringify({ flow: { over: ['prior'] }, score: { heads: ['flow', 'gaussian'] } }));
  writeFileSync(join(dir, 'run.json'), JSON.stringify({ seed: 0, timings: { features: 1, reconstruct: 10, flow: 20, heads: 4 } }));
  const r = readRunResult(dir);
  assert.equal(r.over, 'flow[prior] + gaussian');
  assert.equal(r.trainSeconds, 35);
});

test('the spread over seeds is the sample standard deviation', () => {
  assert.deepEqual(meanAndSpread([1, 2, 3]), { mean: 2, std: 1, n: 3 });
  assert.equal(meanAndSpread([5]).std, 0);
  const row = spreadRow([fakeRun(0, 0.97), fakeRun(1, 0.98), fakeRun(2, 0.99)].map((d) => readRunResult(d)));
  assert.match(row, /seeds 0, 1, 2/);
  assert.match(row, /\| mean ± std of 3 \(seeds 0, 1, 2\) \| 98\.00 ± 1\.00 \| 90\.00 ± 0\.00 \|/);
});

test('a run that was not tested is a clear error', () => {
  const dir = join(tempDir(), 'untested');
  mkdirSync(dir);
  writeFileSync(join(dir, 'run.json'), '{"seed":0,"timings":{}}');
  writeFileSync(join(dir, 'spec.json'), '{"flow":{"over":["prior"]}}');
  assert.throws(() => readRunResult(dir), /metrics.json is missing: test the run first/);
});
