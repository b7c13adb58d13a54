// Completion: block names and keys (with their documentation), enum values, backbone
// names after `backbone `, the chosen backbone's taps inside `taps: [`.
import { CompletionItemKind, MarkupKind, type CompletionItem } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { BACKBONE_ARCHS, backboneInfo, compilePipeline, type BackboneArch } from '../compiler/index.ts';
import { formatOf } from '../grammar/index.ts';
import { dadfContext, yamlContext, type CursorContext } from './context.ts';
import { isObject, keyDocumentation, keysAt, schemaAt, SECTIONS, typeOf, valueChoices } from './schema.ts';
import type { Workspace } from './workspace.ts';

const markdown = (value: string) => ({ kind: MarkupKind.Markdown, value });

export function complete(doc: TextDocument, path: string, offset: number, workspace: Workspace): CompletionItem[] {
  const text = doc.getText();
  const yaml = formatOf(path) === 'yaml';
  const ctx = yaml ? yamlContext(text, offset) : dadfContext(text, offset);
  switch (ctx.kind) {
    case 'key':
      return keyItems(ctx.path, { yaml, yamlTop: yaml && ctx.path.length === 0, inCall: ctx.inCall });
    case 'value':
      return valueItems(ctx, path, workspace);
    case 'label':
      return ctx.keyword === 'backbone'
        ? backboneItems()
        : keysAt(['train', 'stages']).map(({ key, schema }) => ({
            label: key,
            kind: CompletionItemKind.EnumMember,
            documentation: markdown(keyDocumentation(['train', 'stages', key], schema)),
          }));
    case 'top':
      return [{ label: 'pipeline', kind: CompletionItemKind.Keyword, detail: 'pipeline NAME [extends PARENT] { ... }' }];
    case 'none':
      return [];
  }
}

function keyItems(path: string[], options: { yaml: boolean; yamlTop: boolean; inCall: boolean }): CompletionItem[] {
  const items: CompletionItem[] = keysAt(path, options).map(({ key, schema }) => {
    const block = isObject(schema) && !options.yaml && !options.inCall;
    return {
      label: key,
      kind: block ? CompletionItemKind.Module : CompletionItemKind.Property,
      detail: block ? 'block' : typeOf(schema),
      documentation: markdown(keyDocumentation([...path, key], schema)),
      insertText: block ? `${key} ` : `${key}: `,
      // Sections first, in the Spec's order, then the keys in theirs.
      sortText: String(SECTIONS.indexOf(key) >= 0 && path.length === 0 ? SECTIONS.indexOf(key) : 50).padStart(2, '0') + key,
    };
  });
  if (!options.yaml && !options.inCall && path.length === 1 && path[0] === 'train') {
    items.push({
      label: 'stage',
      kind: CompletionItemKind.Keyword,
      detail: 'stage reconstruct { ... } | stage flow { ... }',
      insertText: 'stage ',
      documentation: markdown(keyDocumentation(['train', 'stages'], schemaAt(['train', 'stages'])!)),
    });
  }
  return items;
}

function backboneItems(): CompletionItem[] {
  return BACKBONE_ARCHS.map((arch) => {
    const info = backboneInfo(arch);
    return {
      label: arch,
      kind: CompletionItemKind.EnumMember,
      detail: `taps: ${info.taps.map((t) => t.name).join(', ')}`,
      documentation: markdown(`**${arch}**, default taps \`${info.defaultTaps.join(', ')}\`\n\nweights: ${info.weightsHint}`),
    };
  });
}

function valueItems(ctx: Extract<CursorContext, { kind: 'value' }>, path: string, workspace: Workspace): CompletionItem[] {
  const key = ctx.path.join('.');
  if (key === 'backbone.taps' && ctx.inList) return tapItems(ctx, path, workspace);
  if (key === 'backbone.arch') return backboneItems();
  const schema = schemaAt(ctx.inList ? [...ctx.path, '*'] : ctx.path);
  return valueChoices(schema).map((c) => ({
    label: c.label,
    kind: c.insert ? CompletionItemKind.Function : CompletionItemKind.EnumMember,
    ...(c.insert ? { insertText: c.insert } : {}),
    ...(c.detail ? { documentation: markdown(c.detail) } : {}),
  }));
}

function tapItems(ctx: Extract<CursorContext, { kind: 'value' }>, path: string, workspace: Workspace): CompletionItem[] {
  // The chosen backbone, as this buffer says (even half-typed) or else as its parents do.
  let arch = ctx.arch;
  let alpha = 1;
  let size: number | undefined;
  try {
    const raw = compilePipeline(path, { readFile: workspace.readFile, ...(ctx.pipeline ? { pipeline: ctx.pipeline } : {}) }).raw as {
      backbone?: { arch?: unknown; alpha?: unknown };
      input?: { size?: unknown };
    };
    if (arch === undefined && typeof raw.backbone?.arch === 'string') arch = raw.backbone.arch;
    if (typeof raw.backbone?.alpha === 'number') alpha = raw.backbone.alpha;
    if (typeof raw.input?.size === 'number') size = raw.input.size;
  } catch {
    // A pipeline that cannot be resolved still gets the taps of the arch it names.
  }
  if (arch === undefined || !BACKBONE_ARCHS.includes(arch as BackboneArch)) return [];
  const info = backboneInfo(arch as BackboneArch, alpha);
  return info.taps.map((tap, i) => ({
    label: tap.name,
    kind: CompletionItemKind.EnumMember,
    detail: `${tap.channels} channels, stride ${tap.stride}${size ? `, ${Math.ceil(size / tap.stride)}×${Math.ceil(size / tap.stride)} at ${size} px` : ''}`,
    documentation: markdown(`tap of **${arch}**${info.defaultTaps.includes(tap.name) ? ' (a default tap)' : ''}`),
    sortText: String(i).padStart(3, '0'),
  }));
}
