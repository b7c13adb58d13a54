// What a batch says while it runs, whichever way its jobs run (in this process, in local
// processes, on queue workers): one line per start, phase and end, through the CLI's progress.
import type { Progress } from '../../runtime/progress.ts';
import type { JobOutcome, RunJob } from './job.ts';

export interface BatchReport {
  started(job: RunJob, where?: string): void;
  progress(job: RunJob, text: string): void;
  warn(job: RunJob, message: string): void;
  finished(outcome: JobOutcome): void;
  log(message: string): void;
}

export const jobLabel = (job: RunJob) =>
  [job.labels.pipeline, ...Object.entries(job.labels.combination).map(([k, v]) => `${k}=${v}`), job.labels.category, `seed ${job.labels.seed}`].join(' · ');

/** A report printed through `progress`, calling `onFinished` after every finished job. */
export function progressReport(progress: Progress, total: number, onFinished: (outcome: JobOutcome) => void): BatchReport {
  let done = 0;
  const info = (message: string) => progress({ kind: 'log', level: 'info', message });
  return {
    started: (job, where) => info(`started ${jobLabel(job)}${where ? ` on ${where}` : ''} → ${job.runDir}`),
    progress: (job, text) => info(`  ${jobLabel(job)}: ${text}`),
    warn: (job, message) => progress({ kind: 'log', level: 'warn', message: `${jobLabel(job)}: ${message}` }),
    finished: (outcome) => {
      done++;
      const what = outcome.status === 'ok' ? 'finished' : `failed: ${outcome.error}`;
      progress({ kind: 'log', level: outcome.status === 'ok' ? 'info' : 'warn', message: `[${done}/${total}] ${jobLabel(outcome.job)} ${what}` });
      onFinished(outcome);
    },
    log: info,
  };
}
