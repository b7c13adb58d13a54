// Runs a batch's jobs (a sweep's combinations, a bench's pipelines × categories × seeds) the
// way the flags say: here one at a time, in --jobs N local processes, or on a --queue. Runs
// with a result.json are finished and kept; the others start, or resume from their checkpoint.
import { UserError } from '../../common/errors.ts';
import type { RuntimeFlags } from '../runtime-context.ts';
import { readResult, type JobOutcome, type RunJob } from './job.ts';
import { runHere, runInProcesses } from './local.ts';
import { checkQueueUrl, runOnQueue } from './queue.ts';
import { jobLabel, type BatchReport } from './report.ts';

export interface BatchFlags extends RuntimeFlags {
  jobs?: string | number;
  queue?: string;
}

/** The number of local processes; checks --jobs and --queue before anything is written. */
export function jobCount(flags: BatchFlags): number {
  const n = Number(flags.jobs ?? 1);
  if (!Number.isInteger(n) || n < 1)
    throw new UserError(`--jobs expects a whole number of processes ≥ 1, got '${flags.jobs}'`, { where: '--jobs', exitCode: 2 });
  if (n > 1 && flags.queue)
    throw new UserError('--jobs and --queue do not go together', {
      where: '--jobs',
      hint: 'with --queue, give each worker its --jobs: dadfc worker --queue URL --jobs N',
      exitCode: 2,
    });
  if (flags.queue) checkQueueUrl(flags.queue);
  return n;
}

export async function runBatch(jobs: RunJob[], flags: BatchFlags, report: BatchReport): Promise<JobOutcome[]> {
  const processes = jobCount(flags);
  const done = new Map<RunJob, JobOutcome>();
  for (const job of jobs) {
    const result = readResult(job.runDir);
    if (!result) continue;
    report.log(`already finished, kept: ${jobLabel(job)} (${job.runDir})`);
    done.set(job, { job, status: 'ok', result });
  }
  const todo = jobs.filter((job) => !done.has(job));
  const ran =
    todo.length === 0
      ? []
      : flags.queue
        ? await runOnQueue(todo, flags.queue, report)
        : processes > 1
          ? await runInProcesses(todo, processes, flags, report)
          : await runHere(todo, flags, report);
  for (const outcome of ran) done.set(outcome.job, outcome);
  return jobs.map((job) => done.get(job)!);
}

/** Commander options shared by sweep and bench. */
export const BATCH_OPTIONS: Array<[string, string]> = [
  ['--jobs <n>', 'run N jobs at once in local processes, each pinned to its share of the cores (default 1: one after the other in this process)'],
  [
    '--queue <redis-url>',
    'put the jobs on a Redis queue for `dadfc worker` processes on any machine sharing the data and run folders (docs/scale-out.md); follows them and writes the same tables',
  ],
];
