// Builds report.html from the input and the already-encoded images. Every value from the
// input is escaped; nothing refers outside the file (styles inline, plots inline SVG,
// images as data URIs).
import { jet, type MapRange } from './colormap.ts';
import { escapeHtml as esc } from './escape.ts';
import { metricKeys } from './metrics-files.ts';
import type { EncodedPng } from './png.ts';
import type { ShownCase } from './select.ts';
import { REPORT_CSS } from './style.ts';
import { colourBarSvg, linePlotSvg, type PlotSeries } from './svg.ts';
import type { Confusion, ReportInput } from './types.ts';
import { percent } from '../../common/format.ts';

export interface RenderedCase extends ShownCase {
  image: EncodedPng;
  mask: EncodedPng;
  overlay: EncodedPng;
  /** Path of the full-size overlay PNG, relative to report.html. */
  heatmapFile: string;
}

export interface RenderedType {
  type: string;
  total: number;
  shown: RenderedCase[];
}

export interface HtmlParts {
  input: ReportInput;
  range: MapRange;
  types: RenderedType[];
  proFprLimit: number;
  /** Worst (and best) cases shown per type: one row of worst, one of best. */
  perKind: number;
}

const METRIC_LABELS: Record<string, string> = {
  image_auroc: 'Image AUROC',
  pixel_auroc: 'Pixel AUROC',
  aupro: 'AUPRO',
  f1_max_image: 'Image F1-max',
  f1_max_pixel: 'Pixel F1-max',
};

function metricLabel(key: string): string {
  return METRIC_LABELS[key] ?? key.replace(/_/g, ' ');
}

/** A fraction as a percentage with one decimal; '—' when absent or not finite. */
const pct = (v: number | undefined) => percent(v, 1, '—');

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '—';
  if (s < 1) return `${(s * 1000).toFixed(0)} ms`;
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  const minutes = Math.floor(s / 60);
  return `${minutes} min ${String(Math.round(s - minutes * 60)).padStart(2, '0')} s`;
}

function formatScore(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(3) : v.toPrecision(4);
}

function header(input: ReportInput, sections: Array<[string, string]>): string {
  const kpis = ['image_auroc', 'pixel_auroc', 'aupro']
    .filter((k) => k in input.metrics.overall)
    .map((k) => `<div class="kpi"><div class="v">${pct(input.metrics.overall[k])}</div><div class="k">${esc(metricLabel(k))} %</div></div>`)
    .join('');
  const generated = input.generatedAt ? ` · ${esc(input.generatedAt)}` : '';
  return `<header class="top" id="summary"><div class="wrap">
<h1>${esc(input.title)}</h1>
<div class="sub">pipeline <code>${esc(input.pipeline.name)}</code> · backbone <code>${esc(input.backbone.label)}</code> (${
    input.backbone.pretrained ? 'pretrained' : 'random weights'
  }) · data <code>${esc(input.dataset.root)}</code>${generated}</div>
${kpis ? `<div class="kpis">${kpis}</div>` : ''}
<nav class="toc">${sections.map(([id, name]) => `<a href="#${id}">${esc(name)}</a>`).join('')}</nav>
</div></header>`;
}

function warningBanner(input: ReportInput): string {
  if (input.backbone.pretrained) return '';
  const hint = input.backbone.hint ?? "Point the pipeline's backbone weights at a pretrained checkpoint and run again.";
  return `<div class="banner" id="backbone-warning" role="alert"><strong>⚠ Random backbone: these results are not representative</strong>
The backbone <code>${esc(input.backbone.label)}</code> has randomly initialised weights, not pretrained ones. Random features are far weaker,
so every score in this report is much lower than the same pipeline gives with pretrained weights. ${esc(hint)}</div>`;
}

function metricsSection(input: ReportInput, counts: Map<string, number>): string {
  const keys = metricKeys(input);
  const head = `<tr><th>Type</th><th class="num">Images</th>${keys.map((k) => `<th class="num">${esc(metricLabel(k))}</th>`).join('')}</tr>`;
  const cell = (v: number | undefined) => {
    const text = pct(v);
    return `<td class="num${text === '—' ? ' na' : ''}">${text}</td>`;
  };
  const rows = Object.keys(input.metrics.perType)
    .sort()
    .map(
      (type) =>
        `<tr><td>${esc(type)}</td><td class="num">${counts.get(type) ?? '—'}</td>${keys.map((k) => cell(input.metrics.perType[type][k])).join('')}</tr>`,
    )
    .join('\n');
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const overall = `<tr class="overall"><td>overall</td><td class="num">${total || '—'}</td>${keys.map((k) => cell(input.metrics.overall[k])).join('')}</tr>`;
  return `<section id="metrics"><h2>Metrics</h2>
<p class="note">All values in percent. AUPRO integrates the per-region overlap up to a false positive rate of 0.3. F1-max is the best F1 over all thresholds.</p>
<table><thead>${head}</thead><tbody>
${rows}
${overall}
</tbody></table></section>`;
}

