import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { writeReport, type ReportInput } from '../../runtime/report/index.ts';
import { selectCases } from '../../runtime/report/select.ts';
import { sampleReportInput } from './sample-input.ts';

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'dadf-report-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function report(t: { after: (fn: () => Promise<void>) => void }, input: ReportInput) {
  const dir = await tempDir(t);
  const files = await writeReport(dir, input);
  return { dir, files, html: await readFile(files.html, 'utf8') };
}

test('the report has every section, with its heading', async (t) => {
  const { html, files, dir } = await report(t, sampleReportInput());
  assert.equal(files.html, path.join(dir, 'report.html'));
  for (const [id, heading] of [
    ['metrics', 'Metrics'],
    ['curves', 'Curves'],
    ['cases', 'Worst and best cases'],
    ['timings', 'Timings'],
    ['pipeline', 'Pipeline'],
    ['backbone', 'Backbone'],
    ['dataset', 'Data'],
    ['notes', 'Notes'],
  ]) {
    assert.match(html, new RegExp(`<section id="${id}"><h2>${heading}</h2>`), `section ${id}`);
  }
  assert.match(html, /<header class="top" id="summary">/);
  // Resolved pipeline text, escaped, and backbone label.
  assert.ok(html.includes('flow { over: [prior, self, memory], steps: 2, clamp: 2.0 }'));
  assert.ok(html.includes('mobilenet_v1 (alpha 0.25)'));
  // Two SVG plots with axes labels.
  assert.equal(html.match(/<svg class="plot"/g)?.length, 2);
  assert.ok(html.includes('false positive rate'));
  assert.ok(html.includes('per-region overlap'));
  // Timings, formatted.
  assert.ok(html.includes('feature extraction') && html.includes('1 min 16 s') && html.includes('420 ms'));
  // Display normalisation is stated, with the range.
  assert.match(html, /one\s+global minimum and maximum/);
});

test('metrics are shown in percent, per type and overall', async (t) => {
  const input = sampleReportInput();
  const { html } = await report(t, input);
  const metrics = html.slice(html.indexOf('<section id="metrics">'), html.indexOf('<section id="curves">'));
  assert.ok(metrics.includes('<td class="num">87.3</td>'), 'overall image AUROC 0.8734 → 87.3');
  assert.ok(metrics.includes('<td class="num">45.7</td>'), 'overall pixel F1 0.4567 → 45.7');
  for (const type of Object.keys(input.metrics.perType)) assert.ok(metrics.includes(`<td>${type}</td>`), type);
  assert.ok(metrics.includes('<tr class="overall">'));
});

test('the report is self-contained: no network URLs, every src is a data URI', async (t) => {
  const { html } = await report(t, sampleReportInput());
  assert.ok(!/https?:\/\//i.test(html), 'no http(s) URL anywhere');
  assert.ok(!/<script/i.test(html), 'no scripts');
  assert.ok(!/<link\b/i.test(html), 'no linked stylesheets');
  const srcs = [...html.matchAll(/\bsrc\s*=\s*"([^"]*)"/gi)].map((m) => m[1]);
  assert.ok(srcs.length > 0);
  for (const src of srcs) assert.ok(src.startsWith('data:image/png;base64,'), `src ${src.slice(0, 40)}`);
  for (const m of html.matchAll(/url\(([^)]*)\)/g)) assert.ok(m[1].startsWith('#'), `css url(${m[1]}) must be local`);
});

test('every embedded PNG decodes to the size its tag declares', async (t) => {
  const input = sampleReportInput({ size: 64 });
  const { html } = await report(t, input);
  const tags = [...html.matchAll(/<img src="data:image\/png;base64,([^"]+)" width="(\d+)" height="(\d+)"/g)];
  // 3 types × (2 worst + 2 best) of 3 defects each → 3 + 3 shown; good: 4 shown. Three images per case.
  const shown = 3 * 3 + 4;
  assert.equal(tags.length, shown * 3);
  for (const [, base64, width, height] of tags) {
    const meta = await sharp(Buffer.from(base64, 'base64')).metadata();
    assert.equal(meta.format, 'png');
    assert.equal(meta.width, Number(width));
    assert.equal(meta.height, Number(height));
    assert.equal(meta.width, 64);
  }
});

