// Scoring unlabelled images in a stream: batches of images go through the model and leave as
// files (raw map as float32 TIFF, binary mask PNG, overlay PNG) and one result each, so memory
// stays flat however many images there are. Decisions use the run's thresholds (validation
// split, docs/thresholds.md); overlays colour the normalised map on the fixed scale [0, 1], 0.5
// being the pixel threshold, so heatmaps of separate calls compare. An image that cannot be
// read is reported and skipped; the others are still scored.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isUserError, UserError } from '../../common/errors.ts';
import { readImageRgb, writeMap } from '../data/index.ts';
import { FeatureCache } from '../features/index.ts';
import { silentProgress, type Progress } from '../progress.ts';
import { overlay } from '../report/colormap.ts';
import { writePng } from '../report/png.ts';
import { isDefective, maskOf, normalise, normaliseMap, type Decision } from '../thresholds/rules.ts';
import { resizeFilter } from '../train/features.ts';
import type { PredictInput } from './inputs.ts';
import type { OpenedRun } from './open-run.ts';
import { scoreImages, type ScoredImage } from './score.ts';

export interface Prediction {
  kind: 'prediction';
  image: string;
  id: string;
  /** The raw image score (higher = more anomalous). */
  score: number;
  /** σ((score − t) / spread): 0.5 at the image threshold. */
  normalised: number;
  label: 'good' | 'defective';
  /** Files written: raw map (float32 TIFF), binary mask PNG, overlay PNG. */
  map: string;
  mask: string;
  overlay: string;
}

export interface Skipped {
  kind: 'skipped';
  image: string;
  reason: string;
}

export interface PredictSummary {
  kind: 'summary';
  images: number;
  good: number;
  defective: number;
  skipped: number;
  imageThreshold: number;
  pixelThreshold: number;
  out: string;
}

/** Scores a batch of images; engines may also return the label and mask their graph computed. */
export type BatchScorer = (paths: string[]) => Promise<ScoredImage[]>;

const BATCH = 8;

/**
 * The tfjs model as a BatchScorer. Its feature cache is memory-only and small: images to
 * predict are new, and keeping their features (on disk or in memory) would make memory or the
 * cache folder grow with the number of images.
 */
export function tfjsScorer(opened: OpenedRun): BatchScorer {
  const cache = FeatureCache.open({ dir: null, maxMemoryBytes: 32 * 2 ** 20 });
  return (paths) => scoreImages(paths, { ...opened, cache, progress: silentProgress, label: 'predict', calibration: opened.calibration });
}

/** The run's decision, or a clear error when it has none. */
export function requireDecision(opened: OpenedRun): Decision {
  if (opened.decision) return opened.decision;
  throw new UserError('this run has no thresholds: it was trained with an empty validation split', {
    where: opened.run.path,
    hint: 'train it again with train.validation > 0 (e.g. 0.1) and at least 2 good images, so that one is held out; thresholds are learned on the validation split only',
  });
}

/** Scores the inputs batch by batch, writes each image's files under outDir and yields one result per image, then the summary. */
export async function* predictStream(
  opened: OpenedRun,
  inputs: PredictInput[],
  outDir: string,
  ctx: { score: BatchScorer; progress: Progress },
): AsyncGenerator<Prediction | Skipped | PredictSummary> {
  const decision = requireDecision(opened);
  const size = opened.dims.inputSize;
  const filter = resizeFilter(opened.spec);
  const counts = { good: 0, defective: 0, skipped: 0 };
  const id = 'predict';
  const started = performance.now();
  ctx.progress({ kind: 'phase', id, label: 'predict', total: inputs.length, unit: 'img' });
  let done = 0;
  for (let start = 0; start < inputs.length; start += BATCH) {
    const batch = inputs.slice(start, start + BATCH);
    for (const result of await scoreBatch(batch, ctx.score)) {
      done++;
      if ('reason' in result) {
        counts.skipped++;
        ctx.progress({ kind: 'log', level: 'warn', message: `skipped ${result.input.path}: ${result.reason}` });
        yield { kind: 'skipped', image: result.input.path, reason: result.reason };
        continue;
      }
      const prediction = await writeOutputs(result.input, result.scored, decision, { outDir, size, filter });
      counts[prediction.label]++;
      yield prediction;
    }
    ctx.progress({ kind: 'tick', id, done, total: inputs.length, info: { defective: counts.defective } });
  }
  ctx.progress({ kind: 'phase-end', id, seconds: (performance.now() - started) / 1000 });
  yield { kind: 'summary', images: inputs.length, ...counts, imageThreshold: decision.image, pixelThreshold: decision.pixel, out: outDir };
}

type BatchResult = { input: PredictInput; scored: ScoredImage } | { input: PredictInput; reason: string };

/** The whole batch at once; when an image in it cannot be read, each image alone so the others still count. */
async function scoreBatch(batch: PredictInput[], score: BatchScorer): Promise<BatchResult[]> {
  try {
    const scored = await score(batch.map((b) => b.path));
    return batch.map((input, i) => ({ input, scored: scored[i] }));
  } catch (error) {
    if (!unreadableImage(error) || batch.length === 1) {
      if (batch.length === 1 && unreadableImage(error)) return [{ input: batch[0], reason: error.message }];
      throw error;
    }
    const out: BatchResult[] = [];
    for (const input of batch) out.push(...(await scoreBatch([input], score)));
    return out;
  }
}

function unreadableImage(error: unknown): error is UserError {
  return isUserError(error) && error.message.startsWith('cannot read image');
}

async function writeOutputs(
  input: PredictInput,
  scored: ScoredImage,
  decision: Decision,
  o: { outDir: string; size: number; filter: ReturnType<typeof resizeFilter> },
): Promise<Prediction> {
  const { size } = o;
  const base = join(o.outDir, input.id);
  mkdirSync(dirname(base), { recursive: true });
  const files = { map: `${base}.map.tiff`, mask: `${base}.mask.png`, overlay: `${base}.overlay.png` };
  const mask = scored.mask ?? maskOf(scored.map, decision);
  const rgb = Uint8Array.from(await readImageRgb(input.path, size, o.filter));
  await writeMap(files.map, scored.map, size, size);
  await writePng(
    files.mask,
    mask.map((v) => v * 255),
    size,
    size,
    1,
  );
  await writePng(files.overlay, overlay(rgb, normaliseMap(scored.map, decision), { min: 0, max: 1 }, 0.5), size, size);
  const defective = scored.label !== undefined ? scored.label === 1 : isDefective(scored.score, decision.image);
  return {
    kind: 'prediction',
    image: input.path,
    id: input.id,
    score: scored.score,
    normalised: scored.normalised ?? normalise(scored.score, decision.image, decision.imageSpread),
    label: defective ? 'defective' : 'good',
    ...files,
  };
}
