// dadfc print-config FILE: the fully resolved pipeline (extends, --set and defaults applied).
import type { Command } from 'commander';
import { UserError } from '../../common/errors.ts';
import { toDadf, toYaml } from '../../compiler/print.ts';
import { loadCleanPipeline } from '../pipeline.ts';
import { collectSets } from './options.ts';

export function register(program: Command): void {
  program
    .command('print-config')
    .description('Print the fully resolved pipeline: extends, --set overrides and defaults applied.')
    .argument('<file>', '.dadf or .yaml pipeline file')
    .option('--set <key=value>', 'override a key (repeatable); --set name=x renames the result', collectSets, [])
    .option('--pipeline <name>', 'which pipeline of the file (default: the first)')
    .option('--format <format>', 'dadf | yaml | json', 'dadf')
    .action((file: string, opts: { set: string[]; format: string; pipeline?: string }) => {
      if (!['dadf', 'yaml', 'json'].includes(opts.format)) {
        throw new UserError(`unknown format '${opts.format}'`, { where: '--format', hint: 'use dadf, yaml or json', exitCode: 2 });
      }
      const { spec } = loadCleanPipeline(file, opts.set, opts.pipeline);
      const json = spec as unknown as Record<string, never>;
      process.stdout.write(opts.format === 'dadf' ? toDadf(json) : opts.format === 'yaml' ? toYaml(json) : JSON.stringify(spec, null, 2) + '\n');
    });
}
