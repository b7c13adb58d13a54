// Running a batch's jobs on this machine: one after the other in this process, or in N child
// processes at once, each pinned to its share of the cores (cores.ts).
import { startRuntime, type RuntimeContext, type RuntimeFlags } from '../runtime-context.ts';
import { allowedCpus, describeShares, shareCores } from './cores.ts';
import { describeFailure, executeJob, type JobOutcome, type RunJob } from './job.ts';
import type { BatchReport } from './report.ts';
import { runInChildProcess } from './run-process.ts';

export async function runHere(jobs: RunJob[], flags: RuntimeFlags, report: BatchReport, started?: RuntimeContext): Promise<JobOutcome[]> {
  const ctx = started ?? (await startRuntime(flags));
  const outcomes: JobOutcome[] = [];
  try {
    for (const job of jobs) {
      report.started(job);
      let outcome: JobOutcome;
      try {
        outcome = { job, status: 'ok', result: await executeJob(job, ctx) };
      } catch (error) {
        if (!(error instanceof Error)) throw error;
        outcome = { job, status: 'failed', error: describeFailure(error) };
      }
      outcomes.push(outcome);
      report.finished(outcome);
    }
  } finally {
    if (!started) ctx.progress.stop();
  }
  return outcomes;
}

export async function runInProcesses(jobs: RunJob[], processes: number, flags: RuntimeFlags, report: BatchReport): Promise<JobOutcome[]> {
  const shares = shareCores(allowedCpus(), Math.min(processes, jobs.length));
  report.log(describeShares(shares));
  const outcomes = new Map<RunJob, JobOutcome>();
  let next = 0;
  const slot = async (i: number) => {
    while (next < jobs.length) {
      const job = jobs[next++];
      report.started(job, `process #${i + 1}`);
      const ended = await runInChildProcess(
        job,
        shares[i],
        { backend: flags.backend, cache: flags.cache, cacheDir: flags.cacheDir },
        {
          progress: (text) => report.progress(job, text),
          warn: (message) => report.warn(job, message),
        },
      );
      const outcome: JobOutcome = ended.kind === 'done' ? { job, status: 'ok', result: ended.result } : { job, status: 'failed', error: ended.message };
      outcomes.set(job, outcome);
      report.finished(outcome);
    }
  };
  await Promise.all(shares.map((_, i) => slot(i)));
  return jobs.map((job) => outcomes.get(job)!);
}
