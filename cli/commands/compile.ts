// dadfc compile FILE -o DIR: writes DIR/<name>.plan.json and DIR/<name>.ts, a typed module
// that builds the same graph through the runtime's API (type-checked before it is written).
import type { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describePlan } from '../../compiler/index.ts';
import { rebaseWeights } from '../../compiler/weights-path.ts';
import { UserError } from '../../common/errors.ts';
import { writeFileAtomic } from '../files.ts';
import { loadCleanPipeline } from '../pipeline.ts';
import { collectSets } from './options.ts';

export function register(program: Command): void {
  program
    .command('compile')
    .description(
      'Check a pipeline; write its plan (every node with shapes, parameters, FLOPs) as DIR/<name>.plan.json and a typed TypeScript module DIR/<name>.ts that builds the graph.',
    )
    .argument('<file>', '.dadf or .yaml pipeline file')
    .option('-o, --out <dir>', 'output directory', 'build')
    .option('--set <key=value>', 'override a key (repeatable)', collectSets, [])
    .option('--pipeline <name>', 'which pipeline of the file (default: the first)')
    .option('-q, --quiet', 'do not print the plan summary')
    .option('--no-ts', 'skip the TypeScript module (faster: no type-checking)')
    .action(async (file: string, opts: { out: string; set: string[]; pipeline?: string; quiet?: boolean; ts: boolean }) => {
      const compiled = loadCleanPipeline(file, opts.set, opts.pipeline);
      // Weight paths relative to the plan's own folder, so `dadfc run DIR/<name>.plan.json` finds them.
      const plan = { ...compiled.plan, spec: rebaseWeights(compiled.plan.spec, compiled.sources, opts.out) };
      mkdirSync(opts.out, { recursive: true });
      const planPath = join(opts.out, `${plan.name}.plan.json`);
      writeFileAtomic(planPath, JSON.stringify(plan, null, 2) + '\n');
      if (!opts.quiet) process.stdout.write(describePlan(plan) + '\n');
      process.stdout.write(`wrote ${planPath}\n`);
      if (opts.ts) {
        const { emitTypeScript } = await import('../../compiler/emit/typescript.ts');
        const tsPath = resolve(opts.out, `${plan.name}.ts`);
        const emitted = emitTypeScript(plan, tsPath, file);
        if (emitted.diagnostics.length > 0) {
          throw new UserError(`the generated module does not type-check (a bug in dadfc; nothing was written):\n${emitted.diagnostics.join('\n')}`, {
            where: tsPath,
          });
        }
        writeFileAtomic(tsPath, emitted.text);
        process.stdout.write(`wrote ${join(opts.out, `${plan.name}.ts`)} (type-checked: 0 diagnostics)\n`);
      }
    });
}
