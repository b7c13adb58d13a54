// Markdown tables for docs/results.md from finished runs: one summary row per run, the mean ±
// standard deviation over runs (seeds), and a per-defect-type table per run. Every number is
// read from the runs' own run.json and test metrics.json; nothing is typed in by hand.
//
//   node --import tsx scripts/results.ts RUN [RUN ...] [--test DIR] [--per-type]
//     --test DIR   the test folder inside each run (default: test); RUN@DIR picks one run's
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { percent } from '../common/format.ts';
import { METRICS } from '../runtime/metrics/names.ts';

export interface RunResult {
  run: string;
  seed: number;
  over: string;
  overall: Record<string, number | null>;
  perType: Record<string, Record<string, number | null>>;
  images: Record<string, number>;
  trainSeconds: number;
  msPerImage: number | null;
  peakRssMiB: number | null;
}

const HEADS = ['image AUROC', 'pixel AUROC', 'AUPRO', 'F1 image', 'F1 pixel'];

export function readRunResult(run: string, testDir = 'test'): RunResult {
  const meta = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8'));
  const spec = JSON.parse(readFileSync(join(run, 'spec.json'), 'utf8'));
  const metricsFile = join(run, testDir, 'metrics.json');
  if (!existsSync(metricsFile)) throw new Error(`${metricsFile} is missing: test the run first (dadfc test ${run})`);
  const m = JSON.parse(readFileSync(metricsFile, 'utf8'));
  const images: Record<string, number> = {};
  for (const image of m.images as { type: string }[]) images[image.type] = (images[image.type] ?? 0) + 1;
  const timings = meta.timings as Record<string, number>;
  const memory = m.memory as { trainPeakRssMiB?: number; testPeakRssMiB?: number } | null;
  const peaks = [meta.peakRssMiB, memory?.trainPeakRssMiB, memory?.testPeakRssMiB].filter((v): v is number => typeof v === 'number');
  return {
    // A run scored another way (dadfc test --set score.…) is named with its test folder.
    run: testDir === 'test' ? run : `${run}@${testDir}`,
    seed: meta.seed,
    over: scoredLabel(spec),
    overall: m.overall,
    perType: m.perType,
    images,
    trainSeconds: (timings.features ?? 0) + (timings.reconstruct ?? 0) + (timings.flow ?? 0) + (timings.heads ?? 0),
    msPerImage: msPerImage(m.timings),
    peakRssMiB: peaks.length ? Math.max(...peaks) : null,
  };
}

/** What the map comes from: the flows' input (`[prior, self]`), or the scored heads (`flow[prior, self] + gaussian`). */
function scoredLabel(spec: { flow: { over: string[] }; score?: { heads?: string[] } }): string {
  const over = `[${spec.flow.over.join(', ')}]`;
  const heads = spec.score?.heads;
  return heads ? heads.map((h) => (h === 'flow' ? `flow${over}` : h)).join(' + ') : over;
}

/** metrics.json keeps timings in seconds (runs tested before the key was renamed call it 'ms per image (test)'); this is ms. */
function msPerImage(timings: Record<string, number> | undefined): number | null {
  const seconds = timings?.['seconds per image (test)'] ?? timings?.['ms per image (test)'];
  return typeof seconds === 'number' ? 1000 * seconds : null;
}

/** Mean and sample standard deviation (n − 1) of the finite values. */
export function meanAndSpread(values: number[]): { mean: number; std: number; n: number } {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, n };
}

export function summaryTable(results: RunResult[]): string {
  const head = ['run', 'seed', 'flow input / heads', ...HEADS, 'train s', 'test ms/img', 'peak RSS MiB'];
  const rows = results.map((r) => [
    r.run.split('/').filter(Boolean).pop() ?? r.run,
    String(r.seed),
    `\`${r.over}\``,
    ...METRICS.map((k) => percent(r.overall[k])),
    r.trainSeconds.toFixed(0),
    r.msPerImage === null ? '–' : r.msPerImage.toFixed(1),
    r.peakRssMiB === null ? '–' : r.peakRssMiB.toFixed(0),
  ]);
  return table(head, rows);
}

export function spreadRow(results: RunResult[]): string {
  const cells = METRICS.map((k) => {
    const values = results.map((r) => r.overall[k]).filter((v): v is number => typeof v === 'number');
    const { mean, std } = meanAndSpread(values.map((v) => 100 * v));
    return `${mean.toFixed(2)} ± ${std.toFixed(2)}`;
  });
  return table(['runs', ...HEADS], [[`mean ± std of ${results.length} (seeds ${results.map((r) => r.seed).join(', ')})`, ...cells]]);
}

export function perTypeTable(r: RunResult): string {
  const types = Object.keys(r.perType).sort();
  const rows = types.map((t) => [t, String(r.images[t] ?? ''), ...METRICS.map((k) => percent(r.perType[t][k]))]);
  rows.push(['**overall**', String(Object.values(r.images).reduce((a, b) => a + b, 0)), ...METRICS.map((k) => `**${percent(r.overall[k])}**`)]);
  // Each type is scored together with the good test images; 'images' counts the type's own.
  return table(['defect type', 'images', ...HEADS], rows);
}

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { test: { type: 'string', default: 'test' }, 'per-type': { type: 'boolean', default: false } },
  });
  if (positionals.length === 0) {
    console.error('usage: node --import tsx scripts/results.ts RUN [RUN ...] [--test DIR] [--per-type]');
    process.exit(2);
  }
  const results = positionals.map((arg) => {
    const [run, testDir] = arg.split('@');
    return readRunResult(run, testDir ?? values.test);
  });
  console.log(summaryTable(results) + '\n');
  // A spread is over seeds of one configuration, not across different flow inputs.
  if (results.length > 1 && new Set(results.map((r) => r.over)).size === 1) console.log(spreadRow(results) + '\n');
  if (values['per-type']) for (const r of results) console.log(`${r.run}\n\n${perTypeTable(r)}\n`);
}
