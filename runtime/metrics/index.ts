// Public face of the metrics: pure functions on typed arrays (no tfjs).
export { evaluate, Evaluator, type EvalImage, type EvalResult, type ScopeMetrics, type EvalCurves, type EvaluatorOptions } from './evaluate.ts';
export { auroc, f1Max, rocOf, LimitedTrapezoid, RocAccumulator } from './curves.ts';
export { labelComponents } from './components.ts';
export { PixelMetricsBuilder, PRO_FPR_LIMIT, type PixelImage, type PixelMetrics } from './pixel-metrics.ts';
export { SproBuilder, SPRO_FPR_LIMITS, saturationArea, type DefectConfig, type LocoChannel, type SproImage, type SproMetrics } from './spro.ts';
