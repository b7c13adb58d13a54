// What a decision gives on labelled images: confusion counts for images and for pixels. Used to
// report the test split; never to choose a threshold.
import type { Confusion, ReportDecision } from '../report/types.ts';
import { isDefective, type Decision } from './rules.ts';

export interface LabelledMap {
  label: 0 | 1;
  score: number;
  map: Float32Array;
  /** Ground truth per pixel; null for a good image (all good) or an anomaly without a mask. */
  mask: Uint8Array | null;
}

function count(c: Confusion, predicted: boolean, truth: boolean): void {
  if (predicted) truth ? c.tp++ : c.fp++;
  else truth ? c.fn++ : c.tn++;
}

/** Image counts always; pixel counts over the images whose pixels are known, when a defective one has a mask. */
export function decisionOnLabelled(decision: Decision, images: LabelledMap[]): ReportDecision {
  const image: Confusion = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (const s of images) count(image, isDefective(s.score, decision.image), s.label === 1);
  // Pixels are counted where they are known: good images, and defective ones with a mask.
  const known = images.filter((s) => s.label === 0 || s.mask !== null);
  let pixel: Confusion | null = null;
  if (known.some((s) => s.label === 1)) {
    pixel = { tp: 0, fp: 0, tn: 0, fn: 0 };
    const t = Math.fround(decision.pixel);
    for (const s of known) for (let p = 0; p < s.map.length; p++) count(pixel, s.map[p] >= t, s.mask !== null && s.mask[p] !== 0);
  }
  return {
    image: { threshold: decision.image, source: decision.imageSource, confusion: image },
    pixel: { threshold: decision.pixel, source: decision.pixelSource, confusion: pixel },
  };
}
