// From raw scores to decisions. Thresholds are learned on the validation split only:
//   good images only   → image threshold = quantile q of their image scores,
//                        pixel threshold = quantile q of their maps' maxima (q = score.threshold.quantile);
//   labelled anomalies → F1-max on the validation images (pixels: on their masks, when they have masks),
//                        placed halfway between the F1-max score and the next lower one.
// A score s is defective when s ≥ t (compared in float32, as the ONNX graph compares).
// Normalised scores: σ((s − t) / spread), the logistic function, so 0.5 is exactly the threshold,
// values stay in (0, 1) and the order of raw scores is kept. spread is the standard deviation of
// the good validation images' scores (image scores for images, map pixels for maps).
import type { Spec } from '../../compiler/spec.ts';
import { UserError } from '../../common/errors.ts';
import { f1Max } from '../metrics/curves.ts';

export type ThresholdSettings = Spec['score']['threshold'];

/** What run.json keeps per scoring (see learn.ts). */
export interface LearnedThresholds {
  rule: 'quantile' | 'f1_max';
  /** The quantile used (rule 'quantile', or the pixel threshold when the anomalies have no masks). */
  quantile: number;
  image: number;
  pixel: number;
  /** How the pixel threshold was chosen (it falls back to the quantile rule without masks). */
  pixelRule: 'quantile' | 'f1_max';
  /** Spreads of the normalisation: standard deviations on the good validation images. */
  imageSpread: number;
  pixelSpread: number;
  validation: { good: number; anomalous: number };
}

/** The thresholds in force: learned ones, or fixed ones from score.threshold.image / .pixel. */
export interface Decision {
  image: number;
  pixel: number;
  imageSpread: number;
  pixelSpread: number;
  /** Where each threshold came from, for people: e.g. "validation quantile 0.99 (12 good images)". */
  imageSource: string;
  pixelSource: string;
}

export interface ValidationScores {
  /** Image scores and maps of the good validation images. */
  good: { score: number; map: Float32Array }[];
  /** Labelled anomalous validation images (mask null when none is known). */
  anomalous: { score: number; map: Float32Array; mask: Uint8Array | null }[];
}

/** Linear-interpolation quantile (numpy's default) of finite values. */
export function quantile(values: ArrayLike<number>, q: number): number {
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0) throw new Error('quantile of no values');
  const position = q * (sorted.length - 1);
  const lo = Math.floor(position);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (position - lo) * (sorted[hi] - sorted[lo]);
}

/** The F1-max threshold of (score ≥ t), moved halfway down to the next lower score so that it does not sit on a sample. */
export function f1MaxThreshold(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const { threshold } = f1Max(scores, labels);
  let below = -Infinity;
  for (let i = 0; i < scores.length; i++) if (scores[i] < threshold && scores[i] > below) below = scores[i];
  return Number.isFinite(below) ? (threshold + below) / 2 : threshold;
}

function spread(values: Iterable<number>): number {
  let n = 0;
  let sum = 0;
  let squares = 0;
  for (const v of values) n++, (sum += v), (squares += v * v);
  if (n < 2) return 0;
  const mean = sum / n;
  return Math.sqrt(Math.max(0, squares / n - mean * mean));
}

function* pixelsOf(maps: { map: Float32Array }[]): Iterable<number> {
  for (const m of maps) yield* m.map;
}

function mapMax(map: Float32Array): number {
  let max = -Infinity;
  for (const v of map) if (v > max) max = v;
  return max;
}

