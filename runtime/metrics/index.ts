// Public face of the metrics: pure functions on typed arrays (no tfjs).
export { evaluate, Evaluator, type EvalImage, type EvalResult, type ScopeMetrics } from './evaluate.ts';
export { missingMetricNotes } from './notes.ts';
export { auroc, f1Max, LimitedTrapezoid } from './curves.ts';
export { labelComponents } from './components.ts';
export { SPRO_FPR_LIMITS, saturationArea, type DefectConfig } from './spro.ts';
