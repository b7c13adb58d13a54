// The YAML front end: a pipeline YAML document (`pipeline: NAME`, optional `extends`, and the
// sections as mappings) becomes the same AST as .dadf, with the source range of every key and
// value, so later phases can point at YAML text exactly as they do at .dadf text. Never throws.
import { isAlias, isMap, isPair, isScalar, isSeq, parseAllDocuments, type Document, type Node as YamlNode, type Pair } from 'yaml';
import type { Diagnostic, PipelineDecl, PipelineFile, Property, SourceRange, Value } from './ast.ts';
import { LineIndex } from './positions.ts';
import { limitCodes, MAX_YAML_VALUES } from './limits.ts';

export const yamlCodes = {
  /** The text is not valid YAML. */
  syntax: 'DADF1005',
  /** Valid YAML, but not shaped like a pipeline (no `pipeline: NAME`, a non-scalar key, ...). */
  shape: 'DADF1006',
} as const;

/** Grows `range` to cover `inner`: in broken YAML a collection's range can stop short of its last item. */
function cover(range: SourceRange, inner: SourceRange): void {
  if (inner.start.offset < range.start.offset) range.start = inner.start;
  if (inner.end.offset > range.end.offset) range.end = inner.end;
}

/** Aliases can nest; past this depth we stop expanding (a billion-laughs guard). */
const maxDepth = 64;

class YamlConverter {
  readonly diagnostics: Diagnostic[] = [];
  /** Values built so far; aliases count each time they are expanded. */
  private values = 0;
  constructor(
    readonly file: string,
    readonly lines: LineIndex,
    readonly doc: Document.Parsed,
  ) {}

  range(start: number, end: number): SourceRange {
    return this.lines.range(this.file, start, end);
  }

  nodeRange(node: YamlNode | null | undefined, fallback: number): SourceRange {
    const r = node?.range;
    return r ? this.range(r[0], r[1]) : this.range(fallback, fallback);
  }

  report(message: string, range: SourceRange, hint?: string): void {
    this.diagnostics.push(
      hint === undefined ? { severity: 'error', code: yamlCodes.shape, message, range } : { severity: 'error', code: yamlCodes.shape, message, range, hint },
    );
  }

  /** A key as a dotted path, or undefined (reported) when it is not a plain scalar. */
  keyOf(pair: Pair, fallback: number): { key: string[]; range: SourceRange } | undefined {
    const keyNode = pair.key as YamlNode | null;
    const range = this.nodeRange(keyNode, fallback);
    if (!isScalar(keyNode) || keyNode.value === null || typeof keyNode.value === 'object') {
      this.report('a key must be a plain name such as size or flow.over', range);
      return undefined;
    }
    return { key: String(keyNode.value).split('.'), range };
  }

  property(pair: Pair, fallback: number, depth: number): Property | undefined {
    const key = this.keyOf(pair, fallback);
    if (key === undefined) return undefined;
    const value = this.value(pair.value as YamlNode | null, key.range.end.offset, depth);
    return {
      kind: 'property',
      key: key.key,
      keyRange: key.range,
      value,
      range: { file: this.file, start: key.range.start, end: value.range.end.offset >= key.range.end.offset ? value.range.end : key.range.end },
    };
  }

  value(node: YamlNode | null | undefined, fallback: number, depth: number): Value {
    const range = this.nodeRange(node, fallback);
    if (node === null || node === undefined) return { kind: 'null', range };
    if (++this.values > MAX_YAML_VALUES) {
      // Reported once; past this every value is null, so the work stops growing.
      if (this.values === MAX_YAML_VALUES + 1) {
        this.diagnostics.push({
          severity: 'error',
          code: limitCodes.yamlExpansion,
          message: `this YAML document expands to more than ${MAX_YAML_VALUES} values (aliases of aliases?)`,
          range,
          hint: 'a pipeline has a few dozen values: write them out instead of repeating anchors',
        });
      }
      return { kind: 'null', range };
    }
    if (depth > maxDepth) {
      this.report('this value nests too deeply (aliases inside aliases?)', range);
      return { kind: 'null', range };
    }
    if (isAlias(node)) {
      const target = node.resolve(this.doc);
      const resolved = this.value(target as YamlNode | undefined, fallback, depth + 1);
      // The alias itself is where the value is written; point there.
      return { ...resolved, range } as Value;
    }
    if (isScalar(node)) {
      const v = node.value;
      if (v === null || v === undefined) return { kind: 'null', range };
      if (typeof v === 'number') return { kind: 'number', value: v, range };
      if (typeof v === 'bigint') return { kind: 'number', value: Number(v), range };
      if (typeof v === 'boolean') return { kind: 'boolean', value: v, range };
      return { kind: 'string', value: typeof v === 'string' ? v : String(v), range };
    }
    if (isMap(node)) {
      const entries: Property[] = [];
      for (const pair of node.items) {
        const p = this.property(pair, range.start.offset, depth + 1);
        if (p) entries.push(p);
      }
      for (const p of entries) cover(range, p.range);
      return { kind: 'object', entries, range };
    }
    if (isSeq(node)) {
      const items: Value[] = [];
      for (const item of node.items) {
        if (isPair(item)) {
          // `[a: 1]` in a flow sequence is a one-entry mapping.
          const p = this.property(item, range.start.offset, depth + 1);
          if (p) items.push({ kind: 'object', entries: [p], range: p.range });
        } else {
          items.push(this.value(item as YamlNode | null, range.start.offset, depth + 1));
        }
      }
      for (const item of items) cover(range, item.range);
      return { kind: 'list', items, range };
    }
    this.report('unsupported YAML value here', range);
    return { kind: 'null', range };
  }

