// Go to definition on an `extends` reference: the parent's declaration, found the way the
// compiler finds it (a pipeline of that name in the same file, else a path relative to the
// file, the extension optional), with open buffers taking the place of files on disk.
import { dirname, extname, resolve } from 'node:path';
import type { Location } from 'vscode-languageserver';
import { isPipelinePath } from '../compiler/index.ts';
import { parseText, type PipelineDecl, type PipelineFile, type SourceRange } from '../grammar/index.ts';
import { locate } from './locate.ts';
import { toRange } from './ranges.ts';
import type { Workspace } from './workspace.ts';

const EXTENSIONS = ['.dadf', '.yaml', '.yml'];

export interface Parent {
  file: string;
  name: string;
  /** The parent's name in its declaration. */
  range: SourceRange;
}

export function findParent(ast: PipelineFile, decl: PipelineDecl, ref: { value: string }, workspace: Workspace): Parent | undefined {
  const looksLikePath = /[\\/]/.test(ref.value) || isPipelinePath(ref.value);
  const sameFile = ast.pipelines.find((d) => d.name === ref.value && d !== decl);
  if (sameFile && !looksLikePath) return { file: ast.file, name: sameFile.name, range: sameFile.nameRange };
  const base = resolve(dirname(ast.file), ref.value);
  const candidates = EXTENSIONS.includes(extname(base).toLowerCase()) ? [base] : EXTENSIONS.map((ext) => base + ext);
  const file = candidates.find((c) => workspace.exists(c));
  if (!file) return undefined;
  const target = parseText(workspace.readFile(file), file).ast.pipelines[0];
  const start = { offset: 0, line: 1, column: 1 };
  return target ? { file, name: target.name, range: target.nameRange } : { file, name: ref.value, range: { file, start, end: start } };
}

export function definition(ast: PipelineFile, offset: number, workspace: Workspace): Location | null {
  const at = locate(ast, offset);
  if (at?.kind !== 'extends') return null;
  const parent = findParent(ast, at.decl, at.ref, workspace);
  return parent ? { uri: workspace.uriOf(parent.file), range: toRange(parent.range) } : null;
}
