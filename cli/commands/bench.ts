// dadfc bench FILE... --data ROOT: one run (train + test) per pipeline × --over combination ×
// category folder under ROOT × seed; a table per pipeline with a row per category and the mean
// over categories. Finished runs are kept, interrupted ones resume; the runs go here, to --jobs N
// local processes or to a --queue of workers (cli/batch/).
import type { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { createProgress } from '../progress.ts';
import { addRuntimeFlags } from '../runtime-context.ts';
import { BATCH_OPTIONS, jobCount, runBatch, type BatchFlags } from '../batch/batch.ts';
import { planBench } from '../batch/bench-plan.ts';
import { writeBenchTables } from '../batch/bench-tables.ts';
import type { JobOutcome, RunJob } from '../batch/job.ts';
import { lockRunDir } from '../../runtime/run/lock.ts';
import { progressReport } from '../batch/report.ts';
import { collectSets } from './options.ts';

export interface BenchFlags extends BatchFlags {
  data: string;
  over: string[];
  set: string[];
  seeds?: string;
  categories?: string;
  out?: string;
  pipeline?: string;
}

export function register(program: Command): void {
  const cmd = program
    .command('bench')
    .description(
      'Benchmark pipelines over every category folder of a data set (and seeds): one run each, a table per pipeline with the mean over categories (results.md, .csv, .html).',
    )
    .argument('<files...>', '.dadf or .yaml pipeline files')
    .requiredOption('--data <root>', 'folder holding one data set folder per category (e.g. MVTec AD)')
    .option('--categories <a,b,...>', 'only these category folders')
    .option('--seeds <0,1,2>', "train.seed values, one run each (default: the pipeline's seed)")
    .option('--over <key=v1,v2,...>', 'also vary a key, as in sweep (repeatable)', collectSets, [])
    .option('--set <key=value>', 'override for every run (repeatable)', collectSets, [])
    .option('-o, --out <dir>', 'bench folder (default runs/bench-<data>)')
    .option('--pipeline <name>', 'which pipeline of each file (default: the first)');
  for (const [flag, help] of BATCH_OPTIONS) cmd.option(flag, help);
  addRuntimeFlags(cmd).action(async (files: string[], flags: BenchFlags) => {
    await benchCommand(files, flags);
  });
}

export async function benchCommand(files: string[], flags: BenchFlags): Promise<JobOutcome[]> {
  jobCount(flags);
  const outDir = flags.out ?? join('runs', `bench-${basename(resolve(flags.data))}`);
  const jobs = planBench({
    files,
    data: flags.data,
    out: outDir,
    over: flags.over,
    set: flags.set,
    seeds: flags.seeds,
    categories: flags.categories,
    pipeline: flags.pipeline,
  });
  mkdirSync(outDir, { recursive: true });
  // Two benches into one folder would write each other's tables; each run inside locks its own folder.
  const lock = lockRunDir(outDir, 'dadfc bench');
  try {
    return await benchLocked(outDir, jobs, flags);
  } finally {
    lock.release();
  }
}

async function benchLocked(outDir: string, jobs: RunJob[], flags: BenchFlags): Promise<JobOutcome[]> {
  const title = `bench of ${[...new Set(jobs.map((j) => j.labels.pipeline))].join(', ')} on ${basename(resolve(flags.data))}`;
  const finished = new Map<string, JobOutcome>();
  const progress = createProgress({ quiet: flags.quiet, json: flags.json });
  progress({ kind: 'log', level: 'info', message: `${jobs.length} run${jobs.length === 1 ? '' : 's'} → ${outDir}` });
  const report = progressReport(progress, jobs.length, (outcome) => {
    finished.set(outcome.job.id, outcome);
    writeBenchTables(
      outDir,
      title,
      jobs.flatMap((job) => finished.get(job.id) ?? []),
    );
  });
  let outcomes: JobOutcome[];
  try {
    outcomes = await runBatch(jobs, flags, report);
  } finally {
    progress.stop();
  }
  const { markdown } = writeBenchTables(outDir, title, outcomes);
  process.stdout.write(`\n${markdown}\nresults: ${['results.md', 'results.csv', 'runs.csv', 'results.html'].map((f) => join(outDir, f)).join(', ')}\n`);
  if (outcomes.some((o) => o.status === 'failed')) process.exitCode = 1;
  return outcomes;
}
