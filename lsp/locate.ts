// What the cursor is on in a parsed file, with the key path it stands for (the same paths
// the compiler lowers to: `stage flow { ... }` inside train is train.stages.flow).
import type { Block, PipelineDecl, PipelineFile, Property, SourceRange, Value } from '../grammar/index.ts';
import { blockPath } from './context.ts';
import { contains } from './ranges.ts';

export type Located =
  | { kind: 'pipeline'; decl: PipelineDecl; range: SourceRange }
  | { kind: 'extends'; decl: PipelineDecl; ref: { value: string; range: SourceRange }; range: SourceRange }
  /** A key (or one part of a dotted key) or a block keyword. */
  | { kind: 'key'; decl: PipelineDecl; path: string[]; range: SourceRange }
  /** A block's name: `backbone resnet18`, `stage flow`. */
  | { kind: 'label'; decl: PipelineDecl; block: Block; path: string[]; range: SourceRange }
  /** A value, or the name of a call (path of the value it is). */
  | { kind: 'value'; decl: PipelineDecl; path: string[]; value: Value; range: SourceRange };

export function locate(ast: PipelineFile, offset: number): Located | undefined {
  for (const decl of ast.pipelines) {
    if (contains(decl.nameRange, offset) && decl.name !== '') return { kind: 'pipeline', decl, range: decl.nameRange };
    for (const ref of decl.extends) if (contains(ref.range, offset)) return { kind: 'extends', decl, ref, range: ref.range };
    if (!contains(decl.range, offset)) continue;
    const found = inEntries(decl, decl.body, [], offset);
    if (found) return found;
  }
  return undefined;
}

function inEntries(decl: PipelineDecl, entries: Array<Property | Block>, path: string[], offset: number): Located | undefined {
  for (const entry of entries) {
    if (!contains(entry.range, offset)) continue;
    const found = entry.kind === 'block' ? inBlock(decl, entry, path, offset) : inProperty(decl, entry, path, offset);
    if (found) return found;
  }
  return undefined;
}

function inBlock(decl: PipelineDecl, block: Block, path: string[], offset: number): Located | undefined {
  const inner = blockPath(path, block.keyword, block.label?.value);
  if (contains(block.keywordRange, offset))
    return {
      kind: 'key',
      decl,
      path: block.keyword === 'stage' ? [...path, 'stages'] : block.keyword === 'head' ? [...path, 'heads'] : inner,
      range: block.keywordRange,
    };
  if (block.label && contains(block.label.range, offset)) {
    const labelPath = block.keyword === 'backbone' ? [...inner, 'arch'] : inner;
    return { kind: 'label', decl, block, path: labelPath, range: block.label.range };
  }
  return inEntries(decl, block.body, inner, offset);
}

function inProperty(decl: PipelineDecl, prop: Property, path: string[], offset: number): Located | undefined {
  // Sweep keys name other keys; they stay whole.
  const key = path.length === 1 && path[0] === 'sweep' ? [prop.key.join('.')] : prop.key;
  if (contains(prop.keyRange, offset)) {
    // Which part of a dotted key: count the dots before the cursor.
    const written = prop.keyRange.end.offset - prop.keyRange.start.offset;
    const before = Math.min(written, offset - prop.keyRange.start.offset);
    const keyText = key.join('.');
    const part = key.length === 1 ? 0 : keyText.slice(0, before).split('.').length - 1;
    return { kind: 'key', decl, path: [...path, ...key.slice(0, part + 1)], range: prop.keyRange };
  }
  return inValue(decl, prop.value, [...path, ...key], offset);
}

function inValue(decl: PipelineDecl, value: Value, path: string[], offset: number): Located | undefined {
  if (!contains(value.range, offset)) return undefined;
  switch (value.kind) {
    case 'list':
      for (const [i, item] of value.items.entries()) {
        const found = inValue(decl, item, [...path, String(i)], offset);
        if (found) return found;
      }
      return undefined;
    case 'object':
      return inEntries(decl, value.entries, path, offset);
    case 'call':
      if (contains(value.nameRange, offset)) return { kind: 'value', decl, path, value, range: value.nameRange };
      return inEntries(decl, value.named, path, offset) ?? { kind: 'value', decl, path, value, range: value.range };
    default:
      return { kind: 'value', decl, path, value, range: value.range };
  }
}
