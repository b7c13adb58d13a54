// Testing a trained run on a data set's test split: maps (in the layout `dadfc eval` reads),
// image scores, exact metrics (at the model's input size; masks resized by nearest), and the
// HTML report with heatmaps. Test images are seen here for the first time.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toDadf } from '../../compiler/print.ts';
import { eachLoadedAhead } from '../../common/ahead.ts';
import { UserError } from '../../common/errors.ts';
import { loadDataset, readImageRgb, readMask, readMaskChannels, summarize, writeMap, type Dataset } from '../data/index.ts';
import type { FeatureCache } from '../features/index.ts';
import { evaluate, missingMetricNotes, type EvalImage, type EvalResult, type ScopeMetrics } from '../metrics/index.ts';
import type { Progress } from '../progress.ts';
import { writeReport, type ReportCase } from '../report/index.ts';
import type { ReportDecision } from '../report/types.ts';
import { decisionOnLabelled } from '../thresholds/confusion.ts';
import { isDefective, normalise, type Decision } from '../thresholds/rules.ts';
import { peakRssMiB } from '../run/rundir.ts';
import { resizeFilter } from '../train/features.ts';
import type { OpenedRun } from './open-run.ts';
import { scoreImages, type ScoredImage } from './score.ts';
import { csvText } from '../../common/format.ts';
import { METRICS } from '../metrics/names.ts';

export interface TestOptions {
  dataDir: string;
  /** Where outputs go (default RUN/test). */
  outDir: string;
  cache: FeatureCache;
  progress: Progress;
  skipBad?: boolean;
  /** Seconds spent so far (training), shown in the report. */
  timings?: Record<string, number>;
  backendName: string;
  /** Another engine's scorer (e.g. onnxruntime); default: the tfjs model via scoreImages. */
  score?: (paths: string[], label: string) => Promise<ScoredImage[]>;
}

export interface TestResult {
  metrics: EvalResult;
  outDir: string;
  reportPath: string;
  dataset: Dataset;
  /** Milliseconds per image of backbone + model at test time. */
  msPerImage: number;
  /** The thresholds and their confusion counts on this test split (absent when the run has no thresholds). */
  decision?: ReportDecision;
}

