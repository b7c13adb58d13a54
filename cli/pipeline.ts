// Loading a pipeline for verbs that need a clean one: diagnostics printed, exit 1 on errors.
import { existsSync } from 'node:fs';
import { compilePipeline, hasErrors, type Compiled } from '../compiler/index.ts';
import { UserError } from '../common/errors.ts';
import { printDiagnostics } from './diagnostics.ts';

class PipelineErrors extends UserError {}

export function loadCleanPipeline(
  file: string,
  sets: string[] = [],
  pipeline?: string,
): Compiled & { spec: NonNullable<Compiled['spec']>; plan: NonNullable<Compiled['plan']> } {
  if (!existsSync(file)) throw new UserError('no such pipeline file', { where: file, hint: 'give the path of a .dadf or .yaml pipeline (see pipelines/)' });
  const result = compilePipeline(file, { sets, pipeline });
  const counts = printDiagnostics(result.diagnostics, result.texts);
  if (hasErrors(result.diagnostics) || !result.spec || !result.plan) {
    throw new PipelineErrors(`pipeline has ${counts.errors} error${counts.errors === 1 ? '' : 's'}`, {
      where: file,
      hint: `fix them and run again (dadfc check ${file})`,
    });
  }
  return result as Compiled & { spec: NonNullable<Compiled['spec']>; plan: NonNullable<Compiled['plan']> };
}
