// Scoring unlabelled images: a score each and a heatmap overlay PNG. Maps are coloured on a
// fixed scale when the run knows its validation range, so heatmaps of separate calls compare.
import { mkdirSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { readImageRgb } from '../data/index.ts';
import type { FeatureCache } from '../features/index.ts';
import type { Progress } from '../progress.ts';
import { overlay } from '../report/colormap.ts';
import { writePng } from '../report/png.ts';
import { resizeFilter } from '../train/features.ts';
import type { OpenedRun } from './open-run.ts';
import { scoreImages, type ScoredImage } from './score.ts';

export interface Prediction {
  image: string;
  score: number;
  heatmap: string;
}

export async function predict(
  opened: OpenedRun,
  images: string[],
  outDir: string,
  ctx: { cache: FeatureCache; progress: Progress; score?: (paths: string[], label: string) => Promise<ScoredImage[]> },
): Promise<Prediction[]> {
  const { spec, dims } = opened;
  const scored = ctx.score
    ? await ctx.score(images, 'predict')
    : await scoreImages(images, { spec, dims, backbone: opened.backbone, model: opened.model, cache: ctx.cache, progress: ctx.progress, label: 'predict', calibration: opened.calibration });
  mkdirSync(outDir, { recursive: true });
  let min = Infinity;
  let max = -Infinity;
  for (const s of scored) for (const v of s.map) (min = Math.min(min, v)), (max = Math.max(max, v));
  const size = dims.inputSize;
  const out: Prediction[] = [];
  const used = new Set<string>();
  for (let i = 0; i < images.length; i++) {
    const rgb = Uint8Array.from(await readImageRgb(images[i], size, resizeFilter(spec)));
    let stem = basename(images[i], extname(images[i]));
    while (used.has(stem)) stem += '_';
    used.add(stem);
    const heatmap = join(outDir, `${stem}.heatmap.png`);
    await writePng(heatmap, overlay(rgb, scored[i].map, { min, max }, 0.5), size, size);
    out.push({ image: images[i], score: scored[i].score, heatmap });
  }
  return out;
}
