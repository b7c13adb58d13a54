// `dadfc worker`: takes run jobs from the Redis queue and runs each in a child process pinned
// to its share of this machine's cores (--jobs of them at once). A user error fails the job
// for good (its message goes to the batch's table); anything else is retried, on any worker,
// from the run's last checkpoint. SIGINT/SIGTERM stop it: its running jobs go back to the queue
// at once, without using up an attempt, and resume from their checkpoints elsewhere.
import { UnrecoverableError, WaitingError, Worker } from 'bullmq';
import { hostname } from 'node:os';
import { allowedCpus, describeShares, shareCores } from './cores.ts';
import { checkQueueUrl, checkReachable, connectionOf, QUEUE_NAME, redact, type QueuePayload, type QueueProgress } from './queue.ts';
import { takeOverFromHost } from '../../runtime/run/lock.ts';
import { jobLabel } from './report.ts';
import { killRunProcesses, runInChildProcess, type RuntimeChoice } from './run-process.ts';

export interface WorkerOptions extends RuntimeChoice {
  url: string;
  jobs: number;
  /** How long a job's lock lives without renewal: how soon a dead worker's job is taken over. */
  lockSeconds: number;
  log: (message: string) => void;
}

export async function runWorker(options: WorkerOptions): Promise<void> {
  const { url, log } = options;
  await checkReachable(checkQueueUrl(url));
  const me = `${hostname()}:${process.pid}`;
  const free = shareCores(allowedCpus(), options.jobs);
  log(`worker ${me} on queue '${QUEUE_NAME}' at ${redact(url)}: ${describeShares(free)}`);
  const runtime: RuntimeChoice = { backend: options.backend, cache: options.cache, cacheDir: options.cacheDir };
  const lockMs = options.lockSeconds * 1000;
  let stopping = false;
  const worker = new Worker<QueuePayload>(
    QUEUE_NAME,
    async (queued, token) => {
      const { job } = queued.data;
      takeOverFromDeadWorker(queued.progress, job.runDir, log);
      const share = free.pop()!;
      const say = (text: string) => queued.updateProgress({ worker: me, text } satisfies QueueProgress).catch(() => {});
      log(`started ${jobLabel(job)} → ${job.runDir} (attempt ${queued.attemptsMade + 1})`);
      await say('started');
      try {
        const ended = await runInChildProcess(job, share, runtime, { progress: (text) => void say(text), warn: (message) => log(`warning: ${message}`) });
        if (ended.kind === 'done') {
          log(`finished ${jobLabel(job)}`);
          return { worker: me, finished: ended.result.finished };
        }
        if (stopping) {
          await queued.moveToWait(token);
          log(`returned ${jobLabel(job)} to the queue`);
          throw new WaitingError();
        }
        log(`failed ${jobLabel(job)}: ${ended.message}${ended.userError ? '' : ' (will be retried)'}`);
        throw ended.userError ? new UnrecoverableError(ended.message) : new Error(ended.message);
      } finally {
        free.push(share);
      }
    },
    { connection: connectionOf(url), concurrency: options.jobs, lockDuration: lockMs, stalledInterval: lockMs, maxStalledCount: 10 },
  );
  worker.on('error', (error) => log(`queue error: ${error.message}`));
  await new Promise<void>((resolve) => {
    const stop = () => {
      stopping = true; // before the children's exits are seen: they are not failures
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  log(`worker ${me} stopping`);
  const closing = worker.close();
  killRunProcesses();
  await closing;
  log(`worker ${me} stopped`);
}

/**
 * A job handed out again was given up on by its last worker (its lock expired, or its run
 * process died). Where that worker ran on another machine, its run process may have left the
 * run directory's lock behind, which this machine cannot check by pid: the queue's verdict
 * settles it. A worker cut off from Redis for longer than --lock-seconds counts as gone.
 */
function takeOverFromDeadWorker(progress: unknown, runDir: string, log: (message: string) => void): void {
  const previous = typeof progress === 'object' && progress !== null ? (progress as Partial<QueueProgress>).worker : undefined;
  if (!previous) return;
  const host = previous.slice(0, previous.lastIndexOf(':'));
  if (host !== hostname() && takeOverFromHost(runDir, host)) log(`took over ${runDir} from ${previous}, which the queue gave up on`);
}
