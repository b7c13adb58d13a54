// Lowering: the AST of either front end → plain JSON plus a source map from JSON paths
// to source ranges. Surface sugar is removed here, so both front ends meet in one form:
//   backbone mobilenet_v1 { … }  ≡  backbone: { arch: mobilenet_v1, … }
//   stage flow { … }             ≡  stages.flow: { … }   (inside train)
//   adamw(lr: 1e-4)              ≡  { type: adamw, lr: 1e-4 }
//   leaky_relu(0.1)              ≡  { type: leaky_relu, slope: 0.1 }
//   a.b.c: v                     ≡  a: { b: { c: v } }
import type { Block, Diagnostic, PipelineDecl, Property, SourceRange, Value } from '../grammar/index.ts';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** Where each JSON path (a JSON pointer such as `/flow/over/0`) came from. */
export interface SourceEntry {
  key?: SourceRange;
  value: SourceRange;
}
export type SourceMap = Map<string, SourceEntry>;

/** Positional parameters of the calls the language knows; all other arguments are named. */
export const CALL_SIGNATURES: Record<string, string[]> = {
  adamw: ['lr'],
  adam: ['lr'],
  sgd: ['lr'],
  leaky_relu: ['slope'],
  env: ['name', 'default'],
};

/** Blocks whose label names a field of the block. */
const LABEL_FIELDS: Record<string, string> = { backbone: 'arch' };
/** Blocks that are entries of a named collection: `stage NAME {}` → `stages.NAME`. */
const COLLECTION_BLOCKS: Record<string, string> = { stage: 'stages', head: 'heads' };

export const pointer = (path: readonly string[]) => (path.length ? '/' + path.map(escapePointer).join('/') : '');
const escapePointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

export interface Lowered {
  raw: JsonObject;
  sources: SourceMap;
  diagnostics: Diagnostic[];
}

export function lowerPipeline(decl: PipelineDecl): Lowered {
  const out: Lowered = { raw: {}, sources: new Map(), diagnostics: [] };
  lowerEntries(decl.body, [], out);
  return out;
}

/** Lowers one value (used for `--set key=value` too). */
function lowerValue(value: Value, path: string[], out: Lowered): Json {
  out.sources.set(pointer(path), { ...out.sources.get(pointer(path)), value: value.range });
  switch (value.kind) {
    case 'number':
    case 'string':
    case 'boolean':
      return value.value;
    case 'ident':
      return value.value;
    case 'null':
      return null;
    case 'list':
      return value.items.map((item, i) => lowerValue(item, [...path, String(i)], out));
    case 'object': {
      const obj: JsonObject = {};
      for (const entry of value.entries) assignProperty(obj, entry, path, out);
      return obj;
    }
    case 'call': {
      const obj: JsonObject = { type: value.name };
      out.sources.set(pointer([...path, 'type']), { value: value.nameRange });
      const params = CALL_SIGNATURES[value.name] ?? [];
      value.args.forEach((arg, i) => {
        const param = params[i];
        if (param === undefined) {
          out.diagnostics.push({
            severity: 'error',
            code: 'DADF2005',
            message:
              params.length === 0
                ? `${value.name}(…) takes named arguments only`
                : `${value.name}(…) takes at most ${params.length} positional argument${params.length > 1 ? 's' : ''} (${params.join(', ')})`,
            range: arg.range,
            hint: 'write the argument as name: value',
          });
          return;
        }
        obj[param] = lowerValue(arg, [...path, param], out);
      });
      for (const named of value.named) assignProperty(obj, named, path, out);
      return obj;
    }
  }
}

function lowerEntries(entries: Array<Property | Block>, path: string[], out: Lowered): void {
  const target = objectAt(out.raw, path);
  for (const entry of entries) {
    if (entry.kind === 'property') assignProperty(target, entry, path, out);
    else lowerBlock(entry, path, out);
  }
}

