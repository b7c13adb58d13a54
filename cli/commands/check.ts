// dadfc check FILE...: parse, resolve and check every pipeline of each file; diagnostics only.
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { compileFile, hasErrors } from '../../compiler/index.ts';
import { UserError } from '../../common/errors.ts';
import { printDiagnostics } from '../diagnostics.ts';
import { collectSets } from './options.ts';

export function register(program: Command): void {
  program
    .command('check')
    .description('Parse, resolve and type/shape-check pipeline files; print every diagnostic; exit 1 on any error.')
    .argument('<files...>', '.dadf or .yaml pipeline files')
    .option('--set <key=value>', 'override a key after extends (repeatable), e.g. --set flow.over=[prior]', collectSets, [])
    .option('-q, --quiet', 'print diagnostics only, no summary')
    .action((files: string[], opts: { set: string[]; quiet?: boolean }) => {
      let errors = 0;
      let warnings = 0;
      for (const file of files) {
        if (!existsSync(file)) throw new UserError('no such file', { where: file, hint: 'give the path of a .dadf or .yaml pipeline' });
        for (const result of compileFile(file, { sets: opts.set })) {
          const counts = printDiagnostics(result.diagnostics, result.texts);
          errors += counts.errors;
          warnings += counts.warnings;
          if (!opts.quiet && !hasErrors(result.diagnostics)) process.stdout.write(`${file}: pipeline ${result.name} ok\n`);
        }
      }
      if (!opts.quiet && (errors || warnings)) {
        process.stderr.write(`\nFound ${errors} error${errors === 1 ? '' : 's'}${warnings ? ` and ${warnings} warning${warnings === 1 ? '' : 's'}` : ''}.\n`);
      }
      process.exitCode = errors > 0 ? 1 : 0;
    });
}
