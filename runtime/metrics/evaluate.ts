// The one entry point: score a test split from anomaly maps and ground truth, overall and per
// defect type (each type together with the good images), with curves for plotting.
import { UserError } from '../../common/errors.ts';
import { rocOf } from './curves.ts';
import { PixelMetricsBuilder, PRO_FPR_LIMIT } from './pixel-metrics.ts';
import { SproBuilder, SPRO_FPR_LIMITS, type LocoChannel } from './spro.ts';

export interface EvalImage {
  /** Names the image in messages, e.g. `broken_large/000`. */
  id: string;
  /** 'good' or the defect type. */
  defect: string;
  label: 0 | 1;
  map: Float32Array;
  /** 0/1 ground truth at the map's size (width x height); null = no mask (fine for good images). */
  mask: Uint8Array | null;
  width: number;
  height: number;
  /** Image-level score; defaults to the map's maximum. */
  score?: number;
  /** MVTec LOCO only: one entry per ground-truth PNG of the image. */
  channels?: LocoChannel[];
}

export interface ScopeMetrics {
  n_images: number;
  n_good: number;
  n_anomalous: number;
  image_auroc: number | null;
  pixel_auroc: number | null;
  aupro: number | null;
  f1_max_image: number | null;
  f1_max_pixel: number | null;
  f1_threshold_image: number | null;
  f1_threshold_pixel: number | null;
  /** MVTec LOCO only: AUsPRO per FPR limit. */
  auspro?: Record<string, number | null>;
}

interface EvalCurves {
  image_roc: { fpr: number[]; tpr: number[] };
  pixel_roc: { fpr: number[]; tpr: number[] };
  /** PRO against FPR up to FPR 1 (AUPRO integrates it to 0.3). */
  pro: { fpr: number[]; pro: number[] };
}

export interface EvalResult extends ScopeMetrics {
  per_type: Record<string, ScopeMetrics>;
  curves: EvalCurves;
  /** MVTec LOCO only: AUsPRO for logical, structural, and their mean. */
  spro?: Record<string, Record<string, number | null>>;
  /** Defect types whose anomalous images lacked masks: their pixel metrics are null, and the overall ones leave them out. */
  missing_masks?: string[];
}

export interface EvaluatorOptions {
  /** Defect types other than 'good', in report order. */
  defectTypes: string[];
  /** Total pixels expected, to size the tables once. */
  expectedPixels?: number;
  /** Compute LOCO sPRO from each image's `channels`. */
  loco?: boolean;
  proLimit?: number;
}

const LOGICAL = 'logical_anomalies';
const STRUCTURAL = 'structural_anomalies';

/** Streams images in (their maps can be freed after `add`), then computes all metrics. */
export class Evaluator {
  private readonly groupOf = new Map<string, number>();
  private readonly pixels: PixelMetricsBuilder;
  private readonly spro?: SproBuilder;
  private readonly scores: number[] = [];
  private readonly labels: number[] = [];
  private readonly groups: number[] = [];
  private readonly missingMask = new Set<number>();

  constructor(private readonly options: EvaluatorOptions) {
    this.groupOf.set('good', 0);
    for (const type of options.defectTypes) if (type !== 'good') this.groupOf.set(type, this.groupOf.size);
    this.pixels = new PixelMetricsBuilder(this.groupOf.size, options.expectedPixels);
    if (options.loco) this.spro = new SproBuilder(this.groupOf.size, options.expectedPixels);
  }

  add(image: EvalImage): void {
    const group = this.groupOf.get(image.defect);
    if (group === undefined) throw new Error(`image ${image.id}: defect type '${image.defect}' was not declared`);
    // The map goes first: it rejects non-finite values with the clearer message.
    this.pixels.add({ id: image.id, group, map: image.map, mask: image.mask, width: image.width, height: image.height });
    const score = image.score ?? maxOf(image.map);
    if (!Number.isFinite(score)) {
      throw new UserError(`image score is ${score}`, { where: image.id, hint: 'Image scores must be finite numbers.' });
    }
    this.scores.push(score);
    this.labels.push(image.label);
    this.groups.push(group);
    if (image.label === 1 && !image.mask) this.missingMask.add(group);
    if (this.spro) {
      this.spro.add({ id: image.id, group, map: image.map, channels: image.channels ?? [], width: image.width, height: image.height });
    }
  }

