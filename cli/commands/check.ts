// dadfc check FILE...: parse, resolve and check; diagnostics only.
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('check')
    .description('Parse, resolve and type/shape-check pipeline files; print diagnostics; exit 1 on any error.')
    .argument('<files...>', '.dadf or .yaml pipeline files')
    .action(async (files: string[]) => {
      process.stdout.write(`checking ${files.join(', ')} (not implemented yet)\n`);
    });
}
