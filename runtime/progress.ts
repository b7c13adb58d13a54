// What long work reports while it runs. The runtime emits events; the CLI decides how they
// look (progress bars on a terminal, one line per epoch in CI, JSON lines for machines).

export type ProgressEvent =
  /** A phase with a known amount of work starts (feature extraction, an epoch, testing). */
  | { kind: 'phase'; id: string; label: string; total: number; unit: string }
  | { kind: 'tick'; id: string; done: number; total: number; info?: Record<string, string | number> }
  | { kind: 'phase-end'; id: string; seconds: number }
  /** An epoch finished: what a person wants in the log. */
  | {
      kind: 'epoch';
      stage: 'reconstruct' | 'flow';
      epoch: number;
      epochs: number;
      loss: number;
      valLoss: number | null;
      imagesPerSec: number;
      etaSeconds: number;
    }
  | { kind: 'log'; level: 'info' | 'warn'; message: string };

export type Progress = (event: ProgressEvent) => void;

export const silentProgress: Progress = () => {};
