// Hover: a key's documentation (type, default, description) and, on a pipeline or a block,
// the shapes the compiler infers for it.
import { MarkupKind, type Hover } from 'vscode-languageserver';
import { isUserError } from '../common/errors.ts';
import { compilePipeline, type Compiled } from '../compiler/index.ts';
import type { PipelineFile } from '../grammar/index.ts';
import { findParent } from './definition.ts';
import { locate } from './locate.ts';
import { toRange } from './ranges.ts';
import { keyDocumentation, schemaAt } from './schema.ts';
import { pipelineShapes, sectionShapes, shapeSource } from './shapes.ts';
import type { Workspace } from './workspace.ts';

function compileOne(path: string, pipeline: string, workspace: Workspace): Compiled | undefined {
  try {
    return compilePipeline(path, { readFile: workspace.readFile, pipeline });
  } catch (e) {
    if (isUserError(e)) return undefined;
    throw e;
  }
}

/** Shapes of a section (or of the pipeline), and what stands in the way of the rest. */
function shapesOf(compiled: Compiled | undefined, section: string | undefined): string {
  const source = shapeSource(compiled);
  const errors = compiled?.diagnostics.filter((d) => d.severity === 'error').length ?? 0;
  const pending = `_${errors} error${errors === 1 ? '' : 's'} in the pipeline${source ? '; sizes as far as they can be inferred' : '; shapes appear once it is schema-valid'}_`;
  if (!source) return pending;
  const lines = section === undefined ? pipelineShapes(source) : sectionShapes(source, section);
  if (!lines || lines.length === 0) return '';
  const block = '```\n' + lines.join('\n') + '\n```';
  return source.plan ? block : `${pending}\n\n${block}`;
}

const SHAPED = new Set(['input', 'backbone', 'embed', 'transformer', 'flow', 'score', 'train']);

/** Without list indices: the schema speaks of items, not positions. */
const docPath = (path: string[]) => path.map((p) => (/^\d+$/.test(p) ? '*' : p));

function keyDoc(path: string[]): string | undefined {
  const schema = schemaAt(docPath(path));
  return schema
    ? keyDocumentation(
        path.filter((p) => !/^\d+$/.test(p)),
        schema,
      )
    : undefined;
}

export function hover(ast: PipelineFile, path: string, offset: number, workspace: Workspace): Hover | null {
  const at = locate(ast, offset);
  if (!at) return null;
  const parts: string[] = [];
  switch (at.kind) {
    case 'pipeline':
      parts.push(`**pipeline ${at.decl.name}**`, shapesOf(compileOne(path, at.decl.name, workspace), undefined));
      break;
    case 'extends': {
      const parent = findParent(ast, at.decl, at.ref, workspace);
      parts.push(parent ? `extends **${parent.name}** in \`${parent.file}\`` : `cannot find the pipeline '${at.ref.value}' to extend`);
      break;
    }
    case 'key':
    case 'label': {
      const doc = keyDoc(at.path);
      if (doc) parts.push(doc);
      const section = at.path[0];
      const onSection = at.kind === 'label' ? at.path.length === 2 && section === 'backbone' : at.path.length === 1;
      if (onSection && SHAPED.has(section)) parts.push(shapesOf(compileOne(path, at.decl.name, workspace), section));
      break;
    }
    case 'value': {
      const doc = keyDoc(at.path);
      if (at.path[0] === 'backbone' && at.path[1] === 'taps' && at.path.length === 3) {
        const scale = shapeSource(compileOne(path, at.decl.name, workspace))?.dims.scales[Number(at.path[2])];
        if (scale && Number.isFinite(scale.size))
          parts.push(`tap **${scale.tap}**: ${scale.size}×${scale.size}×${scale.channels} (stride ${scale.stride}), scale ${scale.index + 1}`);
      }
      if (doc) parts.push(doc);
      break;
    }
  }
  const value = parts.filter((p) => p !== '').join('\n\n');
  if (value === '') return null;
  return { contents: { kind: MarkupKind.Markdown, value }, range: toRange(at.range) };
}
