// Checker rules of the heads and of how the score combines them (DADF4023–DADF4028).
import type { Diagnostic, SourceRange } from '../grammar/index.ts';
import { modelDims } from './dims.ts';
import { declaredHeads, headDims, isModelHead, scoreHeads } from './heads.ts';
import { HEAD_KINDS, type Spec } from './spec.ts';

const HEAD_CODES = {
  headUndeclared: 'DADF4023',
  headModelSource: 'DADF4024',
  headScale: 'DADF4025',
  headsCalibrate: 'DADF4026',
  knnAggregate: 'DADF4027',
  gaussianChannels: 'DADF4028',
} as const;

type At = (path: string[], part?: 'key' | 'value') => SourceRange;

export function checkHeads(spec: Spec, at: At): Diagnostic[] {
  const out: Diagnostic[] = [];
  const error = (code: string, message: string, range: SourceRange, hint?: string) => out.push({ severity: 'error', code, message, range, hint });
  const heads = scoreHeads(spec);
  const listed = spec.score.heads !== undefined;

  spec.score.heads?.forEach((head, i) => {
    if ((HEAD_KINDS as readonly string[]).includes(head) && !declaredHeads(spec).includes(head as never)) {
      error(HEAD_CODES.headUndeclared, `score.heads names '${head}', but the pipeline declares no ${head} head`, at(['score', 'heads', String(i)]), `add 'head ${head} { }' (YAML: heads: { ${head}: {} })`);
    }
    if (isModelHead(head) && head !== spec.score.source) {
      error(
        HEAD_CODES.headModelSource,
        `score.heads names the DADF model's '${head}' map, but score.source is '${spec.score.source}'; the model gives one map, chosen by score.source`,
        at(['score', 'heads', String(i)]),
        `write score.source: ${head}, or name '${spec.score.source}' here`,
      );
    }
  });

  const dims = modelDims(spec);
  for (const kind of declaredHeads(spec)) {
    spec.heads[kind]!.scales?.forEach((s, i) => {
      if (s > dims.scales.length) {
        error(HEAD_CODES.headScale, `heads.${kind}.scales names scale ${s}, but there are ${dims.scales.length} scales`, at(['heads', kind, 'scales', String(i)]), `scales are numbered 1 to ${dims.scales.length}, one per backbone tap`);
      }
    });
  }
  const gaussian = spec.heads.gaussian;
  if (gaussian && gaussian.channels > 0 && !(gaussian.scales ?? []).some((s) => s > dims.scales.length)) {
    const available = headDims(spec, dims, 'gaussian').inputChannels;
    if (gaussian.channels > available) {
      error(HEAD_CODES.gaussianChannels, `heads.gaussian.channels is ${gaussian.channels}, but its scales have ${available} channels`, at(['heads', 'gaussian', 'channels']), `use at most ${available}, or 0 for all`);
    }
  }
  const knn = spec.heads.knn;
  if (knn && knn.aggregate % 2 === 0) {
    error(HEAD_CODES.knnAggregate, `heads.knn.aggregate is ${knn.aggregate}; the neighbourhood must have a centre, so its side must be odd`, at(['heads', 'knn', 'aggregate']), `use ${knn.aggregate - 1} or ${knn.aggregate + 1}`);
  }
  if (listed && heads.length > 1 && spec.train.validation === 0) {
    error(
      HEAD_CODES.headsCalibrate,
      `score.heads combines ${heads.length} heads, each standardised on the validation split, but train.validation is 0`,
      at(['score', 'heads']),
      'set train.validation to a fraction such as 0.1, or score one head',
    );
  }
  return out;
}
