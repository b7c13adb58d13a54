// The language server's diagnostics: each open pipeline checked by the compiler (lsp/diagnostics.ts),
// again only when something it read has changed (its version, the open files it read, the disk),
// edits debounced (a newer change cancels the pending check), and what all checks say about a
// file merged and published once per round.
import { performance } from 'node:perf_hooks';
import type { Connection, Diagnostic as LspDiagnostic, TextDocuments } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { checkDocument } from './diagnostics.ts';
import { uriToPath, type Workspace } from './workspace.ts';

/** Whether a document is one of ours: a .dadf file, or YAML that declares `pipeline:`. */
export function isPipelineDocument(path: string, text: string): boolean {
  if (/\.dadf$/i.test(path)) return true;
  return /\.ya?ml$/i.test(path) && /^pipeline\s*:/m.test(text);
}

export class PipelineChecks {
  /** Pending checks by URI: a newer change cancels the older one before it runs. */
  private readonly pending = new Map<string, NodeJS.Timeout>();
  /** What each open document's check said, per file it points into. */
  private readonly contributions = new Map<string, Map<string, LspDiagnostic[]>>();
  /** The files each open document's check read (itself, its parents). */
  private readonly dependencies = new Map<string, Set<string>>();
  /** Files we have published diagnostics for, so that fixed ones get cleared. */
  private readonly published = new Set<string>();
  /** The last check of each document: its version and the versions of the open files it read. */
  private readonly checked = new Map<string, string>();

  constructor(
    private readonly connection: Connection,
    private readonly documents: TextDocuments<TextDocument>,
    private readonly workspace: Workspace,
    private readonly options: { debounceMs: number; timings: boolean },
  ) {}

  /**
   * The document and every open one that read it (children extending it) are checked again,
   * then each touched file is published once, from all checks together.
   */
  checkAffected(doc: TextDocument): void {
    const path = uriToPath(doc.uri);
    const touched: string[] = [];
    if (isPipelineDocument(path, doc.getText())) touched.push(...this.check(doc));
    touched.push(...this.checkReaders(path));
    this.publish(new Set(touched), path);
  }

  /** An edit: checked after debounceMs unless another edit comes first. */
  schedule(doc: TextDocument): void {
    clearTimeout(this.pending.get(doc.uri));
    this.pending.set(
      doc.uri,
      setTimeout(() => {
        this.pending.delete(doc.uri);
        const current = this.documents.get(doc.uri);
        if (current) this.checkAffected(current);
      }, this.options.debounceMs),
    );
  }

  /** A closed document: its diagnostics go, and the open files that read it now read it from disk. */
  close(doc: TextDocument): void {
    const path = uriToPath(doc.uri);
    clearTimeout(this.pending.get(doc.uri));
    this.pending.delete(doc.uri);
    this.checked.delete(path);
    const touched = [path, ...(this.contributions.get(path)?.keys() ?? [])];
    this.contributions.delete(path);
    this.dependencies.delete(path);
    touched.push(...this.checkReaders(path));
    this.publish(new Set(touched));
  }

  /** Files changed on disk (a parent, maybe): no earlier check still holds; every open pipeline is checked again. */
  diskChanged(): void {
    this.checked.clear();
    const touched = this.documents.all().flatMap((doc) => (isPipelineDocument(uriToPath(doc.uri), doc.getText()) ? this.check(doc) : []));
    this.publish(new Set(touched));
  }

  /** Checks the open documents other than `path` whose last check read it. */
  private checkReaders(path: string): string[] {
    return this.documents.all().flatMap((other) => {
      const otherPath = uriToPath(other.uri);
      return otherPath !== path && this.dependencies.get(otherPath)?.has(path) ? this.check(other) : [];
    });
  }

  private checkKey(doc: TextDocument, path: string): string {
    const read = [...(this.dependencies.get(path) ?? [])].map((f) => `${f}@${this.workspace.get(f)?.version ?? 'disk'}`);
    return [doc.version, ...read].join('|');
  }

  /** Checks one document; returns the files whose published diagnostics may change. */
  private check(doc: TextDocument): string[] {
    const path = uriToPath(doc.uri);
    if (this.checked.get(path) === this.checkKey(doc, path)) return []; // nothing it read has changed
    const before = this.contributions.get(path);
    const started = performance.now();
    const result = checkDocument(path, this.workspace);
    if (this.options.timings) this.connection.console.log(`checked ${path} in ${(performance.now() - started).toFixed(1)} ms`);
    this.contributions.set(path, result.byFile);
    this.dependencies.set(path, result.files);
    this.checked.set(path, this.checkKey(doc, path));
    return [path, ...(before?.keys() ?? []), ...result.byFile.keys()];
  }

  /** Publishes the merged diagnostics of `files`; a file never published is skipped while clean, except `always`. */
  private publish(files: Iterable<string>, always?: string): void {
    for (const file of files) {
      const all: LspDiagnostic[] = [];
      const seen = new Set<string>();
      for (const byFile of this.contributions.values()) {
        for (const d of byFile.get(file) ?? []) {
          const key = JSON.stringify([d.range, d.code, d.message]);
          if (!seen.has(key)) seen.add(key), all.push(d);
        }
      }
      if (all.length === 0 && !this.published.has(file) && file !== always) continue;
      if (all.length === 0) this.published.delete(file);
      else this.published.add(file);
      void this.connection.sendDiagnostics({ uri: this.workspace.uriOf(file), diagnostics: all });
    }
  }
}
