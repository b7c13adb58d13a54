// dadfc: one binary, one verb per file in commands/. User errors become one clear message
// and exit 1 (inputs) or 2 (usage), 130 for a training stopped by Ctrl-C; anything else is a
// bug: one line and exit 3 (cli/internal-error.ts), the stack trace only with DADF_DEBUG=1.
import { Command, CommanderError } from 'commander';
import { registerCommands } from './commands/index.ts';
import { isUserError } from '../common/errors.ts';
import { printUserError } from './output.ts';
import { INTERNAL_ERROR_EXIT, printInternalError } from './internal-error.ts';
import { INTERRUPTED_EXIT, isInterrupted } from '../runtime/train/interrupt.ts';

export async function main(argv: string[]): Promise<number> {
  try {
    const program = new Command('dadfc')
      .description('A declarative language and compiler for visual anomaly detection (DADF).')
      .showHelpAfterError('(run with --help for usage)')
      .exitOverride()
      .configureOutput({ writeErr: (s) => process.stderr.write(s) });
    await registerCommands(program, argv);
    for (const cmd of program.commands) cmd.exitOverride().showHelpAfterError('(run with --help for usage)');
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    return reportError(error);
  }
}

/** Prints an error the one way it should be seen and returns the exit code. */
export function reportError(error: unknown): number {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
    return 2;
  }
  if (isUserError(error)) {
    printUserError(error);
    return isInterrupted(error) ? INTERRUPTED_EXIT : error.exitCode;
  }
  printInternalError(error);
  return INTERNAL_ERROR_EXIT;
}
