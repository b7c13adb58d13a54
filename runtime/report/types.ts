// What a report is made from. The runtime's test/run commands fill this in; writeReport
// turns it into report.html, heatmap PNGs, metrics.json and metrics.csv.

/** An 8-bit RGB image, row-major HWC. */
interface ReportImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** One scored test image. */
export interface ReportCase {
  /** Stable name within its type, e.g. the file stem '003'. */
  id: string;
  /** Defect type folder ('good' for normal images). */
  defect: string;
  /** 1 for anomalous, 0 for good. */
  label: 0 | 1;
  /** Image-level anomaly score (higher = more anomalous). */
  score: number;
  image: ReportImage;
  /** Ground truth, 0/1 per pixel (width×height), or null where there is none (good images). */
  mask: Uint8Array | null;
  /** Raw per-pixel anomaly scores, width×height, same pixel grid as the image. */
  map: Float32Array;
}

export interface RocPoint {
  fpr: number;
  tpr: number;
}

interface ProPoint {
  fpr: number;
  pro: number;
}

export interface ReportInput {
  title: string;
  /** Shown in the header; omit it for byte-identical reports from identical inputs. */
  generatedAt?: string;
  pipeline: {
    name: string;
    /** The fully resolved pipeline, as `dadfc print-config` shows it. */
    resolvedConfigText: string;
    /** Where the pipeline came from, if from a file. */
    file?: string;
  };
  backbone: {
    /** e.g. 'mobilenet_v1 (alpha 1.0), ImageNet weights from …' */
    label: string;
    pretrained: boolean;
    /** What to do to get pretrained weights; shown in the warning when not pretrained. */
    hint?: string;
  };
  dataset: {
    root: string;
    /** Free text, or counts/facts per name (e.g. { 'train/good': 60, 'test/scratch': 5 }). */
    summary: string | Record<string, number | string>;
  };
  /**
   * Fractions in [0, 1]. Usual keys: image_auroc, pixel_auroc, aupro, f1_max_image, f1_max_pixel.
   * perType is keyed by defect type.
   */
  metrics: {
    overall: Record<string, number>;
    perType: Record<string, Record<string, number>>;
  };
  curves: {
    /** Image-level ROC. */
    roc?: RocPoint[];
    /** Pixel-level ROC. */
    pixelRoc?: RocPoint[];
    /** Per-region overlap against pixel FPR. */
    pro?: ProPoint[];
    /** The FPR up to which AUPRO integrates; default 0.3. */
    proFprLimit?: number;
  };
  cases: ReportCase[];
  /** The thresholds in force and what they give on the test split (reported, never used to choose them). */
  decision?: ReportDecision;
  /** Seconds per stage, in display order. */
  timings: Record<string, number>;
  /** Peak resident memory of the process (MiB) when training ended and when testing ended. */
  memory?: { trainPeakRssMiB?: number; testPeakRssMiB: number };
  notes?: string[];
}

/** Counts of a good/defective decision against the truth. */
export interface Confusion {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

export interface ReportDecision {
  image: { threshold: number; source: string; confusion: Confusion };
  /** Pixel counts over the test images with known masks (good images count as all-good). */
  pixel: { threshold: number; source: string; confusion: Confusion | null };
}

export interface ReportOptions {
  /** How many worst and how many best cases to show per type; default 2 (up to 4 per type). */
  casesPerType?: number;
  /** Embedded images larger than this (px, longest side) are scaled down; default 256. */
  maxThumbnail?: number;
  /** Heatmap opacity over the image; default 0.5. */
  overlayAlpha?: number;
}

export interface ReportFiles {
  /** Path of report.html. */
  html: string;
  metricsJson: string;
  metricsCsv: string;
  /** Every heatmap overlay PNG written, one per case. */
  heatmaps: string[];
}
