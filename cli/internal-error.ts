// The one way an unexpected error (a bug in dadfc or a library) reaches a person: one line that
// says what broke and where to report it. The stack trace only with DADF_DEBUG=1, and never the
// source text Node would print for an uncaught error (for the wasm backend, 58 KB of minified code).
import { red } from './output.ts';

export const INTERNAL_ERROR_EXIT = 3;
/** Stack lines are cut here: a frame inside minified code can be one very long line. */
const MAX_LINE = 300;

function debugEnabled(): boolean {
  return process.env.DADF_DEBUG === '1' || process.env.DADF_DEBUG === 'true';
}

function describeInternalError(error: unknown): string {
  const name = error instanceof Error ? error.name : typeof error;
  const raw = error instanceof Error ? error.message : String(error);
  const firstLine = raw.split('\n').find((l) => l.trim() !== '') ?? '';
  const message = firstLine.length > MAX_LINE ? `${firstLine.slice(0, MAX_LINE)}…` : firstLine;
  const code = (error as { code?: unknown })?.code;
  return `${name}${typeof code === 'string' ? ` (${code})` : ''}: ${message}`;
}

export function printInternalError(error: unknown): void {
  process.stderr.write(`${red('internal error')}: ${describeInternalError(error)}\n`);
  if (debugEnabled() && error instanceof Error && error.stack) {
    const frames = error.stack.split('\n').filter((l) => /^\s+at /.test(l));
    for (const frame of frames) process.stderr.write(`${frame.length > MAX_LINE ? frame.slice(0, MAX_LINE) + '…' : frame}\n`);
  } else {
    process.stderr.write(
      '  this is a bug in dadfc: please open an issue with the command you ran and what it printed with DADF_DEBUG=1 (which adds the stack trace)\n',
    );
  }
}
