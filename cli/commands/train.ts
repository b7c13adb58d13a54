// dadfc train FILE --data DIR [-o RUN] [--resume]: both stages, checkpoints every epoch.
import type { Command } from 'commander';
import { toDadf } from '../../compiler/print.ts';
import { train } from '../../runtime/train/trainer.ts';
import { loadCleanPipeline } from '../pipeline.ts';
import { addRuntimeFlags, startRuntime, type RuntimeFlags } from '../runtime-context.ts';
import { addPipelineDataOptions } from './options.ts';
import { defaultRunDir, weightsPathFor } from '../run-helpers.ts';

export interface TrainFlags extends RuntimeFlags {
  data: string;
  out?: string;
  resume?: boolean;
  set: string[];
  pipeline?: string;
  skipBad?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('train')
    .description('Train a pipeline on the good images of a data set (stage 1 reconstruction, stage 2 flows); writes a run directory.');
  addRuntimeFlags(addPipelineDataOptions(cmd).option('--resume', 'continue a run that was stopped, from its last finished epoch')).action(
    async (file: string, flags: TrainFlags) => {
      await trainCommand(file, flags);
    },
  );
}

export async function trainCommand(file: string, flags: TrainFlags) {
  const compiled = loadCleanPipeline(file, flags.set, flags.pipeline);
  const { spec } = compiled;
  const weightsPath = weightsPathFor(compiled);
  const ctx = await startRuntime(flags);
  const runDir = flags.out ?? defaultRunDir(spec.name, flags.data);
  try {
    const result = await train({
      spec,
      pipelineText: toDadf(spec),
      pipelineFile: file,
      weightsPath,
      dataDir: flags.data,
      runDir,
      resume: flags.resume,
      skipBad: flags.skipBad,
      backendName: ctx.backend.description,
      cache: ctx.cache,
      progress: ctx.progress,
    });
    ctx.progress({ kind: 'log', level: 'info', message: `trained: ${runDir}` });
    return { ...result, ctx, runDir };
  } finally {
    ctx.progress.stop();
  }
}
