// dadfc sweep FILE --over KEY=V1,V2 [--over ...] --data DIR: one run per combination (train +
// test); a failed run is reported and the sweep goes on. Runs here one at a time, in --jobs N
// local processes or on a --queue (cli/batch/). Writes a results table as markdown and CSV.
import type { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { compilePipeline, hasErrors } from '../../compiler/index.ts';
import { UserError } from '../../common/errors.ts';
import { printDiagnostics } from '../diagnostics.ts';
import { writeFileAtomic } from '../files.ts';
import { createProgress } from '../progress.ts';
import { addRuntimeFlags } from '../runtime-context.ts';
import { BATCH_OPTIONS, jobCount, runBatch, type BatchFlags } from '../batch/batch.ts';
import { combinationSlug, combinations, parseOver } from '../batch/combinations.ts';
import { jobId, type JobOutcome, type RunJob } from '../batch/job.ts';
import { METRICS } from '../../runtime/metrics/names.ts';
import { csvNumber, csvText, percent } from '../../common/format.ts';
import { progressReport } from '../batch/report.ts';
import { collectSets } from './options.ts';
import { lockRunDir } from '../../runtime/run/lock.ts';

export { combinations, parseOver, splitValues } from '../batch/combinations.ts';

interface SweepFlags extends BatchFlags {
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

export function register(program: Command): void {
  const cmd = program
    .command('sweep')
    .description('Run a pipeline once per combination of values (train + test each) and write a results table (markdown + CSV).')
    .argument('<file>', '.dadf or .yaml pipeline file')
    .requiredOption('--data <dir>', 'data set folder')
    .option(
      '--over <key=v1,v2,...>',
      "values of one key (repeatable; the grid is every combination), e.g. --over 'flow.over=[prior],[prior,self]'",
      collectSets,
      [],
    )
    .option('--set <key=value>', 'fixed override for every run (repeatable)', collectSets, [])
    .option('-o, --out <dir>', 'sweep folder (default runs/sweep-<pipeline>-<data>)')
    .option('--pipeline <name>', 'which pipeline of the file (default: the first)');
  for (const [flag, help] of BATCH_OPTIONS) cmd.option(flag, help);
  addRuntimeFlags(cmd).action(async (file: string, flags: SweepFlags) => {
    await sweepCommand(file, flags);
  });
}

/** Runs in one sweep at most: each is a training. */
export const MAX_SWEEP_RUNS = 1000;

export async function sweepCommand(file: string, flags: SweepFlags): Promise<SweepRow[]> {
  jobCount(flags);
  const base = compilePipeline(file, { sets: flags.set, pipeline: flags.pipeline });
  printDiagnostics(base.diagnostics, base.texts);
  if (hasErrors(base.diagnostics) || !base.spec) throw new UserError('the pipeline has errors', { where: file, hint: `dadfc check ${file}` });
  const axes =
    flags.over.length > 0 ? parseOver(flags.over) : Object.entries(base.spec.sweep ?? {}).map(([key, values]) => ({ key, values: values.map(valueText) }));
  if (axes.length === 0)
    throw new UserError('nothing to sweep over', {
      where: file,
      hint: "give --over KEY=V1,V2 or a 'sweep { key: [v1, v2] }' block in the pipeline",
      exitCode: 2,
    });
  const count = axes.reduce((n, a) => n * a.values.length, 1);
  if (count > MAX_SWEEP_RUNS) {
    throw new UserError(`this sweep has ${count.toLocaleString('en-US')} combinations; a sweep runs at most ${MAX_SWEEP_RUNS}`, {
      where: file,
      hint: 'sweep fewer keys or values at a time',
      exitCode: 2,
    });
  }
  const combos = combinations(axes);
  const outDir = flags.out ?? join('runs', `sweep-${base.spec.name}-${basename(resolve(flags.data))}`);
  // Every combination must compile before any training starts.
  const jobs: RunJob[] = combos.map((combo) => {
    const sets = [...flags.set, ...Object.entries(combo).map(([k, v]) => `${k}=${v}`)];
    const c = compilePipeline(file, { sets, pipeline: flags.pipeline });
    if (hasErrors(c.diagnostics) || !c.spec) {
      printDiagnostics(c.diagnostics, c.texts);
      throw new UserError(`combination ${combinationSlug(combo)} does not check`, { where: file, hint: 'fix the values given to --over' });
    }
    const runDir = resolve(outDir, combinationSlug(combo));
    return {
      id: jobId(runDir),
      pipelineFile: resolve(file),
      pipeline: flags.pipeline,
      sets,
      dataDir: resolve(flags.data),
      runDir,
      labels: { pipeline: c.spec.name, category: basename(resolve(flags.data)), seed: c.spec.train.seed, combination: combo },
    };
  });
  mkdirSync(outDir, { recursive: true });
  // Two sweeps into one folder would write each other's tables; each run inside locks its own folder.
  const lock = lockRunDir(outDir, 'dadfc sweep');
  try {
    return await sweepLocked(
      outDir,
      axes.map((a) => a.key),
      jobs,
      flags,
    );
  } finally {
    lock.release();
  }
}

async function sweepLocked(outDir: string, keys: string[], jobs: RunJob[], flags: SweepFlags): Promise<SweepRow[]> {
  const finished: JobOutcome[] = [];
  const progress = createProgress({ quiet: flags.quiet, json: flags.json });
  const report = progressReport(progress, jobs.length, (outcome) => {
    finished.push(outcome);
    writeTables(outDir, keys, jobs.flatMap((job) => finished.filter((o) => o.job === job)).map(sweepRow));
  });
  let outcomes: JobOutcome[];
  try {
    outcomes = await runBatch(jobs, flags, report);
  } finally {
    progress.stop();
  }
  const rows = outcomes.map(sweepRow);
  const { markdown } = writeTables(outDir, keys, rows);
  process.stdout.write(`\n${markdown}\nresults: ${join(outDir, 'results.md')}, ${join(outDir, 'results.csv')}\n`);
  if (rows.some((r) => r.status === 'failed')) process.exitCode = 1;
  return rows;
}

function sweepRow(o: JobOutcome): SweepRow {
  return {
    combination: o.job.labels.combination,
    status: o.status,
    error: o.error,
    run: o.job.runDir,
    metrics: o.result?.metrics ?? {},
    trainSeconds: o.result?.trainSeconds ?? NaN,
    testMsPerImage: o.result?.msPerImage ?? NaN,
  };
}

function valueText(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(valueText).join(', ')}]`;
  if (typeof v === 'string') return /^[A-Za-z_][A-Za-z0-9_]*$/.test(v) ? v : JSON.stringify(v);
  return String(v);
}

const fixed = (v: number, digits: number) => (Number.isNaN(v) ? '–' : v.toFixed(digits));

export function writeTables(outDir: string, keys: string[], rows: SweepRow[]): { markdown: string; csv: string } {
  const head = [...keys, ...METRICS, 'train s', 'test ms/img', 'status'];
  const cells = rows.map((r) => [
    ...keys.map((k) => r.combination[k] ?? ''),
    ...METRICS.map((m) => percent(r.metrics[m])),
    fixed(r.trainSeconds, 1),
    fixed(r.testMsPerImage, 1),
    r.status === 'ok' ? 'ok' : `failed: ${r.error ?? ''}`,
  ]);
  const markdown =
    [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...cells.map((c) => `| ${c.map((x) => x.replace(/\|/g, '\\|')).join(' | ')} |`)].join(
      '\n',
    ) + '\n';
  const csvRows = rows.map((r) => [
    ...keys.map((k) => r.combination[k] ?? ''),
    ...METRICS.map((m) => csvNumber(r.metrics[m])),
    Number.isNaN(r.trainSeconds) ? '' : r.trainSeconds.toFixed(3),
    Number.isNaN(r.testMsPerImage) ? '' : r.testMsPerImage.toFixed(3),
    r.status,
    r.error ?? '',
  ]);
  const csv = csvText([[...keys, ...METRICS, 'train_seconds', 'test_ms_per_image', 'status', 'error'], ...csvRows]);
  writeFileAtomic(join(outDir, 'results.md'), markdown);
  writeFileAtomic(join(outDir, 'results.csv'), csv);
  return { markdown, csv };
}
