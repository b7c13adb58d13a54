// How the CLI talks to people: errors in one block, colour only on a TTY.
import type { UserError } from '../common/errors.ts';

const useColor = () => process.stderr.isTTY === true && !process.env.NO_COLOR;
export const red = (s: string) => (useColor() ? `\x1b[31m${s}\x1b[39m` : s);
export const yellow = (s: string) => (useColor() ? `\x1b[33m${s}\x1b[39m` : s);

export function printUserError(error: UserError): void {
  const where = error.where ? `${error.where} - ` : '';
  process.stderr.write(`${where}${red('error')}: ${error.message}\n`);
  if (error.hint) process.stderr.write(`  ${error.hint.split('\n').join('\n  ')}\n`);
}
