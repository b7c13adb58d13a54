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
    throw new UserError(`'${redact(url)}' is not a Redis URL`, { where: '--queue', hint: 'give redis://HOST:PORT (optionally /DB, or rediss:// for TLS), e.g. --queue redis://127.0.0.1:6379', exitCode: 2 });
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
    throw new UserError(`no Redis answers at ${redact(url)}: ${(cause ?? (error as Error)).message}`, { where: '--queue', hint: 'start redis-server there (docs/scale-out.md), or correct the URL' });
  } finally {
    client.disconnect();
  }
}

export async function runOnQueue(jobs: RunJob[], url: string, report: BatchReport, pollMs = 1000): Promise<JobOutcome[]> {
  await checkReachable(checkQueueUrl(url));
  const queue = new Queue<QueuePayload>(QUEUE_NAME, { connection: connectionOf(url) });
  const outcomes = new Map<string, JobOutcome>();
  try {
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
    report.log(`${jobs.length} job${jobs.length === 1 ? '' : 's'} on queue '${QUEUE_NAME}' at ${redact(url)}; each machine runs: dadfc worker --queue ${redact(url)}`);
    const lastText = new Map<string, string>();
    while (outcomes.size < jobs.length) {
      for (const job of jobs) {
        if (outcomes.has(job.id)) continue;
        const queued = await queue.getJob(job.id);
        const state = queued ? await queued.getState() : 'missing';
        let outcome: JobOutcome | undefined;
        if (state === 'completed') {
          const result = readResult(job.runDir);
          outcome = result
            ? { job, status: 'ok', result }
            : { job, status: 'failed', error: `a worker finished it but ${job.runDir}/result.json is not here: is the run folder on a path every machine shares?` };
        } else if (state === 'failed') {
          outcome = { job, status: 'failed', error: queued?.failedReason || 'failed on a worker' };
        } else if (state === 'missing') {
          outcome = { job, status: 'failed', error: 'the job was removed from the queue before it finished' };
        } else if (state === 'active' && queued && typeof queued.progress === 'object') {
          const { worker, text } = queued.progress as unknown as QueueProgress;
          const key = `${worker}/${text}`;
          if (lastText.get(job.id) !== key) {
            if (lastText.get(job.id)?.split('/')[0] !== worker) report.started(job, worker);
            else report.progress(job, text);
            lastText.set(job.id, key);
          }
        }
        if (outcome) {
          outcomes.set(job.id, outcome);
          report.finished(outcome);
        }
      }
      if (outcomes.size < jobs.length) await sleep(pollMs);
    }
  } finally {
    await queue.close();
  }
  return jobs.map((job) => outcomes.get(job.id)!);
}
