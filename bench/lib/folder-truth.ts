// Labels from `dadfc predict --json` against the truth that an MVTec-style test folder encodes:
// an image under a folder named `good` is good, any other is defective. Shared by
// bench/labels.ts and the accuracy tests.
import { basename, dirname } from 'node:path';
import type { Prediction } from '../../runtime/inference/predict.ts';
import type { Confusion } from '../../runtime/report/types.ts';

type Label = Prediction['label'];

function truthOf(imagePath: string): Label {
  return basename(dirname(imagePath)) === 'good' ? 'good' : 'defective';
}

/** The prediction lines of `predict --json` output (progress and summary lines left out), in input order. */
export function predictionLines(stdout: string): Prediction[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { kind: string })
    .filter((r): r is Prediction => r.kind === 'prediction');
}

export interface LabelCheck {
  /** Defective is the positive class. */
  confusion: Confusion;
  correct: number;
  accuracy: number;
  /** Images labelled against their folder's truth. */
  wrong: string[];
}

export function checkLabels(predictions: Prediction[]): LabelCheck {
  const confusion: Confusion = { tp: 0, fp: 0, tn: 0, fn: 0 };
  const wrong: string[] = [];
  for (const p of predictions) {
    const truth = truthOf(p.image);
    if (p.label === 'defective') truth === 'defective' ? confusion.tp++ : confusion.fp++;
    else truth === 'good' ? confusion.tn++ : confusion.fn++;
    if (p.label !== truth) wrong.push(p.image);
  }
  const correct = confusion.tp + confusion.tn;
  return { confusion, correct, accuracy: predictions.length ? correct / predictions.length : 0, wrong };
}

/** How many images two engines label alike (matched by image path), and the largest raw score difference. */
export function agreement(a: Prediction[], b: Prediction[]): { same: number; of: number; maxScoreDelta: number } {
  const byImage = new Map(b.map((p) => [p.image, p]));
  let same = 0;
  let maxScoreDelta = 0;
  for (const p of a) {
    const other = byImage.get(p.image);
    if (!other) continue;
    if (other.label === p.label) same++;
    maxScoreDelta = Math.max(maxScoreDelta, Math.abs(other.score - p.score));
  }
  return { same, of: Math.max(a.length, b.length), maxScoreDelta };
}
