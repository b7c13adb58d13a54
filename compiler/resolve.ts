// The resolver: a pipeline file → one merged JSON object with a source map, by following
// `extends` (single or multiple, by name in the same file or by relative path), applying
// `--set key=value` overrides last, and detecting cycles.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, resolve as resolvePath } from 'node:path';
import { parseText, type Diagnostic, type PipelineDecl, type PipelineFile, type SourceRange } from '../grammar/index.ts';
import { UserError } from '../common/errors.ts';
import { deepMerge, lowerPipeline, mergeSources, type JsonObject, type SourceMap } from './lower.ts';

export interface ResolveOptions {
  /** `key=value` overrides, applied after every `extends`, in order. */
  sets?: string[];
  /** Which pipeline of the file (default: the first one declared). */
  pipeline?: string;
  /** Reads a file; the language server passes one that sees unsaved editor buffers. */
  readFile?: (path: string) => string;
  /** Whether the backbone's weights file must be found and fit (default true); a trained run's backbone is fixed by id instead. */
  checkWeights?: boolean;
  /** Files already parsed, shared by the pipelines of one file so that each is parsed once. */
  parsed?: ParsedFiles;
}

/** Parsed files by absolute path, with their text. */
export type ParsedFiles = Map<string, { text: string; ast: PipelineFile; diagnostics: Diagnostic[] }>;

export interface Merged {
  /** The pipeline's name (the one asked for, not its parents'). */
  name: string;
  /** The declaration asked for; diagnostics with no better place point at its name. */
  decl?: PipelineDecl;
  raw: JsonObject;
  sources: SourceMap;
  diagnostics: Diagnostic[];
  /** Every file read, with its text, for code frames and editors. */
  texts: Map<string, string>;
}

interface Loader {
  readFile: (path: string) => string;
  /** What this resolution parsed; `shared` may already know a file from an earlier one. */
  parsed: Map<string, { ast: PipelineFile; diagnostics: Diagnostic[] }>;
  shared?: ParsedFiles;
  texts: Map<string, string>;
  diagnostics: Diagnostic[];
}

const PIPELINE_EXTENSIONS = ['.dadf', '.yaml', '.yml'];

export function isPipelinePath(path: string): boolean {
  return PIPELINE_EXTENSIONS.includes(extname(path).toLowerCase());
}

/** Resolves one pipeline of a file. Missing files are UserErrors; everything else is a diagnostic. */
export function mergePipeline(file: string, options: ResolveOptions = {}): Merged {
  const loader: Loader = {
    readFile: options.readFile ?? ((p) => readFileSync(p, 'utf8')),
    parsed: new Map(),
    shared: options.parsed,
    texts: new Map(),
    diagnostics: [],
  };
  const abs = resolvePath(file);
  const parsed = parseOnce(loader, abs);
  if (!parsed) throw new UserError(`cannot read pipeline file`, { where: file, hint: 'check the path; pipelines are .dadf or .yaml files' });
  const decls = parsed.ast.pipelines;
  const decl = options.pipeline ? decls.find((d) => d.name === options.pipeline) : decls[0];
  if (!decl) {
    const hasErrors = loader.diagnostics.some((d) => d.severity === 'error');
    if (options.pipeline && decls.length > 0) {
      throw new UserError(`no pipeline named '${options.pipeline}' in this file`, {
        where: file,
        hint: `it declares: ${decls.map((d) => d.name).join(', ')}`,
        exitCode: 2,
      });
    }
    return {
      name: options.pipeline ?? '',
      raw: {},
      sources: new Map(),
      diagnostics: hasErrors ? loader.diagnostics : [...loader.diagnostics, emptyFileDiagnostic(abs)],
      texts: loader.texts,
    };
  }
  const merged = mergeDecl(loader, abs, decl, []);
  let raw = merged.raw;
  let sources = merged.sources;
  for (const set of options.sets ?? []) {
    const override = lowerSet(loader, set);
    raw = deepMerge(raw, override.raw);
    sources = mergeSources(sources, override.sources, override.raw);
  }
  // `--set name=…` may rename the result (so a derived pipeline can be compared with a file).
  if (typeof raw.name !== 'string') {
    raw.name = decl.name;
    sources.set('/name', { key: decl.nameRange, value: decl.nameRange });
  }
  return { name: String(raw.name), decl, raw, sources, diagnostics: loader.diagnostics, texts: loader.texts };
}

/** Names of the pipelines a file declares (for `check`, which checks them all). */
export function pipelineNames(file: string, readFile?: (path: string) => string, parsed?: ParsedFiles): string[] {
  const loader: Loader = { readFile: readFile ?? ((p) => readFileSync(p, 'utf8')), parsed: new Map(), shared: parsed, texts: new Map(), diagnostics: [] };
  return parseOnce(loader, resolvePath(file))?.ast.pipelines.map((d) => d.name) ?? [];
}

function parseOnce(loader: Loader, abs: string) {
  const cached = loader.parsed.get(abs);
  if (cached) return cached;
  let entry = loader.shared?.get(abs);
  if (!entry) {
    let text: string;
    try {
      text = loader.readFile(abs);
    } catch {
      return undefined;
    }
    entry = { text, ...parseText(text, abs) };
    loader.shared?.set(abs, entry);
  }
  loader.parsed.set(abs, entry);
  loader.texts.set(abs, entry.text);
  appendAll(loader.diagnostics, entry.diagnostics);
  return entry;
}

