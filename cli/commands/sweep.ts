// dadfc sweep FILE --over KEY=V1,V2 [--over ...] --data DIR: one run per combination (train +
// test), sharing one feature cache; a failed run is reported and the sweep goes on. Writes a
// results table as markdown and CSV.
import type { Command } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { compilePipeline, hasErrors } from '../../compiler/index.ts';
import { toDadf } from '../../compiler/print.ts';
import { UserError } from '../../grammar/errors.ts';
import { trainAndTest } from '../../runtime/inference/job.ts';
import { printDiagnostics } from '../diagnostics.ts';
import { weightsPathFor } from '../run-helpers.ts';
import { addRuntimeFlags, startRuntime, type RuntimeFlags } from '../runtime-context.ts';
import { collectSets } from './options.ts';

interface SweepFlags extends RuntimeFlags {
  data: string;
  over: string[];
  set: string[];
  out?: string;
  pipeline?: string;
}

export interface SweepRow {
  combination: Record<string, string>;
  status: 'ok' | 'failed';
  error?: string;
  run: string;
  metrics: Record<string, number | null>;
  trainSeconds: number;
  testMsPerImage: number;
}

const METRICS = ['image_auroc', 'pixel_auroc', 'aupro', 'f1_max_image', 'f1_max_pixel'] as const;

export function register(program: Command): void {
  addRuntimeFlags(
    program
      .command('sweep')
      .description('Run a pipeline once per combination of values (train + test each) and write a results table (markdown + CSV).')
      .argument('<file>', '.dadf or .yaml pipeline file')
      .requiredOption('--data <dir>', 'data set folder')
      .option('--over <key=v1,v2,...>', "values of one key (repeatable; the grid is every combination), e.g. --over 'flow.over=[prior],[prior,self]'", collectSets, [])
      .option('--set <key=value>', 'fixed override for every run (repeatable)', collectSets, [])
      .option('-o, --out <dir>', 'sweep folder (default runs/sweep-<pipeline>-<data>)')
      .option('--pipeline <name>', 'which pipeline of the file (default: the first)'),
  ).action(async (file: string, flags: SweepFlags) => {
    await sweepCommand(file, flags);
  });
}

/** Splits `a,b,[c,d],f(x, y)` at the commas that are not inside brackets, parentheses or quotes. */
export function splitValues(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let current = '';
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '[' || ch === '(' || ch === '{') depth++;
    else if (ch === ']' || ch === ')' || ch === '}') depth--;
    else if (ch === ',' && depth === 0) {
      out.push(current.trim());
      current = '';
      continue;
    }
    current += ch;
  }
  if (current.trim() !== '') out.push(current.trim());
  return out;
}

export function parseOver(over: string[]): Array<{ key: string; values: string[] }> {
  return over.map((o) => {
    const eq = o.indexOf('=');
    const key = o.slice(0, eq).trim();
    const values = eq > 0 ? splitValues(o.slice(eq + 1)) : [];
    if (eq <= 0 || values.length === 0) {
      throw new UserError(`--over expects KEY=V1,V2,..., got '${o}'`, { where: '--over', hint: "e.g. --over 'flow.over=[prior],[prior,self,memory]' --over train.batch=4,8", exitCode: 2 });
    }
    return { key, values };
  });
}

export function combinations(axes: Array<{ key: string; values: string[] }>): Array<Record<string, string>> {
  return axes.reduce<Array<Record<string, string>>>((acc, axis) => acc.flatMap((c) => axis.values.map((v) => ({ ...c, [axis.key]: v }))), [{}]);
}

const slug = (combo: Record<string, string>) =>
  Object.entries(combo)
    .map(([k, v]) => `${k.split('.').pop()}=${v.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_|_$/g, '')}`)
    .join(',') || 'base';

