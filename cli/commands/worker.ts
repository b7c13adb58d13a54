// dadfc worker --queue redis://HOST:PORT: runs the jobs that `dadfc sweep|bench --queue` put on
// the queue, --jobs N at a time, until stopped (Ctrl-C / SIGTERM). docs/scale-out.md.
import type { Command } from 'commander';
import { UserError } from '../../common/errors.ts';
import { runWorker } from '../batch/worker.ts';

interface WorkerFlags {
  queue: string;
  jobs: string;
  lockSeconds: string;
  backend?: string;
  cache?: boolean;
  cacheDir?: string;
}

export function register(program: Command): void {
  program
    .command('worker')
    .description('Take run jobs from a Redis queue (put there by sweep/bench --queue) and run them, each in a process pinned to its share of the cores.')
    .requiredOption('--queue <redis-url>', 'the queue, e.g. redis://10.0.0.5:6379')
    .option('--jobs <n>', 'jobs at once on this machine (the cores are divided between them)', '1')
    .option('--lock-seconds <s>', "how long a job stays this worker's without a sign of life before another worker takes it over", '30')
    .option('--backend <name>', 'tensorflow-gpu | tensorflow | wasm | cpu (default: the fastest that loads; or $DADF_BACKEND)')
    .option('--cache-dir <dir>', 'feature cache folder (default $DADF_CACHE_DIR or .dadf-cache)')
    .option('--no-cache', 'keep features in memory only')
    .action(async (flags: WorkerFlags) => {
      const jobs = Number(flags.jobs);
      const lockSeconds = Number(flags.lockSeconds);
      if (!Number.isInteger(jobs) || jobs < 1) throw new UserError(`--jobs expects a whole number ≥ 1, got '${flags.jobs}'`, { where: '--jobs', exitCode: 2 });
      if (!Number.isFinite(lockSeconds) || lockSeconds < 1)
        throw new UserError(`--lock-seconds expects a number of seconds ≥ 1, got '${flags.lockSeconds}'`, { where: '--lock-seconds', exitCode: 2 });
      await runWorker({
        url: flags.queue,
        jobs,
        lockSeconds,
        backend: flags.backend,
        cache: flags.cache,
        cacheDir: flags.cacheDir,
        log: (m) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${m}\n`),
      });
    });
}
