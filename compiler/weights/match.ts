// Does a weight file fit an architecture? Resolves each expected tensor name in the file
// (allowing one common prefix such as `module.` or a nested Keras model's name), compares
// shapes, and says which taps can be built and, for those asked for, what is wrong.
import type { BackboneArch } from '../backbones.ts';
import { archLayout, type ArchLayout, type ExpectedTensor } from './layouts.ts';
import type { TensorEntry, WeightFile } from '../../formats/index.ts';

interface WeightProblem {
  kind: 'missing' | 'shape' | 'unavailable';
  expected: ExpectedTensor;
  actual?: TensorEntry;
}

export interface WeightFit {
  arch: BackboneArch;
  alpha: number;
  layout: ArchLayout;
  /** Prefix found before every expected name in the file ('' for most files). */
  prefix: string;
  /** Expected name → name in the file, for every expected tensor found with the right shape. */
  resolved: Map<string, string>;
  /** Taps (network order) whose every needed tensor is present, readable and of the right shape. */
  buildableTaps: string[];
  /** Problems with the tensors that the requested taps need, in network order. */
  problems: WeightProblem[];
  /** Entries of the file that the architecture does not use (a classifier head, BN counters, …). */
  unused: string[];
}

function findPrefix(names: string[], first: string): string {
  if (names.includes(first)) return '';
  for (const n of names) {
    if (n.endsWith(first)) {
      const prefix = n.slice(0, n.length - first.length);
      if (prefix.endsWith('.') || prefix.endsWith('/')) return prefix;
    }
  }
  return '';
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** How `file` fits `arch`; `taps` (table names) default to all of the architecture's taps. */
export function fitWeights(file: WeightFile, arch: BackboneArch, alpha = 1, taps?: string[]): WeightFit {
  const layout = archLayout(arch, alpha);
  const names = [...file.entries.keys()];
  const prefix = findPrefix(names, layout.units[0].tensors[0].name);
  const resolved = new Map<string, string>();
  const problemOf = new Map<string, WeightProblem>();
  for (const unit of layout.units) {
    for (const t of unit.tensors) {
      const actual = file.entries.get(prefix + t.name) ?? file.entries.get(t.name);
      if (!actual) problemOf.set(t.name, { kind: 'missing', expected: t });
      else if (!sameShape(actual.shape, t.shape)) problemOf.set(t.name, { kind: 'shape', expected: t, actual });
      else if (!actual.available) problemOf.set(t.name, { kind: 'unavailable', expected: t, actual });
      else resolved.set(t.name, actual.name);
    }
  }
  const buildableTaps: string[] = [];
  for (const unit of layout.units) {
    if (unit.tensors.some((t) => problemOf.has(t.name))) break;
    buildableTaps.push(unit.tap);
  }
  const wanted = taps ?? layout.units.map((u) => u.tap);
  let deepest = -1;
  for (const tap of wanted)
    deepest = Math.max(
      deepest,
      layout.units.findIndex((u) => u.tap === tap),
    );
  const problems = layout.units
    .slice(0, deepest + 1)
    .flatMap((u) => u.tensors)
    .map((t) => problemOf.get(t.name))
    .filter((p): p is WeightProblem => p !== undefined);
  const used = new Set(resolved.values());
  for (const p of problemOf.values()) if (p.actual) used.add(p.actual.name);
  const unused = names.filter((n) => !used.has(n));
  return { arch, alpha, layout, prefix, resolved, buildableTaps, problems, unused };
}

/** A readable account of the first problems: what was expected and what the file has. */
export function describeProblems(fit: WeightFit, max = 5): string {
  const lines = fit.problems.slice(0, max).map((p) => {
    const want = `${p.expected.name} [${p.expected.shape.join(', ')}] (layer ${p.expected.layer})`;
    if (p.kind === 'missing') return `missing ${want}`;
    if (p.kind === 'shape')
      return `${p.actual!.name}: shape [${p.actual!.shape.join(', ')}], expected [${p.expected.shape.join(', ')}] (layer ${p.expected.layer})`;
    return `${p.actual!.location} holds ${want}`;
  });
  if (fit.problems.length > max) lines.push(`… and ${fit.problems.length - max} more`);
  if (fit.problems.some((p) => p.kind === 'missing') && fit.unused.length > 0) {
    lines.push(`the file has instead e.g. ${fit.unused.slice(0, 4).join(', ')}${fit.unused.length > 4 ? ', …' : ''}`);
  }
  return lines.join('\n');
}
