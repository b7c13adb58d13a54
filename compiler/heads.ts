// The heads of a pipeline: which maps the score combines (the DADF model by its score.source,
// the fitted Gaussian and patch-memory heads) and which are declared. What each fitted head
// reads and what its state costs is its block description, compiler/blocks/fitted-heads.ts.
import { HEAD_KINDS, MODEL_SOURCES, type HeadKind, type ScoreHead, type Spec } from './spec.ts';

/** The heads whose maps make the anomaly map, in order. */
export function scoreHeads(spec: Spec): ScoreHead[] {
  return spec.score.heads ?? [spec.score.source];
}

export function isModelHead(head: ScoreHead): head is (typeof MODEL_SOURCES)[number] {
  return (MODEL_SOURCES as readonly string[]).includes(head);
}

/** Whether the DADF model (transformer, flows) is built, trained and run: a scored head needs it. */
export function usesModel(spec: Spec): boolean {
  return scoreHeads(spec).some(isModelHead);
}

/** The fitted heads the pipeline declares (all are fitted, scored or not, so that test --set score.heads can switch). */
export function declaredHeads(spec: Spec): HeadKind[] {
  return HEAD_KINDS.filter((k) => spec.heads[k] !== undefined);
}