  finish(): EvalResult {
    const types = [...this.groupOf.keys()].filter((t) => t !== 'good');
    const scopes = [[...this.groupOf.values()], ...types.map((t) => [0, this.groupOf.get(t)!])];
    // Pixel metrics leave out the types whose anomalous images have no masks (their pixels are
    // unknown, not normal); overall, they are over good and every type with masks.
    const pixelScopes = scopes.map((scope) => scope.filter((g) => !this.missingMask.has(g)));
    const pixel = this.pixels.finish(pixelScopes, this.options.proLimit ?? PRO_FPR_LIMIT);
    const spro = this.spro?.finish(scopes, SPRO_FPR_LIMITS);
    const imageCurves: EvalCurves['image_roc'][] = [];
    const metrics = scopes.map((scope, k): ScopeMetrics => {
      const inScope = new Set(scope);
      const scores: number[] = [];
      const labels: number[] = [];
      for (let i = 0; i < this.scores.length; i++) {
        if (!inScope.has(this.groups[i])) continue;
        scores.push(this.scores[i]);
        labels.push(this.labels[i]);
      }
      const roc = rocOf(scores, labels, 0);
      const curve = roc.sampler.finish();
      imageCurves.push({ fpr: curve.x, tpr: curve.y });
      const pixelsKnown = pixelScopes[k].some((g) => g !== 0);
      const p = pixel[k];
      const anomalous = labels.filter((l) => l === 1).length;
      const result: ScopeMetrics = {
        n_images: labels.length,
        n_good: labels.length - anomalous,
        n_anomalous: anomalous,
        image_auroc: roc.auroc(),
        pixel_auroc: pixelsKnown ? p.pixel_auroc : null,
        aupro: pixelsKnown ? p.aupro : null,
        f1_max_image: roc.f1Max(),
        f1_max_pixel: pixelsKnown ? p.f1_max_pixel : null,
        f1_threshold_image: roc.f1Max() === null ? null : roc.bestF1Threshold,
        f1_threshold_pixel: pixelsKnown ? p.f1_threshold_pixel : null,
      };
      if (spro) result.auspro = spro[k].auspro;
      return result;
    });
    const [overall, ...perType] = metrics;
    const result: EvalResult = {
      ...overall,
      per_type: Object.fromEntries(types.map((t, i) => [t, perType[i]])),
      curves: { image_roc: imageCurves[0], pixel_roc: pixel[0].roc, pro: pixel[0].pro },
    };
    if (spro) {
      delete result.auspro;
      const logical = result.per_type[LOGICAL]?.auspro;
      const structural = result.per_type[STRUCTURAL]?.auspro;
      const mean: Record<string, number | null> = {};
      for (const limit of SPRO_FPR_LIMITS) {
        const key = String(limit);
        const a = logical?.[key];
        const b = structural?.[key];
        mean[key] = typeof a === 'number' && typeof b === 'number' ? (a + b) / 2 : null;
      }
      result.spro = { [LOGICAL]: logical ?? {}, [STRUCTURAL]: structural ?? {}, mean };
    }
    const missing = types.filter((t) => this.missingMask.has(this.groupOf.get(t)!));
    if (missing.length > 0) result.missing_masks = missing;
    return result;
  }
}

/** Scores a whole test split held in memory; see `Evaluator` to stream it instead. */
export function evaluate(input: { images: EvalImage[]; defectTypes?: string[]; loco?: boolean; proLimit?: number }): EvalResult {
  const defectTypes = input.defectTypes ?? [...new Set(input.images.map((i) => i.defect).filter((d) => d !== 'good'))].sort();
  const expectedPixels = input.images.reduce((n, i) => n + i.map.length, 0);
  const loco = input.loco ?? input.images.some((i) => i.channels !== undefined);
  const evaluator = new Evaluator({ defectTypes, expectedPixels, loco, proLimit: input.proLimit });
  for (const image of input.images) evaluator.add(image);
  return evaluator.finish();
}

function maxOf(map: Float32Array): number {
  let max = -Infinity;
  for (let i = 0; i < map.length; i++) if (map[i] > max || Number.isNaN(map[i])) max = map[i];
  return max;
}
