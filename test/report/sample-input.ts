// A small but realistic ReportInput built from the synthetic generator, with made-up anomaly
// maps (the mask blurred, plus noise, at varying strength so some defects are missed).
// Used by the report tests and by scripts/render-report.ts --sample.
import { renderSample, defectsFor } from '../../runtime/synth/index.ts';
import { Rng } from '../../runtime/synth/rng.ts';
import type { ReportCase, ReportInput, RocPoint } from '../../runtime/report/index.ts';

function boxBlur(mask: Uint8Array, size: number, radius: number): Float32Array {
  const out = new Float32Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let sum = 0;
      let n = 0;
      for (let dy = -radius; dy <= radius; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= size) continue;
        for (let dx = -radius; dx <= radius; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= size) continue;
          sum += mask[yy * size + xx];
          n++;
        }
      }
      out[y * size + x] = sum / n;
    }
  }
  return out;
}

/** Exact ROC points of scores against labels (for the fixture only). */
function roc(scores: number[], labels: number[]): RocPoint[] {
  const order = scores.map((s, i) => [s, labels[i]]).sort((a, b) => b[0] - a[0]);
  const positives = labels.filter((l) => l === 1).length;
  const negatives = labels.length - positives;
  const points: RocPoint[] = [{ fpr: 0, tpr: 0 }];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < order.length; i++) {
    if (order[i][1] === 1) tp++;
    else fp++;
    if (i === order.length - 1 || order[i + 1][0] !== order[i][0]) points.push({ fpr: fp / negatives, tpr: tp / positives });
  }
  return points;
}

export interface SampleOptions {
  pretrained?: boolean;
  size?: number;
  category?: string;
  perDefect?: number;
  goodCount?: number;
  defects?: string[];
}

export function sampleReportInput(options: SampleOptions = {}): ReportInput {
  const size = options.size ?? 64;
  const category = options.category ?? 'nut';
  const defects = options.defects ?? defectsFor(category).slice(0, 3);
  const rng = new Rng(7);
  const cases: ReportCase[] = [];
  const add = (defect: string | null, index: number) => {
    const sample = renderSample(1000 + cases.length, category, defect, size);
    const strength = defect ? rng.range(0.1, 1.2) : 0;
    const blurred = boxBlur(sample.mask, size, Math.max(1, Math.round(size / 32)));
    const map = new Float32Array(size * size);
    for (let i = 0; i < map.length; i++) map[i] = -3 + 0.8 * rng.next() + 4 * strength * blurred[i];
    let score = -Infinity;
    for (const v of map) score = Math.max(score, v);
    cases.push({
      id: String(index).padStart(3, '0'),
      defect: defect ?? 'good',
      label: defect ? 1 : 0,
      score,
      image: { data: sample.image, width: size, height: size },
      mask: defect ? sample.mask : null,
      map,
    });
  };
  for (let i = 0; i < (options.goodCount ?? 4); i++) add(null, i);
  for (const d of defects) for (let i = 0; i < (options.perDefect ?? 3); i++) add(d, i);

  const perType: Record<string, Record<string, number>> = {};
  defects.forEach((d, k) => {
    perType[d] = { image_auroc: 0.9 - 0.1 * k, pixel_auroc: 0.95 - 0.05 * k, aupro: 0.8 - 0.1 * k, f1_max_image: 0.85, f1_max_pixel: 0.5 + 0.01 * k };
  });
  const imageRoc = roc(
    cases.map((c) => c.score),
    cases.map((c) => c.label),
  );
  const pixelRoc: RocPoint[] = Array.from({ length: 2001 }, (_, i) => ({ fpr: i / 2000, tpr: Math.pow(i / 2000, 0.08) }));
  const pro = Array.from({ length: 301 }, (_, i) => ({ fpr: i / 1000, pro: Math.min(1, 3.2 * Math.sqrt(i / 1000)) * 0.9 }));
  return {
    title: `dadf report: synthetic ${category}`,
    pipeline: {
      name: 'dadf-tiny',
      file: 'pipelines/dadf-tiny.dadf',
      resolvedConfigText:
        'pipeline dadf-tiny {\n  input { size: 64, normalize: imagenet }\n  backbone mobilenet_v1 { taps: [conv_pw_3, conv_pw_5, conv_pw_11] }\n  flow { over: [prior, self, memory], steps: 2, clamp: 2.0 }\n}\n',
    },
    backbone: { label: 'mobilenet_v1 (alpha 0.25)', pretrained: options.pretrained ?? false },
    dataset: { root: `synthetic/${category}`, summary: { 'train/good': 20, 'test/good': options.goodCount ?? 4, category } },
    metrics: {
      overall: { image_auroc: 0.8734, pixel_auroc: 0.9412, aupro: 0.7123, f1_max_image: 0.8, f1_max_pixel: 0.4567 },
      perType,
    },
    curves: { roc: imageRoc, pixelRoc, pro },
    cases,
    timings: { 'feature extraction': 3.21, 'stage reconstruct': 75.5, 'stage flow': 12.25, test: 0.42 },
    notes: ['Sample report built from synthetic data and made-up anomaly maps.'],
  };
}