test('large images are scaled down for embedding, full size in heatmaps/', async (t) => {
  const input = sampleReportInput({ size: 96, defects: ['scratch'], perDefect: 1, goodCount: 1 });
  const dir = await tempDir(t);
  const files = await writeReport(dir, input, { maxThumbnail: 48 });
  const html = await readFile(files.html, 'utf8');
  const sizes = [...html.matchAll(/<img [^>]*width="(\d+)" height="(\d+)"/g)].map((m) => `${m[1]}x${m[2]}`);
  assert.ok(sizes.length === 6 && sizes.every((s) => s === '48x48'), sizes.join(' '));
  const meta = await sharp(files.heatmaps[0]).metadata();
  assert.equal(meta.width, 96);
});

test('one heatmap overlay PNG per case, under heatmaps/<type>/', async (t) => {
  const input = sampleReportInput({ size: 64 });
  const { dir, files } = await report(t, input);
  assert.equal(files.heatmaps.length, input.cases.length);
  assert.deepEqual((await readdir(path.join(dir, 'heatmaps'))).sort(), ['crack', 'good', 'scratch', 'spot']);
  assert.deepEqual((await readdir(path.join(dir, 'heatmaps', 'scratch'))).sort(), ['000.png', '001.png', '002.png']);
  // The hottest pixel of all maps is drawn in the top colour of the scale (red over the image).
  let best = { value: -Infinity, caseIndex: 0, pixel: 0 };
  input.cases.forEach((c, caseIndex) => c.map.forEach((value, pixel) => value > best.value && (best = { value, caseIndex, pixel })));
  const { data, info } = await sharp(files.heatmaps[best.caseIndex]).raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.width, 64);
  assert.equal(info.height, 64);
  const image = input.cases[best.caseIndex].image.data;
  const p = best.pixel * info.channels;
  // jet(1) = (128, 0, 0) blended at 0.5 over the image.
  assert.equal(data[p], Math.round(image[3 * best.pixel] * 0.5 + 128 * 0.5));
  assert.equal(data[p + 1], Math.round(image[3 * best.pixel + 1] * 0.5));
});

test('peak memory figures reach metrics.json and the timings section', async (t) => {
  const input = { ...sampleReportInput(), memory: { trainPeakRssMiB: 1234.4, testPeakRssMiB: 1500.6 } };
  const { files, html } = await report(t, input);
  const json = JSON.parse(await readFile(files.metricsJson, 'utf8'));
  assert.deepEqual(json.memory, input.memory);
  assert.match(html, /Peak resident memory of the process: training 1234 MiB, testing 1501 MiB/);
});

test('metrics.json and metrics.csv hold the numbers given', async (t) => {
  const input = sampleReportInput();
  const { files } = await report(t, input);
  const json = JSON.parse(await readFile(files.metricsJson, 'utf8'));
  assert.deepEqual(json.overall, input.metrics.overall);
  assert.deepEqual(json.perType, input.metrics.perType);
  assert.deepEqual(json.timings, input.timings);
  assert.equal(json.memory, null, 'no memory figures given, none invented');
  assert.equal(json.backbone.pretrained, false);
  assert.equal(json.images.length, input.cases.length);
  assert.equal(json.images[0].score, input.cases[0].score);

  const lines = (await readFile(files.metricsCsv, 'utf8')).trim().split('\n');
  const header = lines[0].split(',');
  assert.deepEqual(header, ['type', 'image_auroc', 'pixel_auroc', 'aupro', 'f1_max_image', 'f1_max_pixel']);
  const rows = new Map(lines.slice(1).map((l) => [l.split(',')[0], l.split(',').slice(1).map(Number)]));
  assert.deepEqual([...rows.keys()], [...Object.keys(input.metrics.perType).sort(), 'overall']);
  for (const [type, values] of rows) {
    const expected = type === 'overall' ? input.metrics.overall : input.metrics.perType[type];
    header.slice(1).forEach((key, i) => assert.equal(values[i], expected[key], `${type}.${key}`));
  }
});

test('missing or NaN metrics show a dash in the page, null in JSON and empty in CSV', async (t) => {
  const input = sampleReportInput();
  input.metrics.overall.aupro = Number.NaN;
  const { html, files } = await report(t, input);
  assert.ok(html.includes('<td class="num na">—</td>'));
  assert.equal(JSON.parse(await readFile(files.metricsJson, 'utf8')).overall.aupro, null);
  const overall = (await readFile(files.metricsCsv, 'utf8')).trim().split('\n').at(-1)!.split(',');
  assert.equal(overall[3], '');
});