  /** `extends: parent` or `extends: [a, b]`. */
  parents(node: YamlNode | null | undefined, fallback: number): PipelineDecl['extends'] {
    const value = this.value(node, fallback, 0);
    const items = value.kind === 'list' ? value.items : [value];
    const out: PipelineDecl['extends'] = [];
    for (const item of items) {
      if (item.kind === 'string' || item.kind === 'ident') out.push({ value: item.value, range: item.range });
      else this.report('extends takes a pipeline name or a file path, or a list of them', item.range, 'for example: extends: ../dadf.yaml');
    }
    return out;
  }

  pipeline(): PipelineDecl | undefined {
    const contents = this.doc.contents as YamlNode | null;
    if (contents === null || (isScalar(contents) && contents.value === null)) return undefined; // an empty document
    const range = this.nodeRange(contents, 0);
    if (!isMap(contents)) {
      this.report("a YAML pipeline is a mapping: 'pipeline: NAME', optional 'extends', then its sections", range);
      return undefined;
    }
    const decl: PipelineDecl = {
      kind: 'pipeline',
      name: '',
      nameRange: { file: this.file, start: range.start, end: range.start },
      extends: [],
      body: [],
      range,
    };
    let named = false;
    let badName = false;
    for (const pair of contents.items) {
      const keyNode = pair.key as YamlNode | null;
      const keyName = isScalar(keyNode) ? keyNode.value : undefined;
      const keyEnd = keyNode?.range?.[1] ?? range.start.offset;
      if (keyName === 'pipeline') {
        const v = this.value(pair.value as YamlNode | null, keyEnd, 0);
        if (v.kind === 'string' || v.kind === 'ident') {
          decl.name = v.value;
          decl.nameRange = v.range;
          named = true;
        } else {
          badName = true;
          this.report('the pipeline name must be a plain name', v.range, 'for example: pipeline: dadf');
        }
      } else if (keyName === 'extends') {
        decl.extends.push(...this.parents(pair.value as YamlNode | null, keyEnd));
      } else {
        const p = this.property(pair, range.start.offset, 0);
        if (p) decl.body.push(p);
      }
    }
    for (const p of decl.body) cover(decl.range, p.range);
    if (!named && !badName) {
      this.report("this YAML pipeline has no name: add 'pipeline: NAME' at the top level", { file: this.file, start: range.start, end: range.start });
    }
    return decl;
  }
}

/** yaml's messages end with their own code frame ("... at line 3, column 5:\n\n..."); we print ours. */
function yamlMessage(message: string): string {
  const cut = message.search(/ at line \d+, column \d+/);
  return (cut >= 0 ? message.slice(0, cut) : message.split('\n')[0]).trim();
}

export function parseYaml(text: string, file: string): { ast: PipelineFile; diagnostics: Diagnostic[] } {
  const ast: PipelineFile = { file, text, format: 'yaml', pipelines: [] };
  const lines = new LineIndex(text);
  const diagnostics: Diagnostic[] = [];
  try {
    const parsed = parseAllDocuments(text, { prettyErrors: false, uniqueKeys: true });
    // A stream with no documents (only comments, say) still carries its own errors.
    const docs = 'empty' in parsed ? [] : parsed;
    if ('empty' in parsed) {
      for (const e of parsed.errors) {
        diagnostics.push({ severity: 'error', code: yamlCodes.syntax, message: yamlMessage(e.message), range: lines.range(file, e.pos[0], e.pos[1]) });
      }
    }
    for (const doc of docs) {
      for (const e of doc.errors) {
        diagnostics.push({ severity: 'error', code: yamlCodes.syntax, message: yamlMessage(e.message), range: lines.range(file, e.pos[0], e.pos[1]) });
      }
      for (const w of doc.warnings) {
        diagnostics.push({ severity: 'warning', code: yamlCodes.syntax, message: yamlMessage(w.message), range: lines.range(file, w.pos[0], w.pos[1]) });
      }
      const converter = new YamlConverter(file, lines, doc);
      const decl = converter.pipeline();
      if (decl) ast.pipelines.push(decl);
      for (const d of converter.diagnostics) diagnostics.push(d);
    }
  } catch (e) {
    const what = e instanceof Error ? e.message : String(e);
    diagnostics.push({
      severity: 'error',
      code: yamlCodes.syntax,
      message: `the YAML reader failed on this file (${what})`,
      range: lines.range(file, 0, 0),
      hint: 'this is a bug in dadf; please report it with the file',
    });
  }
  diagnostics.sort((a, b) => a.range.start.offset - b.range.start.offset);
  return { ast, diagnostics };
}
