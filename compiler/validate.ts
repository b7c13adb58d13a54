// Schema validation of a merged pipeline with ajv (the schema is the TypeBox Spec), defaults
// filled in, and every ajv error turned into a diagnostic at the YAML/.dadf range it is about.
import AjvModule, { type ErrorObject } from 'ajv';
import type { Diagnostic, SourceRange } from '../grammar/index.ts';
import { pointer, type Json, type JsonObject, type SourceMap } from './lower.ts';
import { PipelineSpec, type Spec } from './spec.ts';
import { didYouMean } from './suggest.ts';

const Ajv = AjvModule as unknown as typeof AjvModule.default;
// The schema is generated from TypeBox, so checking it against the JSON Schema meta-schema at
// every start-up (half of ajv's compile time) buys nothing; a test validates it once. Nor does
// optimising the generated code, for a validator that runs a few times per process.
const ajv = new Ajv({ useDefaults: true, allErrors: true, strict: false, validateSchema: false, code: { optimize: false } });
let compiled: ReturnType<typeof ajv.compile> | undefined;
/** Compiled on first use: verbs that never validate a pipeline do not pay for it. */
const specValidator = () => (compiled ??= ajv.compile(PipelineSpec));

/** A JSON Schema node, as far as the messages need it. */
interface SchemaNode {
  type?: string;
  enum?: string[];
  const?: unknown;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  anyOf?: SchemaNode[];
  additionalProperties?: SchemaNode | boolean;
  description?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
}

export interface Located {
  sources: SourceMap;
  /** Where to point when nothing closer is known (the pipeline's name). */
  fallback: SourceRange;
}

/** Validates and fills defaults. Returns the Spec only when there is no error. */
export function validate(raw: JsonObject, where: Located): { spec?: Spec; diagnostics: Diagnostic[] } {
  const data = structuredClone(raw);
  const validateSpec = specValidator();
  if (validateSpec(data)) return { spec: data as unknown as Spec, diagnostics: [] };
  return { diagnostics: toDiagnostics(validateSpec.errors ?? [], raw, where) };
}

/**
 * A Spec stored by an earlier version (a run's spec.json) brought up to the current schema: keys
 * added since then get their defaults. Undefined when it no longer validates.
 */
export function upgradeStoredSpec(stored: unknown): Spec | undefined {
  const data = structuredClone(stored);
  return specValidator()(data) ? (data as unknown as Spec) : undefined;
}