function mergeDecl(loader: Loader, file: string, decl: PipelineDecl, stack: string[]): { raw: JsonObject; sources: SourceMap } {
  const id = `${file}#${decl.name}`;
  const lowered = lowerPipeline(decl);
  appendAll(loader.diagnostics, lowered.diagnostics);
  let raw: JsonObject = {};
  let sources: SourceMap = new Map();
  for (const ref of decl.extends) {
    const parent = findParent(loader, file, decl, ref);
    if (!parent) continue;
    const parentId = `${parent.file}#${parent.decl.name}`;
    if (parentId === id || stack.includes(parentId)) {
      const cycle = [...stack, id, parentId].slice(stack.indexOf(parentId) === -1 ? stack.length : stack.indexOf(parentId));
      loader.diagnostics.push({
        severity: 'error',
        code: 'DADF2101',
        message: `extends cycle: ${cycle.map(shortId).join(' → ')}`,
        range: ref.range,
        hint: 'a pipeline cannot extend itself, directly or through its parents; remove one of the extends',
      });
      continue;
    }
    const merged = mergeDecl(loader, parent.file, parent.decl, [...stack, id]);
    raw = deepMerge(raw, merged.raw);
    sources = mergeSources(sources, merged.sources, merged.raw);
  }
  raw = deepMerge(raw, lowered.raw);
  sources = mergeSources(sources, lowered.sources, lowered.raw);
  return { raw, sources };
}

function shortId(id: string): string {
  const [file, name] = id.split('#');
  return `${name} (${file.split(/[\\/]/).pop()})`;
}

function findParent(
  loader: Loader,
  file: string,
  decl: PipelineDecl,
  ref: { value: string; range: SourceRange },
): { file: string; decl: PipelineDecl } | undefined {
  const here = loader.parsed.get(file)?.ast.pipelines ?? [];
  const sameFile = here.find((d) => d.name === ref.value && d !== decl);
  const looksLikePath = /[\\/]/.test(ref.value) || isPipelinePath(ref.value);
  if (sameFile && !looksLikePath) return { file, decl: sameFile };
  const base = resolvePath(dirname(file), ref.value);
  const candidates = isPipelinePath(base) ? [base] : PIPELINE_EXTENSIONS.map((ext) => base + ext);
  const target = candidates.find((c) => loader.parsed.has(c) || existsSync(c));
  if (!target) {
    loader.diagnostics.push({
      severity: 'error',
      code: 'DADF2102',
      message: `cannot find the pipeline '${ref.value}' to extend`,
      range: ref.range,
      hint: `looked for a pipeline of that name in this file and for ${candidates.map((c) => c.split(/[\\/]/).pop()).join(', ')} next to it`,
    });
    return undefined;
  }
  const parsed = parseOnce(loader, target);
  const parentDecl = parsed?.ast.pipelines[0];
  if (!parentDecl) {
    if (parsed && !parsed.diagnostics.some((d) => d.severity === 'error')) {
      loader.diagnostics.push({ ...emptyFileDiagnostic(target), range: ref.range });
    }
    return undefined;
  }
  return { file: target, decl: parentDecl };
}

function emptyFileDiagnostic(file: string): Diagnostic {
  const pos = { offset: 0, line: 1, column: 1 };
  return {
    severity: 'error',
    code: 'DADF2103',
    message: 'no pipeline is declared in this file',
    range: { file, start: pos, end: pos },
    hint: "a .dadf file holds 'pipeline NAME { … }'; a YAML file a mapping with 'pipeline: NAME'",
  };
}

/** `--set flow.over=[prior]`: the value in the .dadf value syntax (numbers, lists, booleans, calls). */
function lowerSet(loader: Loader, set: string): { raw: JsonObject; sources: SourceMap } {
  const eq = set.indexOf('=');
  const key = eq > 0 ? set.slice(0, eq).trim() : '';
  const value = eq > 0 ? set.slice(eq + 1).trim() : '';
  if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(key) || value === '') {
    throw new UserError(`--set expects KEY=VALUE with a dotted key, got '${set}'`, {
      where: '--set',
      hint: 'e.g. --set flow.over=[prior,self] --set train.batch=4 --set \'backbone.weights="w.safetensors"\'',
      exitCode: 2,
    });
  }
  // Parsed as a one-line pipeline so that values have exactly the .dadf syntax; the pseudo
  // file's text is kept so that diagnostics can show it.
  const file = `--set ${set}`;
  const text = `pipeline set { ${key}: ${value} }`;
  const parsed = parseText(text, `${file}.dadf`);
  const syntaxErrors = parsed.diagnostics.filter((d) => d.severity === 'error');
  const decl = parsed.ast.pipelines[0];
  if (syntaxErrors.length > 0 || !decl) {
    throw new UserError(`cannot read the value of --set ${key}: ${syntaxErrors[0]?.message ?? 'syntax error'}`, {
      where: '--set',
      hint: 'values use the pipeline syntax: 3, 1e-4, true, bilinear, "a string", [prior, self], adamw(lr: 1e-3)',
      exitCode: 2,
    });
  }
  loader.texts.set(`${file}.dadf`, text);
  const lowered = lowerPipeline(decl);
  appendAll(loader.diagnostics, lowered.diagnostics);
  return { raw: lowered.raw, sources: lowered.sources };
}

/** push(...items) passes every item as an argument, which overflows the stack past ~100k. */
export function appendAll<T>(target: T[], items: readonly T[]): void {
  for (const item of items) target.push(item);
}