test('a random backbone shows the warning banner; a pretrained one does not', async (t) => {
  const random = await report(t, sampleReportInput({ pretrained: false }));
  assert.match(random.html, /<div class="banner" id="backbone-warning"/);
  assert.match(random.html, /Random backbone/);
  const pretrained = await report(t, sampleReportInput({ pretrained: true }));
  assert.ok(!pretrained.html.includes('backbone-warning'));
  assert.ok(!/Random backbone/.test(pretrained.html));
  assert.match(pretrained.html, /<span class="badge yes">pretrained<\/span>/);
});

test('text from the input is escaped', async (t) => {
  const input = sampleReportInput();
  input.title = 'a <script>alert(1)</script> & "b"';
  input.pipeline.resolvedConfigText = 'x: "<img src=x>"';
  const { html } = await report(t, input);
  assert.ok(!html.includes('<script>'));
  assert.ok(html.includes('a &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;b&quot;'));
  assert.ok(html.includes('&lt;img src=x&gt;'));
});

test('worst and best cases: anomalous worst = lowest score, good worst = highest score', () => {
  const input = sampleReportInput({ perDefect: 5, goodCount: 5 });
  const scratch = input.cases
    .filter((c) => c.defect === 'scratch')
    .map((c) => c.score)
    .sort((a, b) => a - b);
  const picked = selectCases(input.cases, 'scratch', 2);
  assert.deepEqual(
    picked.map((p) => p.kind),
    ['worst', 'worst', 'best', 'best'],
  );
  assert.deepEqual(
    picked.map((p) => p.item.score),
    [scratch[0], scratch[1], scratch[4], scratch[3]],
  );
  const good = input.cases
    .filter((c) => c.defect === 'good')
    .map((c) => c.score)
    .sort((a, b) => b - a);
  assert.deepEqual(
    selectCases(input.cases, 'good', 1).map((p) => p.item.score),
    [good[0], good[4]],
  );
  // Fewer cases than asked: each shown once.
  assert.equal(selectCases(input.cases.filter((c) => c.defect === 'good').slice(0, 3), 'good', 2).length, 3);
});

test('long pixel curves are thinned to what the plot can show', async (t) => {
  const input = sampleReportInput();
  input.curves.pixelRoc = Array.from({ length: 200_001 }, (_, i) => ({ fpr: i / 200_000, tpr: Math.sqrt(i / 200_000) }));
  const { html } = await report(t, input);
  assert.ok(html.length < 2_000_000, `report is ${html.length} bytes`);
  const paths = [...html.matchAll(/<path d="([^"]*)"/g)].map((m) => m[1].split(/[ML]/).length);
  assert.ok(Math.max(...paths) < 2000, `longest path has ${Math.max(...paths)} points`);
});

test('inconsistent case sizes are refused with a clear message', async (t) => {
  const input = sampleReportInput();
  input.cases[0].map = new Float32Array(10);
  await assert.rejects(writeReport(await tempDir(t), input), /anomaly map has 10 values/);
});

test('non-square images keep their aspect ratio in thumbnails and files', async (t) => {
  const width = 120;
  const height = 48;
  const image = new Uint8Array(width * height * 3).fill(90);
  const map = new Float32Array(width * height).map((_, i) => i % width);
  const mask = new Uint8Array(width * height).map((_, i) => (i % width > 100 ? 1 : 0));
  const input = sampleReportInput({ defects: [], goodCount: 0 });
  input.cases = [{ id: 'wide', defect: 'dent', label: 1, score: 1, image: { data: image, width, height }, mask, map }];
  input.metrics.perType = { dent: { image_auroc: 1 } };
  const dir = await tempDir(t);
  const files = await writeReport(dir, input, { maxThumbnail: 60 });
  const html = await readFile(files.html, 'utf8');
  const sizes = [...html.matchAll(/<img [^>]*width="(\d+)" height="(\d+)"/g)].map((m) => `${m[1]}x${m[2]}`);
  assert.deepEqual(sizes, ['60x24', '60x24', '60x24']);
  const meta = await sharp(path.join(dir, 'heatmaps', 'dent', 'wide.png')).metadata();
  assert.deepEqual([meta.width, meta.height], [120, 48]);
});
