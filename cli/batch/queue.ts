// A batch on a Redis queue (BullMQ): the enqueuer adds one job per unfinished run and follows
// them to the end; workers on any machine take them (worker.ts). A job holds a RunJob (paths on
// the shared disk and --set strings) and nothing else: no environment, no credential, not even
// the queue URL. BullMQ's job lock makes a job run on one worker at a time; a worker that stops
// renewing its lock (killed, machine gone) has the job moved back to the queue by another
// worker's stalled-job check, and the next run resumes from the run's last checkpoint.
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from '../../common/errors.ts';
import { readResult, type JobOutcome, type RunJob } from './job.ts';
import type { BatchReport } from './report.ts';

export const QUEUE_NAME = 'dadf-runs';

export interface QueuePayload {
  job: RunJob;
}

/** What a worker reports while a job runs (job.progress). */
export interface QueueProgress {
  worker: string;
  text: string;
}

/** Failures that are not the user's are tried this many times in all (user errors once). */
const ATTEMPTS = 3;

export function checkQueueUrl(url: string): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    // reported below
  }
  if (!parsed || !/^rediss?:$/.test(parsed.protocol) || !parsed.hostname) {
    throw new UserError(`'${redact(url)}' is not a Redis URL`, {
      where: '--queue',
      hint: 'give redis://HOST:PORT (optionally /DB, or rediss:// for TLS), e.g. --queue redis://127.0.0.1:6379',
      exitCode: 2,
    });
  }
  return url;
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

export const connectionOf = (url: string) => ({ url, maxRetriesPerRequest: null });

/** Fails fast, with one message, when nothing answers at the URL (BullMQ would retry forever). */
export async function checkReachable(url: string): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 5000 });
  let cause: Error | undefined; // the socket's own error (ECONNREFUSED…), not ioredis' "Connection is closed"
  client.on('error', (error: Error) => (cause ??= error));
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    throw new UserError(`no Redis answers at ${redact(url)}: ${(cause ?? (error as Error)).message}`, {
      where: '--queue',
      hint: 'start redis-server there (docs/scale-out.md), or correct the URL',
    });
  } finally {
    client.disconnect();
  }
}

export async function runOnQueue(jobs: RunJob[], url: string, report: BatchReport, pollMs = 1000): Promise<JobOutcome[]> {
  await checkReachable(checkQueueUrl(url));
  const queue = new Queue<QueuePayload>(QUEUE_NAME, { connection: connectionOf(url) });
  try {
    await enqueue(queue, jobs, report);
    report.log(
      `${jobs.length} job${jobs.length === 1 ? '' : 's'} on queue '${QUEUE_NAME}' at ${redact(url)}; each machine runs: dadfc worker --queue ${redact(url)}`,
    );
    return await follow(queue, jobs, report, pollMs);
  } finally {
    await queue.close();
  }
}

async function enqueue(queue: Queue<QueuePayload>, jobs: RunJob[], report: BatchReport): Promise<void> {
  for (const job of jobs) {
    const existing = await queue.getJob(job.id);
    const state = existing ? await existing.getState() : undefined;
    if (existing && state !== 'completed' && state !== 'failed') {
      report.log(`${job.runDir} is already on the queue (${state}); following it`);
      continue;
    }
    // A finished queue job whose run has no result.json (deleted, or a failure) runs again.
    if (existing) await existing.remove();
    await queue.add('run', { job }, { jobId: job.id, attempts: ATTEMPTS, backoff: { type: 'exponential', delay: 5000 } });
  }
}

/** Polls the jobs until each has completed or failed; says where each runs and what it does. */
async function follow(queue: Queue<QueuePayload>, jobs: RunJob[], report: BatchReport, pollMs: number): Promise<JobOutcome[]> {
  const outcomes = new Map<string, JobOutcome>();
  const where = new Map<string, { worker: string; text: string }>();
  let lastSummary = '';
  while (outcomes.size < jobs.length) {
    const counts: Record<string, number> = {};
    for (const job of jobs) {
      if (outcomes.has(job.id)) continue;
      const queued = await queue.getJob(job.id);
      const state = queued ? await queued.getState() : 'missing';
      counts[state] = (counts[state] ?? 0) + 1;
      const outcome = outcomeOf(job, state, queued?.failedReason);
      if (outcome) {
        outcomes.set(job.id, outcome);
        report.finished(outcome);
      } else if (state === 'active' && queued && typeof queued.progress === 'object') {
        const now = queued.progress as unknown as QueueProgress;
        const before = where.get(job.id);
        if (before?.worker !== now.worker) report.started(job, now.worker);
        else if (before.text !== now.text) report.progress(job, now.text);
        where.set(job.id, now);
      }
    }
    const summary = Object.entries(counts)
      .filter(([state]) => state !== 'completed' && state !== 'failed')
      .map(([state, n]) => `${n} ${state}`)
      .join(', ');
    if (summary && summary !== lastSummary) report.log(`queue: ${summary}; ${outcomes.size} of ${jobs.length} ended`);
    lastSummary = summary;
    if (outcomes.size < jobs.length) await sleep(pollMs);
  }
  return jobs.map((job) => outcomes.get(job.id)!);
}

function outcomeOf(job: RunJob, state: string, failedReason: string | undefined): JobOutcome | undefined {
  if (state === 'completed') {
    const result = readResult(job.runDir);
    if (result) return { job, status: 'ok', result };
    return {
      job,
      status: 'failed',
      error: `a worker finished it but ${job.runDir}/result.json is not here: is the run folder on a path every machine shares?`,
    };
  }
  if (state === 'failed') return { job, status: 'failed', error: failedReason || 'failed on a worker' };
  if (state === 'missing') return { job, status: 'failed', error: 'the job was removed from the queue before it finished' };
  return undefined;
}