function decisionSection(input: ReportInput): string {
  const d = input.decision;
  if (!d) return '';
  const rate = (a: number, b: number) => (a + b > 0 ? pct(a / (a + b)) : '—');
  const row = (name: string, t: { threshold: number; source: string; confusion: Confusion | null }) => {
    const c = t.confusion;
    const counts = c
      ? `<td class="num">${c.tp}</td><td class="num">${c.fp}</td><td class="num">${c.tn}</td><td class="num">${c.fn}</td><td class="num">${rate(c.tp + c.tn, c.fp + c.fn)}</td>`
      : '<td class="num na" colspan="5">no masks</td>';
    return `<tr><td>${name}</td><td class="num">${esc(formatScore(t.threshold))}</td><td>${esc(t.source)}</td>${counts}</tr>`;
  };
  return `<section id="decision"><h2>Threshold</h2>
<p class="note">Defective when the raw score is at or above the threshold. Thresholds come from the validation split only; the counts below are what they give on the test split and were not used to choose them.</p>
<table><thead><tr><th>Level</th><th class="num">Threshold</th><th>Chosen by</th><th class="num">TP</th><th class="num">FP</th><th class="num">TN</th><th class="num">FN</th><th class="num">Accuracy</th></tr></thead><tbody>
${row('image', d.image)}
${row('pixel', d.pixel)}
</tbody></table></section>`;
}

function curvesSection(input: ReportInput, proFprLimit: number): string {
  const { roc, pixelRoc, pro } = input.curves;
  const overall = input.metrics.overall;
  const rocSeries: PlotSeries[] = [];
  const withValue = (name: string, key: string) => (Number.isFinite(overall[key]) ? `${name} (${pct(overall[key])})` : name);
  if (roc?.length) rocSeries.push({ name: withValue('image', 'image_auroc'), colour: '#2f6fde', points: roc.map((p) => [p.fpr, p.tpr]) });
  if (pixelRoc?.length) rocSeries.push({ name: withValue('pixel', 'pixel_auroc'), colour: '#e8590c', points: pixelRoc.map((p) => [p.fpr, p.tpr]) });
  const rocFigure = rocSeries.length
    ? linePlotSvg({ title: 'ROC curves', xLabel: 'false positive rate', yLabel: 'true positive rate', xMax: 1, yMax: 1, series: rocSeries, diagonal: true })
    : '<div class="missing">No ROC curve was computed.</div>';
  const proFigure = pro?.length
    ? linePlotSvg({
        title: 'PRO curve',
        xLabel: `false positive rate (up to ${proFprLimit})`,
        yLabel: 'per-region overlap',
        xMax: proFprLimit,
        yMax: 1,
        series: [{ name: withValue('PRO', 'aupro'), colour: '#7048e8', points: pro.map((p) => [p.fpr, p.pro]) }],
      })
    : '<div class="missing">No PRO curve was computed (it needs ground-truth masks).</div>';
  return `<section id="curves"><h2>Curves</h2><div class="plots">
<figure><figcaption>ROC (image and pixel level)</figcaption>${rocFigure}</figure>
<figure><figcaption>PRO (per-region overlap)</figcaption>${proFigure}</figure>
</div></section>`;
}

function caseCard(c: RenderedCase): string {
  const img = (png: EncodedPng, alt: string) => `<img src="${png.dataUri}" width="${png.width}" height="${png.height}" alt="${esc(alt)}">`;
  const name = `${c.item.defect}/${c.item.id}`;
  return `<div class="case"><div class="head"><span class="id"><span class="tag ${c.kind}">${c.kind}</span>${esc(name)}</span><span class="score">score ${esc(
    formatScore(c.item.score),
  )}</span></div>
<div class="triple"><figure>${img(c.image, `${name} image`)}<figcaption>image</figcaption></figure><figure>${img(
    c.mask,
    `${name} ground truth`,
  )}<figcaption>ground truth</figcaption></figure><figure><a href="${esc(c.heatmapFile)}">${img(c.overlay, `${name} heatmap`)}</a><figcaption>heatmap</figcaption></figure></div></div>`;
}