function toDiagnostics(errors: ErrorObject[], raw: JsonObject, where: Located): Diagnostic[] {
  // Branch errors of a union are noise once the union itself is reported.
  const unionPaths = errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath);
  const kept = errors.filter((e) => e.keyword === 'anyOf' || !unionPaths.some((p) => e.instancePath === p || e.instancePath.startsWith(p + '/')));
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const e of kept) {
    const d = describe(e, raw, where);
    const key = `${d.code}|${d.range.start.offset}|${d.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(d);
    }
  }
  return out;
}

function describe(e: ErrorObject, raw: JsonObject, where: Located): Diagnostic {
  const path = splitPointer(e.instancePath);
  const dotted = path.join('.') || 'the pipeline';
  const value = valueAt(raw, path);
  const schema = schemaAt(e.schemaPath);
  const valueRange = rangeOf(where, path, 'value');
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String((e.params as { additionalProperty: string }).additionalProperty);
      const parent = schemaAt(e.schemaPath.replace(/\/additionalProperties$/, ''));
      const known = Object.keys(parent?.properties ?? {});
      const hint = didYouMean(key, known);
      return {
        severity: 'error',
        code: 'DADF3001',
        message: `unknown key '${key}' in ${path.length ? `'${dotted}'` : 'the pipeline'}${hint ? `; ${hint}` : ''}`,
        range: rangeOf(where, [...path, key], 'key'),
        hint: `known keys: ${known.join(', ')}`,
      };
    }
    case 'required': {
      const missing = String((e.params as { missingProperty: string }).missingProperty);
      const sub = schemaAt(`${e.schemaPath.replace(/\/required$/, '')}/properties/${missing}`);
      return {
        severity: 'error',
        code: 'DADF3005',
        message: `missing required key '${[...path, missing].join('.')}'`,
        range: rangeOf(where, path, 'key'),
        hint: sub?.description ? `${missing}: ${sub.description}` : undefined,
      };
    }
    case 'enum': {
      const allowed = (e.params as { allowedValues: string[] }).allowedValues.map(String);
      const hint = typeof value === 'string' ? didYouMean(value, allowed) : '';
      return {
        severity: 'error',
        code: 'DADF3003',
        message: `'${dotted}' cannot be ${show(value)}${hint ? `; ${hint}` : ''}`,
        range: valueRange,
        hint: `allowed: ${allowed.join(', ')}`,
      };
    }
    case 'anyOf': {
      const options = (schema?.anyOf ?? []).map(describeSchema).join(' | ');
      const names = (schema?.anyOf ?? []).flatMap((s) => s.enum ?? (s.properties?.type?.const ? [String(s.properties.type.const)] : []));
      const hint = typeof value === 'string' ? didYouMean(value, names) : '';
      return {
        severity: 'error',
        code: 'DADF3003',
        message: `'${dotted}' cannot be ${show(value)}${hint ? `; ${hint}` : ''}`,
        range: valueRange,
        hint: `expected ${options}`,
      };
    }
    case 'type': {
      const expected = String((e.params as { type: string }).type);
      return {
        severity: 'error',
        code: 'DADF3002',
        message: `'${dotted}' must be ${article(expected)}, got ${show(value)}`,
        range: valueRange,
        hint: schema?.description,
      };
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const { comparison, limit } = e.params as { comparison: string; limit: number };
      return {
        severity: 'error',
        code: 'DADF3004',
        message: `'${dotted}' must be ${comparison} ${limit}, got ${show(value)}`,
        range: valueRange,
        hint: schemaAt(e.schemaPath.replace(/\/[^/]+$/, ''))?.description,
      };
    }
    case 'minItems':
    case 'maxItems': {
      const { limit } = e.params as { limit: number };
      return {
        severity: 'error',
        code: 'DADF3004',
        message: `'${dotted}' must have ${e.keyword === 'minItems' ? 'at least' : 'at most'} ${limit} item${limit === 1 ? '' : 's'}, got ${Array.isArray(value) ? value.length : show(value)}`,
        range: valueRange,
      };
    }
    case 'uniqueItems': {
      const { i: a, j: b } = e.params as { i: number; j: number };
      const [j, i] = [Math.min(a, b), Math.max(a, b)];
      return {
        severity: 'error',
        code: 'DADF3006',
        message: `'${dotted}' lists ${show(Array.isArray(value) ? value[i] : null)} twice`,
        range: rangeOf(where, [...path, String(i)], 'value'),
        hint: `items ${j + 1} and ${i + 1} are equal; each may appear once`,
      };
    }
    default:
      return { severity: 'error', code: 'DADF3000', message: `'${dotted}' ${e.message ?? 'is invalid'}`, range: valueRange };
  }
}

function describeSchema(s: SchemaNode): string {
  if (s.enum) return s.enum.join(' | ');
  if (s.const !== undefined) return String(s.const);
  const typeConst = s.properties?.type?.const;
  if (typeConst !== undefined) {
    const args = Object.keys(s.properties ?? {}).filter((k) => k !== 'type');
    return `${String(typeConst)}(${args.join(', ')})`;
  }
  return s.type ? article(s.type) : 'a value';
}

const article = (type: string) => (type === 'integer' ? 'an integer' : type === 'array' ? 'a list' : type === 'object' ? 'a block { … }' : `a ${type}`);

function show(value: Json | undefined): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return `'${value}'`;
  if (Array.isArray(value)) return 'a list';
  if (value !== null && typeof value === 'object') return 'a block';
  return String(value);
}

function splitPointer(p: string): string[] {
  return p === ''
    ? []
    : p
        .slice(1)
        .split('/')
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function valueAt(raw: Json, path: string[]): Json | undefined {
  let v: Json | undefined = raw;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = Array.isArray(v) ? v[Number(k)] : v[k];
  }
  return v;
}

/** The schema node an ajv schemaPath points to (the keyword itself is stripped). */
function schemaAt(schemaPath: string): SchemaNode | undefined {
  let node: unknown = PipelineSpec;
  for (const part of schemaPath.replace(/^#\/?/, '').split('/').filter(Boolean)) {
    if (node === null || typeof node !== 'object') return undefined;
    const next: unknown = (node as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    if (next === undefined) return node as SchemaNode;
    node = next;
  }
  return node as SchemaNode;
}

/** The range of a path's key or value; the nearest ancestor that has one otherwise. */
export function rangeOf(where: Located, path: string[], part: 'key' | 'value'): SourceRange {
  for (let n = path.length; n >= 0; n--) {
    const entry = where.sources.get(pointer(path.slice(0, n)));
    if (entry) return (n === path.length && part === 'value' ? entry.value : entry.key) ?? entry.value;
  }
  return where.fallback;
}
