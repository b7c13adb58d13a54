// The tables of `dadfc bench`, computed from the runs' outcomes: per pipeline variant, a row per
// category (mean ± sd over its seeds) and the mean over categories; written as results.md,
// results.csv (those rows), runs.csv (every run) and results.html (all of it, linking each
// run's report). Every file is written atomically.
import { join, relative } from 'node:path';
import { escapeHtml } from '../../runtime/report/escape.ts';
import { writeFileAtomic } from '../files.ts';
import { combinationSlug } from './combinations.ts';
import type { JobOutcome } from './job.ts';
import { csvText, percent } from '../../common/format.ts';

const COLUMNS = [
  { key: 'image_auroc', label: 'image AUROC', percent: true },
  { key: 'pixel_auroc', label: 'pixel AUROC', percent: true },
  { key: 'aupro', label: 'AUPRO', percent: true },
  { key: 'train_seconds', label: 'train s', percent: false },
  { key: 'ms_per_image', label: 'ms / image', percent: false },
] as const;
type Column = (typeof COLUMNS)[number]['key'];

interface SummaryRow {
  category: string;
  runs: number;
  ok: number;
  mean: Partial<Record<Column, number>>;
  sd: Partial<Record<Column, number>>;
  errors: string[];
}

export interface VariantTable {
  variant: string;
  pipeline: string;
  combination: Record<string, string>;
  rows: SummaryRow[];
  /** The mean over the categories that have a value. */
  mean: SummaryRow;
}

const variantOf = (o: JobOutcome) =>
  Object.keys(o.job.labels.combination).length > 0 ? `${o.job.labels.pipeline},${combinationSlug(o.job.labels.combination)}` : o.job.labels.pipeline;

function metricOf(o: JobOutcome, column: Column): number | undefined {
  const r = o.result;
  if (o.status !== 'ok' || !r) return undefined;
  const v = column === 'train_seconds' ? r.trainSeconds : column === 'ms_per_image' ? r.msPerImage : r.metrics[column];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function stats(values: number[]): { mean?: number; sd?: number } {
  if (values.length === 0) return {};
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  if (values.length < 2) return { mean };
  return { mean, sd: Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1)) };
}

function summarize(category: string, values: (column: Column) => number[], runs: number, ok: number, errors: string[]): SummaryRow {
  const row: SummaryRow = { category, runs, ok, mean: {}, sd: {}, errors };
  for (const { key } of COLUMNS) {
    const s = stats(values(key));
    if (s.mean !== undefined) row.mean[key] = s.mean;
    if (s.sd !== undefined) row.sd[key] = s.sd;
  }
  return row;
}

export function benchTables(outcomes: JobOutcome[]): VariantTable[] {
  const byVariant = new Map<string, JobOutcome[]>();
  for (const o of outcomes) byVariant.set(variantOf(o), [...(byVariant.get(variantOf(o)) ?? []), o]);
  return [...byVariant].map(([variant, runs]) => {
    const categories = [...new Set(runs.map((o) => o.job.labels.category))];
    const rows = categories.map((category) => {
      const mine = runs.filter((o) => o.job.labels.category === category);
      const errors = mine.filter((o) => o.status === 'failed').map((o) => `seed ${o.job.labels.seed}: ${o.error ?? 'failed'}`);
      return summarize(category, (c) => mine.map((o) => metricOf(o, c)).filter((v) => v !== undefined), mine.length, mine.length - errors.length, errors);
    });
    const mean = summarize('mean', (c) => rows.map((r) => r.mean[c]).filter((v) => v !== undefined), rows.length, rows.filter((r) => r.ok > 0).length, []);
    mean.sd = {}; // the spread between categories says nothing about the detector's
    return { variant, pipeline: runs[0].job.labels.pipeline, combination: runs[0].job.labels.combination, rows, mean };
  });
}

/** A column's number as its cells show it: a percentage (2 decimals) or seconds/ms (1 decimal); '–' when absent. */
function columnValue(v: number | undefined, column: (typeof COLUMNS)[number]): string {
  if (column.percent) return percent(v);
  return v === undefined ? '–' : v.toFixed(1);
}

function cell(row: SummaryRow, column: (typeof COLUMNS)[number]): string {
  const m = row.mean[column.key];
  if (m === undefined) return '–';
  const sd = row.sd[column.key];
  return sd === undefined ? columnValue(m, column) : `${columnValue(m, column)} ± ${columnValue(sd, column)}`;
}

const runsCell = (row: SummaryRow, isMean: boolean) =>
  isMean ? `${row.ok} of ${row.runs} categories` : `${row.ok}/${row.runs} ok${row.errors.length > 0 ? `; failed: ${row.errors.join('; ')}` : ''}`;

const HEAD = ['category', ...COLUMNS.map((c) => c.label), 'runs'];