function casesSection(parts: HtmlParts): string {
  const { range, types, input } = parts;
  const stops = Array.from({ length: 9 }, (_, i) => `rgb(${jet(i / 8).join(',')})`);
  const scale = colourBarSvg(stops, `min ${formatScore(range.min)}`, `max ${formatScore(range.max)}`);
  const groups = types
    .map(
      (t) => `<h3>${esc(t.type)} <span class="count">· ${t.total} image${t.total === 1 ? '' : 's'}, ${t.shown.length} shown</span></h3>
<div class="cases" style="--per-row:${Math.max(1, parts.perKind)}">${t.shown.map(caseCard).join('\n')}</div>`,
    )
    .join('\n');
  return `<section id="cases"><h2>Worst and best cases</h2>
<p class="note">Per type: <b>worst</b> = the lowest-scored anomalous images (or the highest-scored good ones), <b>best</b> = the opposite.
Heatmaps are normalised for display with one global minimum and maximum over all ${input.cases.length} test images' raw anomaly maps,
so colours compare across images; they are drawn over the image at partial opacity. Full-size overlays are in <code>heatmaps/</code>.</p>
<div class="scale">${scale}</div>
${groups || '<div class="missing">No test images.</div>'}
</section>`;
}

function timingsSection(input: ReportInput): string {
  const entries = Object.entries(input.timings);
  const longest = Math.max(0, ...entries.map(([, s]) => (Number.isFinite(s) ? s : 0)));
  const rows = entries
    .map(([stage, s]) => {
      const width = longest > 0 && Number.isFinite(s) ? Math.max(0.2, (100 * s) / longest) : 0;
      return `<tr><td>${esc(stage)}</td><td class="num">${formatSeconds(s)}</td><td class="bar-cell"><div class="bar" style="width:${width.toFixed(1)}%"></div></td></tr>`;
    })
    .join('\n');
  return `<section id="timings"><h2>Timings</h2>${
    rows
      ? `<table class="timings"><thead><tr><th>Stage</th><th class="num">Time</th><th></th></tr></thead><tbody>${rows}</tbody></table>`
      : '<div class="missing">No timings recorded.</div>'
  }${memoryLine(input)}</section>`;
}

function memoryLine(input: ReportInput): string {
  const m = input.memory;
  if (!m) return '';
  const train = m.trainPeakRssMiB !== undefined ? `training ${m.trainPeakRssMiB.toFixed(0)} MiB, ` : '';
  return `<p class="memory">Peak resident memory of the process: ${train}testing ${m.testPeakRssMiB.toFixed(0)} MiB.</p>`;
}

function pipelineSection(input: ReportInput): string {
  const file = input.pipeline.file ? ` from <code>${esc(input.pipeline.file)}</code>` : '';
  return `<section id="pipeline"><h2>Pipeline</h2>
<p>Pipeline <code>${esc(input.pipeline.name)}</code>${file}, fully resolved (inheritance, defaults and overrides applied):</p>
<pre>${esc(input.pipeline.resolvedConfigText)}</pre></section>`;
}

function backboneSection(input: ReportInput): string {
  const badge = input.backbone.pretrained ? '<span class="badge yes">pretrained</span>' : '<span class="badge no">random weights (not pretrained)</span>';
  return `<section id="backbone"><h2>Backbone</h2><table class="kv"><tbody>
<tr><th>Backbone</th><td><code>${esc(input.backbone.label)}</code></td></tr>
<tr><th>Weights</th><td>${badge}</td></tr>
</tbody></table></section>`;
}

function datasetSection(input: ReportInput): string {
  const { summary } = input.dataset;
  const body =
    typeof summary === 'string'
      ? `<p>${esc(summary)}</p>`
      : `<table class="kv"><tbody>${Object.entries(summary)
          .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(String(v))}</td></tr>`)
          .join('')}</tbody></table>`;
  return `<section id="dataset"><h2>Data</h2><p>Root: <code>${esc(input.dataset.root)}</code></p>${body}</section>`;
}

function notesSection(input: ReportInput): string {
  if (!input.notes?.length) return '';
  return `<section id="notes"><h2>Notes</h2><ul>${input.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul></section>`;
}

export function buildHtml(parts: HtmlParts): string {
  const { input } = parts;
  const counts = new Map<string, number>();
  for (const c of input.cases) counts.set(c.defect, (counts.get(c.defect) ?? 0) + 1);
  const sections: Array<[string, string]> = [
    ['metrics', 'Metrics'],
    ...(input.decision ? ([['decision', 'Threshold']] as Array<[string, string]>) : []),
    ['curves', 'Curves'],
    ['cases', 'Cases'],
    ['timings', 'Timings'],
    ['pipeline', 'Pipeline'],
    ['backbone', 'Backbone'],
    ['dataset', 'Data'],
  ];
  if (input.notes?.length) sections.push(['notes', 'Notes']);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(input.title)}</title>
<style>${REPORT_CSS}</style></head>
<body>
${header(input, sections)}
<main class="wrap">
${warningBanner(input)}
${metricsSection(input, counts)}
${decisionSection(input)}
${curvesSection(input, parts.proFprLimit)}
${casesSection(parts)}
${timingsSection(input)}
${pipelineSection(input)}
<div class="two-col">
${backboneSection(input)}
${datasetSection(input)}
</div>
${notesSection(input)}
</main>
<footer>Written by dadfc. This file is self-contained: it needs no network to view.</footer>
</body></html>
`;
}
