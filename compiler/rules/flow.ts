// Rules on the flows: channels to split, a subnet that ends in a conv, a position code whose
// width the 2-D sine-cosine code can fill.
import type { Rule } from './context.ts';

export const couplingSplit: Rule = {
  code: 'DADF4008',
  severity: 'error',
  model: true,
  title: 'a flow with fewer than 2 channels to split',
  check({ dims, tapsKnown, at }, report) {
    if (!tapsKnown) return;
    for (const s of dims.scales) {
      if (s.flowChannels >= 2) continue;
      report(
        `the flow of scale ${s.index + 1} sees ${s.flowChannels} channel (${s.channels} × ${dims.streams.length} streams); a coupling step needs at least 2 to split`,
        at(['flow', 'over']),
      );
    }
  },
};

export const subnetEnd: Rule = {
  code: 'DADF4014',
  severity: 'error',
  model: true,
  title: 'a coupling subnet that does not end with a conv',
  check({ spec, at }, report) {
    const last = spec.flow.subnet[spec.flow.subnet.length - 1];
    if (last === 'conv1x1' || last === 'conv3x3') return;
    report(
      `the coupling subnet must end with a conv that outputs the scale and shift (conv1x1 or conv3x3), not '${typeof last === 'string' ? last : last.type}'`,
      at(['flow', 'subnet', String(spec.flow.subnet.length - 1)]),
    );
  },
};

export const flowPosition: Rule = {
  code: 'DADF4022',
  severity: 'error',
  model: true,
  title: 'a position code width that is not a multiple of 4',
  check({ spec, at }, report) {
    if (spec.flow.position % 4 === 0) return;
    const up = Math.ceil(spec.flow.position / 4) * 4;
    report(
      `flow.position is ${spec.flow.position}, but the 2-D sine-cosine code needs a multiple of 4 channels (sin and cos of rows and of columns)`,
      at(['flow', 'position']),
      `use ${up}`,
    );
  },
};
