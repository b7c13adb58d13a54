// Ctrl-C during training: the run keeps the checkpoint of its last finished epoch (written
// atomically), and the person is told how to continue. SIGINT only raises a flag; the next
// progress event (every image of feature extraction, every training step, which yields to the
// event loop for this) throws Interrupted, so the run stops between steps, never inside a write.
// A second Ctrl-C ends the process at once.
import { UserError } from '../../common/errors.ts';
import type { Progress } from '../progress.ts';

export const INTERRUPTED_EXIT = 130;

export class Interrupted extends UserError {}

export function isInterrupted(error: unknown): boolean {
  return error instanceof Interrupted;
}

export interface InterruptWatch {
  /** `progress` that throws once Ctrl-C was pressed. */
  progress: Progress;
  dispose(): void;
}

export function watchInterrupt(progress: Progress, describe: () => Interrupted): InterruptWatch {
  let pressed = 0;
  const onSigint = () => {
    if (++pressed > 1) process.exit(INTERRUPTED_EXIT);
  };
  process.on('SIGINT', onSigint);
  return {
    progress: (event) => {
      if (pressed > 0) throw describe();
      progress(event);
    },
    dispose: () => process.off('SIGINT', onSigint),
  };
}

/** Lets a pending SIGINT reach its listener between two synchronous training steps. */
export const yieldToEvents = () => new Promise<void>((resolve) => setImmediate(resolve));
