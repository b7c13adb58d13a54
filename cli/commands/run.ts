// dadfc run FILE --data DIR: train if the run has no finished checkpoint, then test. The main job.
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { disposeHeads } from '../../runtime/heads/index.ts';
import { RunDir } from '../../runtime/run/rundir.ts';
import { lockRunDir } from '../../runtime/run/lock.ts';
import { addRuntimeFlags } from '../runtime-context.ts';
import { addPipelineDataOptions } from './options.ts';
import { testCommand } from './test.ts';
import { trainCommand, type TrainFlags } from './train.ts';
import { defaultRunDir } from '../run-helpers.ts';
import { compilePipeline } from '../../compiler/index.ts';
import { findDataset } from '../../runtime/data/layout.ts';
import { isUserError, UserError } from '../../common/errors.ts';

export function register(program: Command): void {
  const cmd = program
    .command('run')
    .description('The main job: train the pipeline on DIR (unless the run is already trained), then test it and write the report.');
  addRuntimeFlags(addPipelineDataOptions(cmd)).action(async (file: string, flags: TrainFlags) => {
    await runCommand(file, flags);
  });
}

export async function runCommand(file: string, flags: TrainFlags) {
  const name = existsSync(file) ? compilePipeline(file, { sets: flags.set, pipeline: flags.pipeline }).name : 'pipeline';
  const runDir = flags.out ?? defaultRunDir(name || 'pipeline', flags.data);
  // Held from the first look at the run to the end of its test: train and test take it again.
  const lock = lockRunDir(runDir, 'dadfc run');
  try {
    return await runLocked(file, flags, runDir);
  } finally {
    lock.release();
  }
}

async function runLocked(file: string, flags: TrainFlags, runDir: string) {
  const run = new RunDir(runDir);
  const finished = run.exists() && run.readMeta().status === 'trained';
  const resume = run.exists() && !finished;
  const trained = finished ? undefined : await trainCommand(file, { ...flags, out: runDir, resume });
  if (trained) trained.model?.dispose(), disposeHeads(trained.heads), trained.backbone.dispose();
  const { startRuntime } = await import('../runtime-context.ts');
  const ctx = trained?.ctx ?? (await startRuntime(flags));
  try {
    if (findDataset(flags.data).layout === 'good-only') {
      // Good images alone train a detector; measuring it needs labelled test images.
      ctx.progress.stop();
      process.stdout.write(
        `${flags.data} has no test/ folder, so no metrics (see docs/your-data.md). Score new images with:\n  npx dadfc predict ${runDir} path/to/images\n`,
      );
      return undefined;
    }
    if (finished) ctx.progress({ kind: 'log', level: 'info', message: `${runDir} is already trained; testing it` });
    // The --set of run shaped the training; the test scores the run as trained.
    return await testCommand(runDir, { ...flags, out: undefined, set: [] }, ctx).catch((error: unknown) => {
      throw trainedRunKept(error, runDir);
    });
  } finally {
    ctx.progress.stop();
  }
}

/** A test that fails on its inputs after training says that the training is kept and how to test again. */
function trainedRunKept(error: unknown, runDir: string): unknown {
  if (!isUserError(error)) return error;
  const next = `The run is trained and kept in ${runDir}: once this is fixed, the same dadfc run (or dadfc test ${runDir}) tests it without training again.`;
  return new UserError(error.message, { where: error.where, hint: error.hint ? `${error.hint}\n${next}` : next, exitCode: error.exitCode, cause: error });
}
