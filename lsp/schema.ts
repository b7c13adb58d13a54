// The pipeline schema (compiler's PipelineSpec) looked up by key path, and each key's
// documentation in words: what completion and hover show.
import { PipelineSpec, pipelineFileSchema } from '../compiler/index.ts';

/** A JSON Schema node, as far as the editor features need it. */
export interface SchemaNode {
  type?: string;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  description?: string;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  items?: SchemaNode;
  anyOf?: SchemaNode[];
  additionalProperties?: SchemaNode | boolean;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
}

const root = PipelineSpec as unknown as SchemaNode;
const fileRoot = pipelineFileSchema() as unknown as SchemaNode;

/** The sections of a pipeline, in the order the Spec lists them. */
export const SECTIONS: readonly string[] = Object.keys(root.properties ?? {}).filter((k) => k !== 'name');

/**
 * The schema of a key path such as ['flow', 'over'] or ['train', 'stages', 'flow', 'epochs'].
 * A numeric segment (or '*') steps into list items; a union is searched member by member.
 */
export function schemaAt(path: readonly string[]): SchemaNode | undefined {
  let node: SchemaNode | undefined = root;
  for (const segment of path) {
    node = child(node, segment);
    if (!node) return undefined;
  }
  return node;
}

function child(node: SchemaNode | undefined, segment: string): SchemaNode | undefined {
  if (!node) return undefined;
  if (node.anyOf) {
    for (const member of node.anyOf) {
      const found = child(member, segment);
      if (found) return found;
    }
    return undefined;
  }
  if (node.type === 'array' && (segment === '*' || /^\d+$/.test(segment))) return node.items;
  if (node.properties?.[segment]) return node.properties[segment];
  if (typeof node.additionalProperties === 'object') return node.additionalProperties;
  return undefined;
}

/** Keys a mapping at `path` may hold; at the top of a YAML file also `pipeline` and `extends`. */
export function keysAt(path: readonly string[], options: { yamlTop?: boolean; inCall?: boolean } = {}): Array<{ key: string; schema: SchemaNode }> {
  const yamlTop = options.yamlTop === true;
  const node = path.length === 0 && yamlTop ? fileRoot : schemaAt(path);
  const objects = node?.anyOf ? node.anyOf : node ? [node] : [];
  const out: Array<{ key: string; schema: SchemaNode }> = [];
  for (const o of objects) {
    for (const [key, schema] of Object.entries(o.properties ?? {})) {
      if (path.length === 0 && key === 'name') continue;
      // Calls carry their `type` in the name: adamw(...), env(...).
      if (key === 'type' && options.inCall) continue;
      if (!out.some((e) => e.key === key)) out.push({ key, schema });
    }
  }
  return out;
}

export function isObject(schema: SchemaNode | undefined): boolean {
  return schema?.type === 'object' && schema.properties !== undefined;
}

/** A short type: `integer (≥ 1)`, `mean | sum | max | product`, `list of prior | self | memory`. */
export function typeOf(schema: SchemaNode): string {
  if (schema.enum) return schema.enum.map(String).join(' | ');
  if (schema.const !== undefined) return String(schema.const);
  if (schema.anyOf) return schema.anyOf.map(memberType).join(' | ');
  if (schema.type === 'array') return `list of ${schema.items ? typeOf(schema.items) : 'values'}`;
  const bounds: string[] = [];
  if (schema.minimum !== undefined) bounds.push(`≥ ${schema.minimum}`);
  if (schema.exclusiveMinimum !== undefined) bounds.push(`> ${schema.exclusiveMinimum}`);
  if (schema.maximum !== undefined) bounds.push(`≤ ${schema.maximum}`);
  if (schema.exclusiveMaximum !== undefined) bounds.push(`< ${schema.exclusiveMaximum}`);
  const base = schema.type ?? 'value';
  return bounds.length ? `${base} (${bounds.join(', ')})` : base;
}

/** A union member: a call such as leaky_relu(slope) is shown as one. */
function memberType(member: SchemaNode): string {
  const type = member.properties?.type?.const;
  if (typeof type === 'string') {
    const args = Object.keys(member.properties ?? {}).filter((k) => k !== 'type');
    return `${type}(${args.join(', ')})`;
  }
  return typeOf(member);
}

/** Markdown for hover and completion: the key, its type, its default, its description. */
export function keyDocumentation(path: readonly string[], schema: SchemaNode): string {
  const lines = [`**${path.join('.')}**: \`${typeOf(schema)}\``];
  if (schema.default !== undefined && !(isObject(schema) && JSON.stringify(schema.default) === '{}'))
    lines.push(`default: \`${JSON.stringify(schema.default)}\``);
  if (schema.description) lines.push('', schema.description);
  return lines.join('\n');
}

export interface ValueChoice {
  label: string;
  /** Text to insert when it differs from the label: `adamw()` for a call. */
  insert?: string;
  detail?: string;
}

/** The values a key may take that can be listed: enum names, booleans, call names. */
export function valueChoices(schema: SchemaNode | undefined): ValueChoice[] {
  if (!schema) return [];
  const out: ValueChoice[] = [];
  const add = (c: ValueChoice) => out.some((o) => o.label === c.label) || out.push(c);
  const visit = (node: SchemaNode) => {
    if (node.anyOf) return node.anyOf.forEach(visit);
    if (node.enum) return node.enum.forEach((v) => add({ label: String(v), detail: node.description }));
    if (node.type === 'boolean') return [true, false].forEach((v) => add({ label: String(v) }));
    if (node.type === 'object' && node.properties?.type) {
      const type = node.properties.type;
      const names = type.const !== undefined ? [type.const] : (type.enum ?? []);
      for (const name of names) add({ label: `${String(name)}(…)`, insert: `${String(name)}()`, detail: node.description ?? type.description });
    }
  };
  visit(schema);
  return out;
}
