// Why a metric is missing from a result: a table shows "–", and these lines say what the data
// set lacks for it and what to add.
import type { EvalResult } from './evaluate.ts';

export function missingMetricNotes(result: EvalResult): string[] {
  const notes: string[] = [];
  if (result.n_good === 0) {
    notes.push('note: no image AUROC: the test split has no good images (test/good/); it needs normal and defective test images to rank.');
  }
  if (result.n_anomalous === 0) {
    notes.push('note: no image AUROC or pixel metrics: the test split has no defective images (test/<defect type>/).');
  }
  const unmasked = result.missing_masks ?? [];
  if (unmasked.length > 0 && result.pixel_auroc !== null) {
    notes.push(`note: pixel metrics leave out ${unmasked.join(', ')}: no masks (ground_truth/<type>/); image metrics count them.`);
  } else if (unmasked.length > 0 && result.n_anomalous > 0) {
    notes.push('note: no pixel metrics: no defect type has masks (ground_truth/<type>/NNN_mask.png); image metrics only.');
  }
  return notes;
}