export async function sweepCommand(file: string, flags: SweepFlags): Promise<SweepRow[]> {
  const base = compilePipeline(file, { sets: flags.set, pipeline: flags.pipeline });
  printDiagnostics(base.diagnostics, base.texts);
  if (hasErrors(base.diagnostics) || !base.spec) throw new UserError('the pipeline has errors', { where: file, hint: `dadfc check ${file}` });
  const axes = flags.over.length > 0 ? parseOver(flags.over) : Object.entries(base.spec.sweep ?? {}).map(([key, values]) => ({ key, values: values.map(valueText) }));
  if (axes.length === 0) throw new UserError('nothing to sweep over', { where: file, hint: "give --over KEY=V1,V2 or a 'sweep { key: [v1, v2] }' block in the pipeline", exitCode: 2 });
  const combos = combinations(axes);
  // Every combination must compile before any training starts.
  const compiled = combos.map((combo) => {
    const c = compilePipeline(file, { sets: [...flags.set, ...Object.entries(combo).map(([k, v]) => `${k}=${v}`)], pipeline: flags.pipeline });
    if (hasErrors(c.diagnostics) || !c.spec) {
      printDiagnostics(c.diagnostics, c.texts);
      throw new UserError(`combination ${slug(combo)} does not check`, { where: file, hint: 'fix the values given to --over' });
    }
    return c;
  });
  const outDir = flags.out ?? join('runs', `sweep-${base.spec.name}-${basename(resolve(flags.data))}`);
  mkdirSync(outDir, { recursive: true });
  const ctx = await startRuntime(flags);
  const rows: SweepRow[] = [];
  try {
    for (let i = 0; i < combos.length; i++) {
      const combo = combos[i];
      const spec = compiled[i].spec!;
      const runDir = join(outDir, slug(combo));
      ctx.progress({ kind: 'log', level: 'info', message: `\n[${i + 1}/${combos.length}] ${Object.entries(combo).map(([k, v]) => `${k}=${v}`).join(' ')} → ${runDir}` });
      const started = performance.now();
      try {
        const { test: tested, trainSeconds } = await trainAndTest({
          spec,
          pipelineText: toDadf(spec as never),
          pipelineFile: file,
          weightsPath: weightsPathFor(compiled[i]),
          dataDir: flags.data,
          runDir,
          backendName: ctx.backend.description,
          cache: ctx.cache,
          progress: ctx.progress,
        });
        rows.push({ combination: combo, status: 'ok', run: runDir, metrics: Object.fromEntries(METRICS.map((m) => [m, tested.metrics[m]])), trainSeconds, testMsPerImage: tested.msPerImage });
      } catch (error) {
        if (!(error instanceof Error)) throw error;
        const message = error.message;
        ctx.progress({ kind: 'log', level: 'warn', message: `run ${slug(combo)} failed: ${message}; going on with the next` });
        rows.push({ combination: combo, status: 'failed', error: message, run: runDir, metrics: {}, trainSeconds: (performance.now() - started) / 1000, testMsPerImage: NaN });
      }
      writeTables(outDir, axes.map((a) => a.key), rows);
    }
  } finally {
    ctx.progress.stop();
  }
  const { markdown } = writeTables(outDir, axes.map((a) => a.key), rows);
  process.stdout.write(`\n${markdown}\nresults: ${join(outDir, 'results.md')}, ${join(outDir, 'results.csv')}\n`);
  if (rows.some((r) => r.status === 'failed')) process.exitCode = 1;
  return rows;
}

function valueText(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(valueText).join(', ')}]`;
  if (typeof v === 'string') return /^[A-Za-z_][A-Za-z0-9_]*$/.test(v) ? v : JSON.stringify(v);
  return String(v);
}

const pct = (v: number | null | undefined) => (v === null || v === undefined || Number.isNaN(v) ? '–' : (100 * v).toFixed(2));

export function writeTables(outDir: string, keys: string[], rows: SweepRow[]): { markdown: string; csv: string } {
  const head = [...keys, ...METRICS, 'train s', 'test ms/img', 'status'];
  const cells = rows.map((r) => [
    ...keys.map((k) => r.combination[k] ?? ''),
    ...METRICS.map((m) => pct(r.metrics[m])),
    r.trainSeconds.toFixed(1),
    Number.isNaN(r.testMsPerImage) ? '–' : r.testMsPerImage.toFixed(1),
    r.status === 'ok' ? 'ok' : `failed: ${r.error ?? ''}`,
  ]);
  const markdown = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...cells.map((c) => `| ${c.map((x) => x.replace(/\|/g, '\\|')).join(' | ')} |`)].join('\n') + '\n';
  const csvCell = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const csvRows = rows.map((r) => [
    ...keys.map((k) => r.combination[k] ?? ''),
    ...METRICS.map((m) => (r.metrics[m] === null || r.metrics[m] === undefined ? '' : String(r.metrics[m]))),
    r.trainSeconds.toFixed(3),
    Number.isNaN(r.testMsPerImage) ? '' : r.testMsPerImage.toFixed(3),
    r.status,
    r.error ?? '',
  ]);
  const csv = [[...keys, ...METRICS, 'train_seconds', 'test_ms_per_image', 'status', 'error'], ...csvRows].map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
  writeFileSync(join(outDir, 'results.md'), markdown);
  writeFileSync(join(outDir, 'results.csv'), csv);
  return { markdown, csv };
}
