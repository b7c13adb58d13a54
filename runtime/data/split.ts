// A validation split carved from the good training images only: seeded and deterministic (the
// same files, fraction and seed always give the same split, whatever order the files came in).
import type { Dataset, Sample } from './types.ts';
import { mulberry32 } from '../random.ts';

/**
 * Moves round(fraction * n) training samples (at least one when fraction > 0, and never all)
 * into a validation split. Both returned lists are sorted by path.
 */
export function splitValidation(train: Sample[], fraction: number, seed = 0): { train: Sample[]; validation: Sample[] } {
  if (!(fraction >= 0 && fraction < 1)) throw new RangeError(`validation fraction must be in [0, 1), got ${fraction}`);
  const sorted = [...train].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  let count = Math.round(fraction * sorted.length);
  if (fraction > 0 && count === 0 && sorted.length > 1) count = 1;
  count = Math.min(count, Math.max(0, sorted.length - 1));
  const random = mulberry32(seed);
  const order = sorted.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const chosen = new Set(order.slice(0, count));
  return {
    train: sorted.filter((_, i) => !chosen.has(i)),
    validation: sorted.filter((_, i) => chosen.has(i)).map((s) => ({ ...s, split: 'validation' as const })),
  };
}

/** The dataset's own validation folder when it has one, else a split carved from train/good. */
export function trainValidationSplit(
  dataset: Pick<Dataset, 'train' | 'validation'>,
  fraction: number,
  seed: number,
): { train: Sample[]; validation: Sample[] } {
  return dataset.validation.length > 0 ? { train: dataset.train, validation: dataset.validation } : splitValidation(dataset.train, fraction, seed);
}
