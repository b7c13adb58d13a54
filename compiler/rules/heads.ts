// Rules on the fitted heads and how the score combines them (DADF4023–DADF4028).
import { headDims } from '../blocks/fitted-heads.ts';
import { declaredHeads, isModelHead, scoreHeads } from '../heads.ts';
import { HEAD_KINDS } from '../spec.ts';
import type { Rule } from './context.ts';

export const headUndeclared: Rule = {
  code: 'DADF4023',
  severity: 'error',
  title: 'score.heads names a fitted head the pipeline does not declare',
  check({ spec, at }, report) {
    spec.score.heads?.forEach((head, i) => {
      if (!(HEAD_KINDS as readonly string[]).includes(head) || declaredHeads(spec).some((k) => k === head)) return;
      report(
        `score.heads names '${head}', but the pipeline declares no ${head} head`,
        at(['score', 'heads', String(i)]),
        `add 'head ${head} { }' (YAML: heads: { ${head}: {} })`,
      );
    });
  },
};

export const headModelSource: Rule = {
  code: 'DADF4024',
  severity: 'error',
  title: 'score.heads names a model map other than score.source',
  check({ spec, at }, report) {
    spec.score.heads?.forEach((head, i) => {
      if (!isModelHead(head) || head === spec.score.source) return;
      report(
        `score.heads names the DADF model's '${head}' map, but score.source is '${spec.score.source}'; the model gives one map, chosen by score.source`,
        at(['score', 'heads', String(i)]),
        `write score.source: ${head}, or name '${spec.score.source}' here`,
      );
    });
  },
};

export const headScale: Rule = {
  code: 'DADF4025',
  severity: 'error',
  title: "a head's scales name a scale that does not exist",
  check({ spec, dims, at }, report) {
    for (const kind of declaredHeads(spec)) {
      spec.heads[kind]?.scales?.forEach((s, i) => {
        if (s <= dims.scales.length) return;
        report(
          `heads.${kind}.scales names scale ${s}, but there are ${dims.scales.length} scales`,
          at(['heads', kind, 'scales', String(i)]),
          `scales are numbered 1 to ${dims.scales.length}, one per backbone tap`,
        );
      });
    }
  },
};

export const headsCalibrate: Rule = {
  code: 'DADF4026',
  severity: 'error',
  title: 'several heads combined without a validation split',
  check({ spec, at }, report) {
    const heads = scoreHeads(spec);
    if (spec.score.heads === undefined || heads.length < 2 || spec.train.validation !== 0) return;
    report(
      `score.heads combines ${heads.length} heads, each standardised on the validation split, but train.validation is 0`,
      at(['score', 'heads']),
      'set train.validation to a fraction such as 0.1, or score one head',
    );
  },
};

export const knnAggregate: Rule = {
  code: 'DADF4027',
  severity: 'error',
  title: 'an even knn neighbourhood',
  check({ spec, at }, report) {
    const knn = spec.heads.knn;
    if (!knn || knn.aggregate % 2 !== 0) return;
    report(
      `heads.knn.aggregate is ${knn.aggregate}; the neighbourhood must have a centre, so its side must be odd`,
      at(['heads', 'knn', 'aggregate']),
      `use ${knn.aggregate - 1} or ${knn.aggregate + 1}`,
    );
  },
};

export const gaussianChannels: Rule = {
  code: 'DADF4028',
  severity: 'error',
  title: 'more Gaussian channels than its scales have',
  check({ spec, dims, at }, report) {
    const gaussian = spec.heads.gaussian;
    if (!gaussian || gaussian.channels <= 0 || (gaussian.scales ?? []).some((s) => s > dims.scales.length)) return;
    const available = headDims(spec, dims, 'gaussian').inputChannels;
    if (gaussian.channels <= available) return;
    report(
      `heads.gaussian.channels is ${gaussian.channels}, but its scales have ${available} channels`,
      at(['heads', 'gaussian', 'channels']),
      `use at most ${available}, or 0 for all`,
    );
  },
};
