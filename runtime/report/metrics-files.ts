// metrics.json (everything numeric the report shows, plus each image's score) and
// metrics.csv (one row per defect type and one 'overall' row; fractions, not percent).
import { csvCell, csvNumber } from '../../common/format.ts';
import { METRICS } from '../metrics/names.ts';
import type { MapRange } from './colormap.ts';
import type { ReportInput } from './types.ts';

/** Known metrics first in this order, then any others alphabetically. */
const METRIC_ORDER: readonly string[] = METRICS;

export function metricKeys(input: ReportInput): string[] {
  const keys = new Set<string>(Object.keys(input.metrics.overall));
  for (const row of Object.values(input.metrics.perType)) for (const k of Object.keys(row)) keys.add(k);
  const known = METRIC_ORDER.filter((k) => keys.has(k));
  const others = [...keys].filter((k) => !METRIC_ORDER.includes(k)).sort();
  return [...known, ...others];
}

/** JSON has no NaN/Infinity: those become null. */
function finiteOrNull(record: Record<string, number>): Record<string, number | null> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, Number.isFinite(v) ? v : null]));
}

export function metricsJson(input: ReportInput, range: MapRange): string {
  const body = {
    title: input.title,
    pipeline: input.pipeline.name,
    backbone: { label: input.backbone.label, pretrained: input.backbone.pretrained },
    dataset: input.dataset.root,
    overall: finiteOrNull(input.metrics.overall),
    perType: Object.fromEntries(Object.entries(input.metrics.perType).map(([t, m]) => [t, finiteOrNull(m)])),
    timings: finiteOrNull(input.timings),
    memory: input.memory ?? null,
    heatmapRange: range,
    decision: input.decision ?? null,
    images: input.cases.map((c) => ({ type: c.defect, id: c.id, label: c.label, score: Number.isFinite(c.score) ? c.score : null })),
  };
  return JSON.stringify(body, null, 2) + '\n';
}

export function metricsCsv(input: ReportInput): string {
  const keys = metricKeys(input);
  const row = (name: string, values: Record<string, number>) => [csvCell(name), ...keys.map((k) => csvNumber(values[k]))].join(',');
  const lines = [['type', ...keys].map(csvCell).join(',')];
  for (const type of Object.keys(input.metrics.perType).sort()) lines.push(row(type, input.metrics.perType[type]));
  lines.push(row('overall', input.metrics.overall));
  return lines.join('\n') + '\n';
}
