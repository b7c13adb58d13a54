// The runtime's public face: what the CLI, generated modules and users import.
export { initBackend, describeBackend, currentBackend, BACKEND_NAMES, type BackendInfo, type BackendName } from './backend.ts';
export { createModel, type DadfModel, type AnomalyOutput, type Reconstruction } from './model/index.ts';
export { loadBackbone, type Backbone, type BackboneOptions } from './backbones/index.ts';
export { loadDataset, splitValidation, readImageRgb, readMask, type Dataset, type Sample } from './data/index.ts';
export { evaluate, type EvalResult } from './metrics/index.ts';
export { FeatureCache } from './features/index.ts';
export { train, type TrainOptions, type TrainResult } from './train/trainer.ts';
export { openRun, type OpenedRun } from './inference/open-run.ts';
export { testRun, type TestResult } from './inference/test-run.ts';
export { predictStream, type Prediction, type PredictSummary } from './inference/predict.ts';
export { expandInputs } from './inference/inputs.ts';
export { writeReport, type ReportInput } from './report/index.ts';
export { generateSyntheticDataset, renderSample } from './synth/index.ts';
export type { Progress, ProgressEvent } from './progress.ts';
export { modelDims, type ModelDims, type Spec } from '../compiler/index.ts';
