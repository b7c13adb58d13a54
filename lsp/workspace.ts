// The files the server sees: open editor buffers first (unsaved text included), the disk
// otherwise. Paths are what the compiler uses (absolute); URIs are what the editor uses.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { TextDocument } from 'vscode-languageserver-textdocument';

export function uriToPath(uri: string): string {
  return uri.startsWith('file:') ? resolve(fileURLToPath(uri)) : uri;
}

export class Workspace {
  /** Open documents by absolute path. */
  private readonly open = new Map<string, TextDocument>();

  set(doc: TextDocument): void {
    this.open.set(uriToPath(doc.uri), doc);
  }

  delete(uri: string): void {
    this.open.delete(uriToPath(uri));
  }

  get(path: string): TextDocument | undefined {
    return this.open.get(path);
  }

  documents(): TextDocument[] {
    return [...this.open.values()];
  }

  /** The URI the editor uses for a path (its own spelling when the file is open). */
  uriOf(path: string): string {
    return this.open.get(path)?.uri ?? pathToFileURL(path).href;
  }

  /** What compilePipeline's readFile option wants: buffer text, else the file on disk. */
  readonly readFile = (path: string): string => {
    const doc = this.open.get(resolve(path));
    return doc ? doc.getText() : readFileSync(path, 'utf8');
  };

  exists(path: string): boolean {
    try {
      this.readFile(path);
      return true;
    } catch {
      return false;
    }
  }
}
