// dadfc compile FILE -o DIR: writes DIR/<name>.plan.json (and the TypeScript module once the runtime emits it).
import type { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describePlan } from '../../compiler/index.ts';
import { writeFileAtomic } from '../files.ts';
import { loadCleanPipeline } from '../pipeline.ts';
import { collectSets } from './options.ts';

export function register(program: Command): void {
  program
    .command('compile')
    .description('Check a pipeline and write its plan (every node with shapes, parameters, FLOPs) as DIR/<name>.plan.json.')
    .argument('<file>', '.dadf or .yaml pipeline file')
    .option('-o, --out <dir>', 'output directory', 'build')
    .option('--set <key=value>', 'override a key (repeatable)', collectSets, [])
    .option('--pipeline <name>', 'which pipeline of the file (default: the first)')
    .option('-q, --quiet', 'do not print the plan summary')
    .action((file: string, opts: { out: string; set: string[]; pipeline?: string; quiet?: boolean }) => {
      const { plan } = loadCleanPipeline(file, opts.set, opts.pipeline);
      mkdirSync(opts.out, { recursive: true });
      const planPath = join(opts.out, `${plan.name}.plan.json`);
      writeFileAtomic(planPath, JSON.stringify(plan, null, 2) + '\n');
      if (!opts.quiet) process.stdout.write(describePlan(plan) + '\n');
      process.stdout.write(`wrote ${planPath}\n`);
    });
}
