// A printable table of a data set: images per split and defect type, and masks.
import type { Dataset, Sample } from './types.ts';

export function summarize(dataset: Dataset): string {
  const rows: string[][] = [['split', 'type', 'images', 'masks']];
  const add = (split: string, samples: Sample[]) => {
    const byType = new Map<string, Sample[]>();
    for (const s of samples) byType.set(s.defect, [...(byType.get(s.defect) ?? []), s]);
    const types = [...byType.keys()].sort((a, b) => (a === 'good' ? -1 : b === 'good' ? 1 : a.localeCompare(b)));
    for (const type of types) {
      const group = byType.get(type)!;
      rows.push([split, type, String(group.length), String(group.reduce((n, s) => n + s.maskPaths.length, 0))]);
    }
  };
  add('train', dataset.train);
  add('validation', [...dataset.validation, ...dataset.validationAnomalies]);
  add('test', dataset.test);
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((cell, c) => (c >= 2 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ');
  const out = [
    `data set ${dataset.root} (${dataset.layout} layout${dataset.hasMasks ? '' : ', no masks'})`,
    line(rows[0]),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.slice(1).map(line),
  ];
  if (dataset.skipped.length > 0) {
    out.push(`skipped ${dataset.skipped.length} unreadable file(s):`);
    for (const s of dataset.skipped) out.push(`  ${s.path}: ${s.reason}`);
  }
  return out.join('\n');
}
