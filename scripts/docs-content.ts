// What scripts/docs.ts writes, as functions, so a test can compare with the committed files.
import { PipelineSpec, pipelineFileSchema } from '../compiler/index.ts';

interface Node {
  type?: string;
  enum?: string[];
  description?: string;
  default?: unknown;
  properties?: Record<string, Node>;
  items?: Node;
  anyOf?: Node[];
  required?: string[];
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  exclusiveMaximum?: number;
}

function typeOf(n: Node): string {
  if (n.enum) return n.enum.map((v) => `\`${v}\``).join(' \\| ');
  if (n.anyOf) return n.anyOf.map(typeOf).join(' \\| ');
  if (n.type === 'array' && n.items) return `list of ${typeOf(n.items)}`;
  if (n.properties?.type && (n.properties.type as { const?: string }).const) {
    const name = (n.properties.type as { const?: string }).const;
    return `\`${name}(${Object.keys(n.properties)
      .filter((k) => k !== 'type')
      .join(', ')})\``;
  }
  const bounds = [
    n.minimum !== undefined ? `≥ ${n.minimum}` : '',
    n.exclusiveMinimum !== undefined ? `> ${n.exclusiveMinimum}` : '',
    n.maximum !== undefined ? `≤ ${n.maximum}` : '',
    n.exclusiveMaximum !== undefined ? `< ${n.exclusiveMaximum}` : '',
  ].filter(Boolean);
  return (n.type ?? 'value') + (bounds.length ? ` (${bounds.join(', ')})` : '');
}

const showDefault = (n: Node, required: boolean) =>
  n.default !== undefined && !(typeof n.default === 'object' && n.default !== null && !Array.isArray(n.default) && Object.keys(n.default).length === 0)
    ? `\`${JSON.stringify(n.default)}\``
    : required
      ? '**required**'
      : '';

export function keyReference(): string {
  const rows: string[] = ['| key | type | default | meaning |', '|---|---|---|---|'];
  const walk = (node: Node, prefix: string[]) => {
    for (const [k, v] of Object.entries(node.properties ?? {})) {
      const path = [...prefix, k];
      const required = (node.required ?? []).includes(k);
      rows.push(`| \`${path.join('.')}\` | ${typeOf(v)} | ${showDefault(v, required)} | ${(v.description ?? '').replace(/\|/g, '\\|')} |`);
      if (v.properties) walk(v, path);
    }
  };
  walk(PipelineSpec as unknown as Node, []);
  return rows.join('\n');
}

export function schemaJson(): string {
  return JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...pipelineFileSchema() }, null, 2) + '\n';
}