export async function testRun(opened: OpenedRun, options: TestOptions): Promise<TestResult> {
  const { spec, dims, meta } = opened;
  const dataset = await loadDataset(options.dataDir, { skipBad: options.skipBad });
  for (const s of dataset.skipped) options.progress({ kind: 'log', level: 'warn', message: `skipped ${s.path}: ${s.reason}` });
  const samples = dataset.test;
  if (samples.length === 0) throw noTestImages(dataset.root);
  const size = dims.inputSize;
  // The ground truth is read before anything is written, so that a mask that cannot be read
  // stops the test with its name and no half-written test folder.
  const loco = dataset.layout === 'loco';
  const truth = [];
  for await (const sampleTruth of eachLoadedAhead(samples, 8, async (sample) => ({
    mask: sample.maskPaths.length > 0 ? await readMask(sample, size) : null,
    channels: loco && dataset.defectsConfig ? await readMaskChannels(sample, dataset.defectsConfig, size) : undefined,
  })))
    truth.push(sampleTruth);
  const started = performance.now();
  const paths = samples.map((s) => s.path);
  const scored = options.score
    ? await options.score(paths, 'test')
    : await scoreImages(paths, {
        spec,
        dims,
        backbone: opened.backbone,
        model: opened.model,
        heads: opened.heads,
        cache: options.cache,
        progress: options.progress,
        label: 'test',
        calibration: opened.calibration,
        headCalibration: opened.headCalibration,
      });
  const msPerImage = (performance.now() - started) / Math.max(1, samples.length);

  mkdirSync(options.outDir, { recursive: true });
  const images: EvalImage[] = [];
  const cases: ReportCase[] = [];
  const filter = resizeFilter(spec);
  // The report's thumbnails: each test image decoded again, eight at a time, ahead of this loop.
  let i = 0;
  for await (const rgb of eachLoadedAhead(samples, 8, (sample) => readImageRgb(sample.path, size, filter))) {
    const sample = samples[i];
    const { map, score } = scored[i];
    const { mask, channels } = truth[i++];
    await writeMap(join(options.outDir, 'maps', 'test', `${sample.id}.tiff`), map, size, size);
    images.push({ id: sample.id, defect: sample.defect, label: sample.label, map, mask, width: size, height: size, score, channels });
    cases.push({
      id: sample.id.split('/').pop() ?? sample.id,
      defect: sample.defect,
      label: sample.label,
      score,
      image: { data: Uint8Array.from(rgb), width: size, height: size },
      mask,
      map,
    });
  }
  const metrics = evaluate({ images, defectTypes: dataset.defectTypes, loco });
  const decision = opened.decision;
  const decided =
    decision &&
    decisionOnLabelled(
      decision,
      images.map((im, i) => ({ ...im, score: scored[i].score })),
    );
  writeFileSync(join(options.outDir, 'scores.csv'), scoresCsv(samples, scored, decision));
  const testSeconds = (performance.now() - started) / 1000;

  const pick = (m: ScopeMetrics) => Object.fromEntries(METRICS.filter((k) => m[k] !== null).map((k) => [k, m[k] as number]));
  const report = await writeReport(options.outDir, {
    title: `${spec.name} on ${dataset.root.split(/[\\/]/).filter(Boolean).pop()}`,
    generatedAt: new Date().toISOString(),
    pipeline: { name: spec.name, resolvedConfigText: toDadf(spec), file: meta.pipelineFile },
    backbone: {
      label: opened.backbone.label,
      pretrained: opened.backbone.pretrained,
      hint: 'point backbone.weights at real ImageNet weights (docs/backbones.md); random features score far lower',
    },
    dataset: { root: dataset.root, summary: summarize(dataset) },
    metrics: { overall: pick(metrics), perType: Object.fromEntries(Object.entries(metrics.per_type).map(([k, v]) => [k, pick(v)])) },
    curves: {
      roc: zip(metrics.curves.image_roc.fpr, metrics.curves.image_roc.tpr).map(([fpr, tpr]) => ({ fpr, tpr })),
      pixelRoc: zip(metrics.curves.pixel_roc.fpr, metrics.curves.pixel_roc.tpr).map(([fpr, tpr]) => ({ fpr, tpr })),
      pro: zip(metrics.curves.pro.fpr, metrics.curves.pro.pro).map(([fpr, pro]) => ({ fpr, pro })),
      proFprLimit: 0.3,
    },
    cases,
    decision: decided,
    timings: { ...(options.timings ?? {}), test: testSeconds, 'seconds per image (test)': msPerImage / 1000 },
    memory: { trainPeakRssMiB: meta.peakRssMiB, testPeakRssMiB: peakRssMiB() },
    notes: [
      ...missingMetricNotes(metrics).map((n) => n.replace(/^note: /, '')),
      `Metrics at the model's input size ${size}×${size} (masks resized by nearest neighbour). For the official full-resolution protocol: dadfc eval --maps ${join(options.outDir, 'maps')} --data ${dataset.root}`,
      `Backend: ${options.backendName}. Seed: ${meta.seed}. Validation split from train/good only (${meta.data.validation} images); the test split was not used for any choice.`,
    ],
  });
  return { metrics, outDir: options.outDir, reportPath: report.html, dataset, msPerImage, decision: decided };
}

/** One row per test image; with thresholds, also its normalised score and the label they give (1 = defective). */
function scoresCsv(samples: Dataset['test'], scored: ScoredImage[], decision: Decision | undefined): string {
  const head = ['id', 'defect', 'label', 'score', ...(decision ? ['normalised', 'predicted'] : [])];
  const rows = samples.map((s, i) => {
    const { score } = scored[i];
    const decided = decision ? [String(normalise(score, decision.image, decision.imageSpread)), isDefective(score, decision.image) ? '1' : '0'] : [];
    return [s.id, s.defect, String(s.label), String(score), ...decided];
  });
  return csvText([head, ...rows]);
}

/** Metrics need labelled test images; a good-only folder can train and predict but not test. */
function noTestImages(root: string): UserError {
  return new UserError('this data set has no test images, so there is nothing to measure', {
    where: root,
    hint: 'Metrics need labelled test images: test/good/ and test/<defect>/ (masks optional; see docs/your-data.md). To score unlabelled images: dadfc predict RUN IMAGE_OR_FOLDER...',
  });
}

function zip(a: number[], b: number[]): Array<[number, number]> {
  return a.map((x, i) => [x, b[i]]);
}