/** Thresholds and normalisation spreads from the validation split's scores (never the test split). */
export function learnThresholds(validation: ValidationScores, settings: ThresholdSettings): LearnedThresholds {
  const { good, anomalous } = validation;
  if (good.length === 0) {
    throw new UserError('thresholds need good validation images, but the validation split is empty', {
      hint: 'set train.validation > 0 (e.g. 0.1) and train again; the test split is never used to choose a threshold',
    });
  }
  const pixelSpread = spread(pixelsOf(good));
  if (!(pixelSpread > 0) || !Number.isFinite(pixelSpread)) {
    throw new UserError(`the maps of the validation images are constant or not finite (spread ${pixelSpread}); no threshold can be learned`, {
      hint: 'Check that training finished without errors, and that the good images are not copies of one image (a detector fitted on copies scores each of them 0).',
    });
  }
  // One validation image has no spread of its own: its pixels' spread is the next best scale.
  const imageSpread = spread(good.map((g) => g.score)) || pixelSpread;
  const q = settings.quantile;
  const counts = { good: good.length, anomalous: anomalous.length };
  const quantileImage = () =>
    quantile(
      good.map((g) => g.score),
      q,
    );
  const quantilePixel = () =>
    quantile(
      good.map((g) => mapMax(g.map)),
      q,
    );
  if (anomalous.length === 0) {
    return {
      rule: 'quantile',
      quantile: q,
      image: quantileImage(),
      pixel: quantilePixel(),
      pixelRule: 'quantile',
      imageSpread,
      pixelSpread,
      validation: counts,
    };
  }
  const all = [...good.map((g) => ({ ...g, label: 0, mask: null })), ...anomalous.map((a) => ({ ...a, label: 1 }))];
  const image = f1MaxThreshold(
    all.map((s) => s.score),
    all.map((s) => s.label),
  );
  const masked = anomalous.every((a) => a.mask !== null);
  let pixel: number;
  if (masked) {
    const size = good[0].map.length;
    const values = new Float32Array(all.length * size);
    const labels = new Uint8Array(all.length * size);
    all.forEach((s, i) => (values.set(s.map, i * size), s.mask && labels.set(s.mask, i * size)));
    pixel = f1MaxThreshold(values, labels);
  } else pixel = quantilePixel();
  return { rule: 'f1_max', quantile: q, image, pixel, pixelRule: masked ? 'f1_max' : 'quantile', imageSpread, pixelSpread, validation: counts };
}

/** The decision in force: the learned thresholds unless score.threshold.image / .pixel fix them. */
export function decide(learned: LearnedThresholds, settings: ThresholdSettings): Decision {
  const { good, anomalous } = learned.validation;
  const images = `${good} good${anomalous ? ` + ${anomalous} anomalous` : ''} validation images`;
  const describe = (rule: 'quantile' | 'f1_max') => (rule === 'quantile' ? `quantile ${learned.quantile} of ${images}` : `F1-max on ${images}`);
  return {
    image: settings.image ?? learned.image,
    pixel: settings.pixel ?? learned.pixel,
    imageSpread: learned.imageSpread,
    pixelSpread: learned.pixelSpread,
    imageSource: settings.image !== undefined ? 'fixed by score.threshold.image' : describe(learned.rule),
    pixelSource: settings.pixel !== undefined ? 'fixed by score.threshold.pixel' : describe(learned.pixelRule),
  };
}

/** Defective when score ≥ threshold, both rounded to float32 (the ONNX graph's comparison). */
export function isDefective(score: number, threshold: number): boolean {
  return Math.fround(score) >= Math.fround(threshold);
}

/** σ((x − t) / spread): 0.5 at the threshold, in (0, 1), monotone in x. */
export function normalise(x: number, threshold: number, spread: number): number {
  return 1 / (1 + Math.exp(-(x - threshold) / spread));
}

/** A whole map normalised with the pixel threshold. */
export function normaliseMap(map: Float32Array, decision: Decision): Float32Array {
  const out = new Float32Array(map.length);
  for (let i = 0; i < map.length; i++) out[i] = normalise(map[i], decision.pixel, decision.pixelSpread);
  return out;
}

/** The binary mask of a map: 1 where the pixel is at or above the pixel threshold. */
export function maskOf(map: Float32Array, decision: Decision): Uint8Array {
  const out = new Uint8Array(map.length);
  for (let i = 0; i < map.length; i++) out[i] = isDefective(map[i], decision.pixel) ? 1 : 0;
  return out;
}
