// The decision part of the exported graph: normalised scores and maps, labels and masks from
// the run's thresholds, exactly as runtime/thresholds/rules.ts computes them (float32
// comparisons score ≥ t; σ((x − t) / spread)).
import type { Decision } from '../thresholds/rules.ts';
import { DataType, type Dim } from './onnx-proto.ts';
import { FLOAT, type GraphBuilder } from './graph.ts';

/** Adds the decision outputs after `maps` [B, S, S] and `scores` [B]. */
export function emitDecision(g: GraphBuilder, maps: string, scores: string, decision: Decision, b: Dim, size: number): void {
  g.scope = 'decision/';
  const normalised = (x: string, threshold: number, spread: number, label: string) =>
    g.node('Sigmoid', [g.div(g.sub(x, g.float(threshold), `${label}.centre`), g.float(spread), `${label}.scale`)], {}, label);
  g.output(
    'normalised_scores',
    normalised(scores, decision.image, decision.imageSpread, 'normalised_scores'),
    FLOAT,
    [b],
    'σ((score − image threshold) / spread): 0.5 at the threshold',
  );
  g.output(
    'labels',
    g.node('GreaterOrEqual', [scores, g.float(decision.image)], {}, 'labels'),
    DataType.BOOL,
    [b],
    'true = defective (score ≥ image threshold)',
  );
  g.output(
    'normalised_maps',
    normalised(maps, decision.pixel, decision.pixelSpread, 'normalised_maps'),
    FLOAT,
    [b, size, size],
    'σ((map − pixel threshold) / spread): 0.5 at the threshold',
  );
  g.output(
    'masks',
    g.node('GreaterOrEqual', [maps, g.float(decision.pixel)], {}, 'masks'),
    DataType.BOOL,
    [b, size, size],
    'true = defective pixel (map ≥ pixel threshold)',
  );
}

/** The thresholds as metadata_props, so a consumer of the file alone knows them. */
export function decisionMetadata(decision: Decision): Record<string, string> {
  return {
    image_threshold: String(decision.image),
    pixel_threshold: String(decision.pixel),
    image_threshold_source: decision.imageSource,
    pixel_threshold_source: decision.pixelSource,
    image_spread: String(decision.imageSpread),
    pixel_spread: String(decision.pixelSpread),
    decision_rule: 'defective when score >= threshold (float32); normalised = sigmoid((x - threshold) / spread)',
  };
}
