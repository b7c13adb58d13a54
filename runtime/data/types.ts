// What a loaded data set is. Paths are absolute; ids name outputs (e.g. `broken_large/000`).
import type { DefectConfig } from '../metrics/spro.ts';

export type Split = 'train' | 'validation' | 'test';
/** `good-only`: normal images alone (no test/): enough to train and to predict, not to measure. */
export type Layout = 'mvtec' | 'loco' | 'plain' | 'good-only';

export interface Sample {
  path: string;
  split: Split;
  /** 'good' or the defect type (the test sub-folder's name). */
  defect: string;
  label: 0 | 1;
  /** Ground-truth files: one for MVTec/plain, one or more (one per defect) for LOCO, none for good. */
  maskPaths: string[];
  /** `<defect>/<file stem>`: unique within a split, used to name maps and overlays. */
  id: string;
  width: number;
  height: number;
}

export interface SkippedFile {
  path: string;
  reason: string;
}

export interface Dataset {
  root: string;
  layout: Layout;
  train: Sample[];
  /** The data set's own validation/good (LOCO, or any layout with one); empty otherwise (derive one with `splitValidation`). */
  validation: Sample[];
  /** Labelled anomalies of validation/<defect>/: used only to choose thresholds (F1-max). */
  validationAnomalies: Sample[];
  test: Sample[];
  /** Test defect types other than 'good', sorted. */
  defectTypes: string[];
  /** Whether anomalous test images carry ground-truth masks (a plain layout may have none). */
  hasMasks: boolean;
  /** MVTec LOCO: defects_config.json, one entry per defect pixel value. */
  defectsConfig?: DefectConfig[];
  /** Unreadable files left out because of `skipBad`. */
  skipped: SkippedFile[];
}

export type { DefectConfig };
