// Writing small pipelines to a temp dir and compiling them, for checker tests.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compilePipeline, type Compiled } from '../../compiler/index.ts';
import type { Diagnostic } from '../../grammar/index.ts';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const pipelinesDir = join(repoRoot, 'pipelines');

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'dadf-test-'));
}

/** Writes files (name → text) into a fresh temp dir and compiles the first one. */
export function compileTexts(files: Record<string, string>, sets: string[] = []): Compiled & { dir: string } {
  const dir = tempDir();
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const first = Object.keys(files)[0];
  return { ...compilePipeline(join(dir, first), { sets }), dir };
}

/** A valid small pipeline; tests replace one line to break one rule. */
export const BASE = `pipeline base {
  input { size: 64, normalize: backbone }
  backbone mobilenet_v1 { alpha: 0.25, random: true, taps: [conv_pw_3, conv_pw_5, conv_pw_11] }
  embed { patch: [4, 2, 1], dim: 8 }
  transformer { depth: 1, heads: 2, mlp_ratio: 2, memory { tokens: 16 } }
  flow { over: [prior, self, memory], steps: 2, clamp: 2.0 }
  train { batch: 4, stage reconstruct { epochs: 1 }, stage flow { epochs: 1 } }
}
`;

export const errorsOf = (ds: Diagnostic[]) => ds.filter((d) => d.severity === 'error');

/** "code line:col" of each error, for compact assertions. */
export const where = (ds: Diagnostic[]) => errorsOf(ds).map((d) => `${d.code} ${d.range.start.line}:${d.range.start.column}`);
