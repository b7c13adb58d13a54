// One train + test run of a batch (sweep, bench) as plain data, so that it can cross a process
// boundary or a Redis queue: absolute paths and --set strings only, never an environment,
// a credential or a queue URL. Its outcome is the run's result.json, written last and atomically:
// a run directory with one is finished, any other is resumed.
import { hashBytes } from '../../formats/index.ts';
import { readFileSync } from 'node:fs';
import { compilePipeline, hasErrors } from '../../compiler/index.ts';
import { toDadf } from '../../compiler/print.ts';
import { UserError } from '../../common/errors.ts';
import { trainAndTest } from '../../runtime/inference/job.ts';
import { lockRunDir } from '../../runtime/run/lock.ts';
import { RunDir, type RunMeta } from '../../runtime/run/rundir.ts';
import { weightsPathFor } from '../run-helpers.ts';
import type { RuntimeContext } from '../runtime-context.ts';
import { METRICS } from '../../runtime/metrics/names.ts';

export interface RunJob {
  /** Derived from the run directory: the same run is the same job (the queue dedupes on it). */
  id: string;
  pipelineFile: string;
  pipeline?: string;
  /** Every override of this run: the batch's --set, the combination, the seed. */
  sets: string[];
  dataDir: string;
  runDir: string;
  labels: { pipeline: string; category: string; seed: number; combination: Record<string, string> };
}

/** What result.json holds. */
export interface RunResult {
  metrics: Record<string, number | null>;
  /** Feature extraction + both stages, summed over every resumed part. */
  trainSeconds: number;
  msPerImage: number;
  finished: string;
}

export interface JobOutcome {
  job: RunJob;
  status: 'ok' | 'failed';
  error?: string;
  result?: RunResult;
}

export function jobId(runDir: string): string {
  return hashBytes(runDir, 24);
}

/** The finished run's result, or undefined when the run has not finished (or result.json is unreadable). */
export function readResult(runDir: string): RunResult | undefined {
  const run = new RunDir(runDir);
  try {
    return JSON.parse(readFileSync(run.file('result'), 'utf8')) as RunResult;
  } catch {
    return undefined;
  }
}

/** Trains (resuming what was started) and tests one job in this process; writes result.json last. */
export async function executeJob(job: RunJob, ctx: RuntimeContext): Promise<RunResult> {
  // Held until result.json is written (trainAndTest takes it again inside: locks nest).
  const lock = lockRunDir(job.runDir, 'dadfc batch job (train + test)');
  try {
    return await executeLocked(job, ctx);
  } finally {
    lock.release();
  }
}

async function executeLocked(job: RunJob, ctx: RuntimeContext): Promise<RunResult> {
  // A queue may hand out a job again whose worker died between result.json and reporting it.
  const done = readResult(job.runDir);
  if (done) return done;
  const compiled = compilePipeline(job.pipelineFile, { sets: job.sets, pipeline: job.pipeline });
  if (hasErrors(compiled.diagnostics) || !compiled.spec) {
    throw new UserError("the pipeline does not check with this run's overrides", {
      where: job.pipelineFile,
      hint: `dadfc check ${job.pipelineFile} ${job.sets.map((s) => `--set '${s}'`).join(' ')}`,
    });
  }
  const spec = compiled.spec;
  const { test } = await trainAndTest({
    spec,
    pipelineText: toDadf(spec),
    pipelineFile: job.pipelineFile,
    weightsPath: weightsPathFor(compiled),
    dataDir: job.dataDir,
    runDir: job.runDir,
    backendName: ctx.backend.description,
    cache: ctx.cache,
    progress: ctx.progress,
  });
  const run = new RunDir(job.runDir);
  const result: RunResult = {
    metrics: Object.fromEntries(METRICS.map((m) => [m, test.metrics[m]])),
    trainSeconds: trainSecondsOf(run.readMeta()),
    msPerImage: test.msPerImage,
    finished: new Date().toISOString(),
  };
  run.writeAtomic('result', JSON.stringify(result, null, 2) + '\n');
  return result;
}

function trainSecondsOf(meta: RunMeta): number {
  const t = meta.timings;
  return (t.features ?? 0) + (t.reconstruct ?? 0) + (t.flow ?? 0);
}

/** One line for a failed job: the UserError's where, message and hint, or the error's message. */
export function describeFailure(error: unknown): string {
  if (error instanceof UserError) return `${error.where ? `${error.where}: ` : ''}${error.message}${error.hint ? ` (${error.hint})` : ''}`;
  return error instanceof Error ? error.message : String(error);
}
