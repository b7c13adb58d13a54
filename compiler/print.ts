// A Spec back to text: the canonical .dadf form (what `print-config` shows) or YAML.
import { stringify } from 'yaml';
import { CALL_SIGNATURES, isObject, type Json, type JsonObject } from './lower.ts';
import type { Spec } from './spec.ts';

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RESERVED = new Set(['true', 'false', 'null', 'pipeline', 'extends']);
/** Keys whose string values read better quoted (paths), even when they look like names. */
/** Calls printed with positional arguments, as people write them: env("VAR", "path"), leaky_relu(0.1). */
const PRINT_POSITIONAL: Record<string, string[]> = { env: ['name', 'default'], leaky_relu: ['slope'] };
const QUOTED_KEYS = new Set(['weights', 'default', 'name']);
/** Collections printed as named blocks: train.stages.flow → `stage flow { … }`, heads.knn → `head knn { … }`. */
const COLLECTIONS: Record<string, string> = { 'train.stages': 'stage', heads: 'head' };

/** A Spec is plain JSON data (TypeBox-validated), so it prints like any JSON object. */
function asJson(spec: Spec | JsonObject): JsonObject {
  return spec as JsonObject;
}

export function toDadf(spec: Spec | JsonObject): string {
  const { name, ...sections } = asJson(spec);
  const lines = [`pipeline ${String(name)} {`];
  for (const [key, value] of Object.entries(sections)) lines.push(...entry(key, value, 1, [key]));
  lines.push('}');
  return lines.join('\n') + '\n';
}

export function toYaml(spec: Spec | JsonObject): string {
  const { name, ...sections } = asJson(spec);
  return stringify({ pipeline: name, ...sections }, { lineWidth: 0, flowCollectionPadding: false });
}

function entry(key: string, value: Json, depth: number, path: string[]): string[] {
  const pad = '  '.repeat(depth);
  if (isObject(value) && !isCall(value)) {
    const collection = COLLECTIONS[path.join('.')];
    if (collection) {
      return Object.entries(value).flatMap(([name, body]) => block(`${collection} ${name}`, body as JsonObject, depth, [...path, name]));
    }
    if (key === 'backbone' && typeof value.arch === 'string') {
      const { arch, ...rest } = value;
      return block(`backbone ${arch}`, rest, depth, path);
    }
    if (key === 'sweep') {
      return [`${pad}sweep {`, ...Object.entries(value).map(([k, v]) => `${pad}  ${k}: ${inline(v, [...path, k])}`), `${pad}}`];
    }
    return block(key, value, depth, path);
  }
  return [`${pad}${key}: ${inline(value, path)}`];
}

function block(head: string, body: JsonObject, depth: number, path: string[]): string[] {
  const pad = '  '.repeat(depth);
  const inner = Object.entries(body).flatMap(([k, v]) => entry(k, v, depth + 1, [...path, k]));
  const oneLine = inner.map((l) => l.trim());
  if (inner.length > 0 && oneLine.every((l) => !l.endsWith('{') && !l.endsWith('}')) && oneLine.join(', ').length <= 72) {
    return [`${pad}${head} { ${oneLine.join(', ')} }`];
  }
  return [`${pad}${head} {`, ...inner, `${pad}}`];
}

function isCall(value: JsonObject): boolean {
  return typeof value.type === 'string' && value.type in CALL_SIGNATURES;
}

function inline(value: Json, path: string[]): string {
  if (value === null) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') {
    const quote = QUOTED_KEYS.has(path[path.length - 1] ?? '') || !IDENT.test(value) || RESERVED.has(value);
    return quote ? JSON.stringify(value) : value;
  }
  if (Array.isArray(value)) return `[${value.map((v, i) => inline(v, [...path, String(i)])).join(', ')}]`;
  if (isCall(value)) {
    const { type, ...args } = value;
    const positional = PRINT_POSITIONAL[String(type)] ?? [];
    const ordered = [
      ...positional.filter((k) => k in args).map((k) => [k, args[k]] as const),
      ...Object.entries(args).filter(([k]) => !positional.includes(k)),
    ];
    const parts = ordered.map(([k, v]) => (positional.includes(k) ? '' : `${k}: `) + inline(v, [...path, k]));
    return `${String(type)}(${parts.join(', ')})`;
  }
  return `{ ${Object.entries(value)
    .map(([k, v]) => `${k}: ${inline(v, [...path, k])}`)
    .join(', ')} }`;
}
