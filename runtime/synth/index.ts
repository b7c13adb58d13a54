// Public face of the synthetic defect data generator (for `dadfc demo` and tests).
export { renderSample, defectsFor, SYNTH_CATEGORIES, type SyntheticSample } from './sample.ts';
export { generateSyntheticDataset, type SyntheticDatasetOptions, type SyntheticDataset } from './dataset.ts';
