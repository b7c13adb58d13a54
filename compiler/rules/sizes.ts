// Rules on sizes: one patch per tap, patches that divide their maps into one token grid,
// heads that divide the width, as many memory tokens as tokens, an input large enough.
import type { Rule } from './context.ts';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export const patchCount: Rule = {
  code: 'DADF4003',
  severity: 'error',
  model: true,
  title: 'a patch count that differs from the tap count',
  check({ spec, taps, at }, report) {
    if (spec.embed.patch.length === taps.length) return;
    report(
      `embed.patch has ${plural(spec.embed.patch.length, 'size')} but the backbone has ${plural(taps.length, 'tap')}`,
      at(['embed', 'patch']),
      'give one patch size per tap, shallow to deep (e.g. [4, 2, 1] for strides 4/8/16)',
    );
  },
};

export const patchDivides: Rule = {
  code: 'DADF4004',
  severity: 'error',
  model: true,
  title: 'a patch that does not divide its feature map',
  check({ spec, dims, taps, tapsKnown, at }, report) {
    if (!tapsKnown || spec.embed.patch.length !== taps.length) return;
    for (const s of dims.scales) {
      if (s.size % s.patch === 0) continue;
      const divisors = Array.from({ length: s.size }, (_, k) => k + 1).filter((d) => s.size % d === 0);
      report(
        `patch ${s.patch} does not divide the ${s.size}×${s.size} feature map of '${s.tap}' (stride ${s.stride} at input ${spec.input.size})`,
        at(['embed', 'patch', String(s.index)]),
        `use a divisor of ${s.size}: ${divisors.join(', ')}`,
      );
    }
  },
};

export const tokenGrid: Rule = {
  code: 'DADF4005',
  severity: 'error',
  model: true,
  title: 'scales that reach different token grids',
  check({ spec, dims, taps, tapsKnown, at }, report) {
    if (!tapsKnown || spec.embed.patch.length !== taps.length || dims.scales.some((s) => s.size % s.patch !== 0)) return;
    const first = dims.scales[0];
    for (const s of dims.scales.slice(1)) {
      if (s.grid === first.grid) continue;
      const fitting = dims.scales.map((x) => x.size / first.grid);
      report(
        `scale ${s.index + 1} ('${s.tap}', ${s.size}×${s.size}, patch ${s.patch}) gives ${s.grid}×${s.grid} tokens but scale 1 gives ${first.grid}×${first.grid}; every scale must reach the same token grid`,
        at(['embed', 'patch', String(s.index)]),
        fitting.every(Number.isInteger)
          ? `for ${first.grid}×${first.grid} tokens use patch: [${fitting.join(', ')}]`
          : 'choose patches so that feature size / patch is equal at every scale',
      );
    }
  },
};

export const headsDivide: Rule = {
  code: 'DADF4006',
  severity: 'error',
  model: true,
  title: 'heads that do not divide the token width',
  check({ spec, dims, taps, at }, report) {
    if (dims.width % spec.transformer.heads === 0) return;
    const divisors = Array.from({ length: Math.min(dims.width, 64) }, (_, k) => k + 1).filter((d) => dims.width % d === 0);
    report(
      `${spec.transformer.heads} heads do not divide the token width ${dims.width} (embed.dim ${spec.embed.dim} × ${taps.length} scales)`,
      at(['transformer', 'heads']),
      `use heads in ${divisors.join(', ')}, or change embed.dim`,
    );
  },
};

export const memoryTokens: Rule = {
  code: 'DADF4007',
  severity: 'error',
  model: true,
  title: 'memory tokens that differ from the token count',
  check({ spec, dims, gridsAgree, at }, report) {
    if (!gridsAgree || spec.transformer.memory.tokens === dims.tokens) return;
    report(
      `memory tokens (${spec.transformer.memory.tokens}) must equal the token count ${dims.tokens} (${dims.grid}×${dims.grid})`,
      at(['transformer', 'memory', 'tokens']),
      `set transformer.memory.tokens: ${dims.tokens}`,
    );
  },
};

export const inputTooSmall: Rule = {
  code: 'DADF4016',
  severity: 'error',
  title: 'an input too small for a tap',
  check({ spec, dims, at }, report) {
    const tooSmall = dims.scales.find((s) => Number.isFinite(s.size) && s.size < 1);
    if (tooSmall) report(`input.size ${spec.input.size} is too small for tap '${tooSmall.tap}'`, at(['input', 'size']));
  },
};