function tableCells(table: VariantTable): string[][] {
  return [
    ...table.rows.map((r) => [r.category, ...COLUMNS.map((c) => cell(r, c)), runsCell(r, false)]),
    ['mean', ...COLUMNS.map((c) => cell(table.mean, c)), runsCell(table.mean, true)],
  ];
}

export function benchMarkdown(tables: VariantTable[]): string {
  const md = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return (
    tables
      .map((t) => {
        const cells = tableCells(t);
        const lines = cells.map((c, i) => `| ${c.map((x, j) => (i === cells.length - 1 && j === 0 ? '**mean**' : md(x))).join(' | ')} |`);
        return [`### ${t.variant}`, '', `| ${HEAD.join(' | ')} |`, `|${HEAD.map(() => '---').join('|')}|`, ...lines].join('\n');
      })
      .join('\n\n') + '\n'
  );
}

const num = (v: number | undefined) => (v === undefined ? '' : String(v));

function benchCsv(tables: VariantTable[]): string {
  const keys = [...new Set(tables.flatMap((t) => Object.keys(t.combination)))];
  const head = ['pipeline', ...keys, 'category', 'runs', 'ok', ...COLUMNS.flatMap((c) => [c.key, `${c.key}_sd`]), 'errors'];
  const line = (t: VariantTable, r: SummaryRow) => [
    t.pipeline,
    ...keys.map((k) => t.combination[k] ?? ''),
    r.category,
    String(r.runs),
    String(r.ok),
    ...COLUMNS.flatMap((c) => [num(r.mean[c.key]), num(r.sd[c.key])]),
    r.errors.join('; '),
  ];
  return csvText([head, ...tables.flatMap((t) => [...t.rows, t.mean].map((r) => line(t, r)))]);
}

function runsCsv(outcomes: JobOutcome[]): string {
  const keys = [...new Set(outcomes.flatMap((o) => Object.keys(o.job.labels.combination)))];
  const head = ['pipeline', ...keys, 'category', 'seed', ...COLUMNS.map((c) => c.key), 'status', 'error', 'run'];
  return csvText([
    head,
    ...outcomes.map((o) => [
      o.job.labels.pipeline,
      ...keys.map((k) => o.job.labels.combination[k] ?? ''),
      o.job.labels.category,
      String(o.job.labels.seed),
      ...COLUMNS.map((c) => num(metricOf(o, c.key))),
      o.status,
      o.error ?? '',
      o.job.runDir,
    ]),
  ]);
}

function benchHtml(title: string, tables: VariantTable[], outcomes: JobOutcome[], outDir: string): string {
  const e = escapeHtml;
  const table = (head: string[], rows: string[][], lastIsMean = false) =>
    `<table><thead><tr>${head.map((h) => `<th>${e(h)}</th>`).join('')}</tr></thead><tbody>${rows
      .map(
        (r, i) =>
          `<tr${lastIsMean && i === rows.length - 1 ? ' class="mean"' : ''}>${r.map((c) => `<td${/^[\d.,–± ]+$/.test(c) ? ' class="n"' : ''}>${c}</td>`).join('')}</tr>`,
      )
      .join('')}</tbody></table>`;
  const summaries = tables
    .map(
      (t) =>
        `<h2>${e(t.variant)}</h2>${table(
          HEAD,
          tableCells(t).map((r) => r.map(e)),
          true,
        )}`,
    )
    .join('\n');
  const runRows = outcomes.map((o) => {
    const report = relative(outDir, join(o.job.runDir, 'test', 'report.html'));
    return [
      e(variantOf(o)),
      e(o.job.labels.category),
      String(o.job.labels.seed),
      ...COLUMNS.map((c) => {
        return columnValue(metricOf(o, c.key), c);
      }),
      o.status === 'ok' ? `<a href="${e(report)}">report</a>` : `failed: ${e(o.error ?? '')}`,
    ];
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${e(title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:.5em 0 2em}th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}tr.mean td{font-weight:600;background:#f4f4f4}</style>
</head><body><h1>${e(title)}</h1>
<p>AUROC and AUPRO in percent; train s: feature extraction and both stages; ms / image: testing. Where a category has several seeds, mean ± sample standard deviation over them; the mean row averages the categories' means.</p>
${summaries}
<h2>Every run</h2>${table(['pipeline', 'category', 'seed', ...COLUMNS.map((c) => c.label), 'status'], runRows)}
</body></html>
`;
}

export function writeBenchTables(outDir: string, title: string, outcomes: JobOutcome[]): { markdown: string } {
  const tables = benchTables(outcomes);
  const markdown = benchMarkdown(tables);
  writeFileAtomic(join(outDir, 'results.md'), `# ${title}\n\n${markdown}`);
  writeFileAtomic(join(outDir, 'results.csv'), benchCsv(tables));
  writeFileAtomic(join(outDir, 'runs.csv'), runsCsv(outcomes));
  writeFileAtomic(join(outDir, 'results.html'), benchHtml(title, tables, outcomes, outDir));
  return { markdown };
}
