// Which cases the report shows: per type, the worst and the best by image score.
// Anomalous: worst = lowest score (most missed), best = highest. Good: worst = highest
// score (closest to a false alarm), best = lowest.
import type { ReportCase } from './types.ts';

export interface ShownCase {
  item: ReportCase;
  kind: 'worst' | 'best';
}

/** Types in display order: defect types alphabetically, then 'good'. */
export function typesInOrder(cases: readonly ReportCase[]): string[] {
  const types = [...new Set(cases.map((c) => c.defect))];
  return types.sort((a, b) => (a === 'good' ? 1 : b === 'good' ? -1 : a.localeCompare(b)));
}

export function selectCases(cases: readonly ReportCase[], type: string, perKind: number): ShownCase[] {
  const ofType = cases.filter((c) => c.defect === type);
  // Most anomalous-looking first; ties by id so the choice is stable.
  const byScore = [...ofType].sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
  const anomalous = ofType.some((c) => c.label === 1);
  const worstFirst = anomalous ? [...byScore].reverse() : byScore;
  const worst = worstFirst.slice(0, perKind);
  const best = [...worstFirst]
    .reverse()
    .filter((c) => !worst.includes(c))
    .slice(0, perKind);
  return [...worst.map((item) => ({ item, kind: 'worst' as const })), ...best.map((item) => ({ item, kind: 'best' as const }))];
}