function lowerBlock(block: Block, path: string[], out: Lowered): void {
  const collection = COLLECTION_BLOCKS[block.keyword];
  let blockPath: string[];
  if (collection) {
    if (!block.label) {
      out.diagnostics.push({
        severity: 'error',
        code: 'DADF2003',
        message: `'${block.keyword}' needs a name, e.g. '${block.keyword} reconstruct { … }'`,
        range: block.keywordRange,
      });
      return;
    }
    blockPath = [...path, collection, block.label.value];
    out.sources.set(pointer([...path, collection]), { key: block.keywordRange, value: block.range });
    out.sources.set(pointer(blockPath), { key: block.label.range, value: block.range });
  } else {
    blockPath = [...path, block.keyword];
    out.sources.set(pointer(blockPath), { key: block.keywordRange, value: block.range });
    if (block.label) {
      const field = LABEL_FIELDS[block.keyword];
      if (!field) {
        out.diagnostics.push({
          severity: 'error',
          code: 'DADF2004',
          message: `block '${block.keyword}' takes no name; '${block.label.value}' is not expected here`,
          range: block.label.range,
          hint: `write '${block.keyword} { … }'`,
        });
      } else {
        objectAt(out.raw, blockPath)[field] = block.label.value;
        out.sources.set(pointer([...blockPath, field]), { key: block.label.range, value: block.label.range });
      }
    }
  }
  objectAt(out.raw, blockPath);
  lowerEntries(block.body, blockPath, out);
}

function assignProperty(target: JsonObject, prop: Property, basePath: string[], out: Lowered): void {
  let obj = target;
  // Sweep keys name other keys: `sweep { flow.over: [...] }` keeps 'flow.over' whole.
  const key = basePath.length === 1 && basePath[0] === 'sweep' ? [prop.key.join('.')] : prop.key;
  const fullPath = [...basePath, ...key];
  for (let i = 0; i < key.length - 1; i++) {
    const k = key[i];
    const existing = obj[k];
    if (existing === undefined || existing === null || typeof existing !== 'object' || Array.isArray(existing)) obj[k] = {};
    obj = obj[k] as JsonObject;
    const p = pointer([...basePath, ...key.slice(0, i + 1)]);
    if (!out.sources.has(p)) out.sources.set(p, { key: prop.keyRange, value: prop.range });
  }
  const last = key[key.length - 1];
  if (last === undefined) return;
  if (last in obj) {
    out.diagnostics.push({
      severity: 'warning',
      code: 'DADF2002',
      message: `'${fullPath.join('.')}' is set twice; the later value wins`,
      range: prop.keyRange,
    });
  }
  dropSourcesUnder(out.sources, pointer(fullPath));
  const value = lowerValue(prop.value, fullPath, out);
  const previous = obj[last];
  obj[last] = isObject(previous) && isObject(value) ? deepMerge(previous, value) : value;
  out.sources.set(pointer(fullPath), { key: prop.keyRange, value: prop.value.range });
}

function objectAt(root: JsonObject, path: string[]): JsonObject {
  let obj = root;
  for (const k of path) {
    const next = obj[k];
    if (!isObject(next)) obj[k] = {};
    obj = obj[k] as JsonObject;
  }
  return obj;
}

export function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Objects merge key by key; lists and scalars of the override replace the base. */
export function deepMerge(base: JsonObject, override: JsonObject): JsonObject {
  const out: JsonObject = { ...base };
  for (const [k, v] of Object.entries(override)) {
    const b = out[k];
    out[k] = isObject(b) && isObject(v) ? deepMerge(b, v) : structuredClone(v);
  }
  return out;
}

/** When a path is replaced, what its old value's entries said no longer applies. */
function dropSourcesUnder(sources: SourceMap, prefix: string): void {
  for (const k of [...sources.keys()]) if (k.startsWith(prefix + '/')) sources.delete(k);
}

/** Merges an override's source map over a base's: for every replaced leaf, the base's subtree goes. */
export function mergeSources(base: SourceMap, override: SourceMap, overrideRaw: JsonObject): SourceMap {
  const out: SourceMap = new Map(base);
  const visit = (value: Json, path: string[]) => {
    if (isObject(value)) {
      for (const [k, v] of Object.entries(value)) visit(v, [...path, k]);
    } else {
      dropSourcesUnder(out, pointer(path));
    }
  };
  visit(overrideRaw, []);
  for (const [k, v] of override) out.set(k, v);
  return out;
}
