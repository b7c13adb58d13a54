// The dadf language server: LSP over a pair of streams (stdio for `dadfc lsp`). Every
// request is answered from the grammar and the compiler, run on the editor's buffers.
import { performance } from 'node:perf_hooks';
import {
  createConnection,
  MessageType,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
  type Connection,
  type Diagnostic as LspDiagnostic,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { parseText } from '../grammar/index.ts';
import { complete } from './completion.ts';
import { definition } from './definition.ts';
import { checkDocument } from './diagnostics.ts';
import { formatDadf } from './format.ts';
import { hover } from './hover.ts';
import { uriToPath, Workspace } from './workspace.ts';

/** Whether a document is one of ours: a .dadf file, or YAML that declares `pipeline:`. */
function isPipelineDocument(path: string, text: string): boolean {
  if (/\.dadf$/i.test(path)) return true;
  return /\.ya?ml$/i.test(path) && /^pipeline\s*:/m.test(text);
}

export interface ServerOptions {
  /** Log how long each check takes to the client's output (window/logMessage). */
  timings?: boolean;
}

export function startServer(input: NodeJS.ReadableStream, output: NodeJS.WritableStream, options: ServerOptions = {}): Connection {
  const connection = createConnection(ProposedFeatures.all, input, output);
  const documents = new TextDocuments(TextDocument);
  const workspace = new Workspace();
  /** What each open document's check said, per file it points into. */
  const contributions = new Map<string, Map<string, LspDiagnostic[]>>();
  /** The files each open document's check read (itself, its parents). */
  const dependencies = new Map<string, Set<string>>();
  /** Files we have published diagnostics for, so that fixed ones get cleared. */
  const published = new Set<string>();

  /** Publishes the merged diagnostics of `files`; a file never published is skipped while clean, except `always`. */
  const publish = (files: Iterable<string>, always?: string) => {
    for (const file of files) {
      const all: LspDiagnostic[] = [];
      const seen = new Set<string>();
      for (const byFile of contributions.values()) {
        for (const d of byFile.get(file) ?? []) {
          const key = JSON.stringify([d.range, d.code, d.message]);
          if (!seen.has(key)) (seen.add(key), all.push(d));
        }
      }
      if (all.length === 0 && !published.has(file) && file !== always) continue;
      if (all.length === 0) published.delete(file);
      else published.add(file);
      void connection.sendDiagnostics({ uri: workspace.uriOf(file), diagnostics: all });
    }
  };

  /** Checks one document; returns the files whose published diagnostics may change. */
  const check = (doc: TextDocument): string[] => {
    const path = uriToPath(doc.uri);
    const before = contributions.get(path);
    const started = performance.now();
    const result = checkDocument(path, workspace);
    if (options.timings) connection.console.log(`checked ${path} in ${(performance.now() - started).toFixed(1)} ms`);
    contributions.set(path, result.byFile);
    dependencies.set(path, result.files);
    return [path, ...(before?.keys() ?? []), ...result.byFile.keys()];
  };

  /**
   * The document and every open one that read it (children extending it) are checked again,
   * then each touched file is published once, from all checks together.
   */
  const checkAffected = (doc: TextDocument) => {
    const path = uriToPath(doc.uri);
    const touched: string[] = [];
    if (isPipelineDocument(path, doc.getText())) touched.push(...check(doc));
    for (const other of documents.all()) {
      const otherPath = uriToPath(other.uri);
      if (otherPath !== path && dependencies.get(otherPath)?.has(path)) touched.push(...check(other));
    }
    publish(new Set(touched), path);
  };

  connection.onInitialize(
    (): InitializeResult => ({
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        completionProvider: { triggerCharacters: [' ', ':', '[', ',', '{', '(', '\n', '-'] },
        hoverProvider: true,
        definitionProvider: true,
        documentFormattingProvider: true,
      },
      serverInfo: { name: 'dadf-lsp', version: '0.1.0' },
    }),
  );

  // TextDocuments reports an open as a change of content too: one check per event.
  documents.onDidChangeContent(({ document }) => {
    workspace.set(document);
    checkAffected(document);
  });
  documents.onDidClose(({ document }) => {
    const path = uriToPath(document.uri);
    workspace.delete(document.uri);
    const touched = [path, ...(contributions.get(path)?.keys() ?? [])];
    contributions.delete(path);
    dependencies.delete(path);
    // Children now read this file from disk.
    for (const other of documents.all()) if (dependencies.get(uriToPath(other.uri))?.has(path)) touched.push(...check(other));
    publish(new Set(touched));
  });

  // A parent changed on disk (when the client watches files): every open pipeline is checked again.
  connection.onDidChangeWatchedFiles(() => {
    const touched = documents.all().flatMap((doc) => (isPipelineDocument(uriToPath(doc.uri), doc.getText()) ? check(doc) : []));
    publish(new Set(touched));
  });

  const documentAt = (uri: string) => {
    const doc = documents.get(uri);
    return doc ? { doc, path: uriToPath(uri) } : undefined;
  };

  connection.onCompletion(({ textDocument, position }) => {
    const open = documentAt(textDocument.uri);
    if (!open || !isPipelineDocument(open.path, open.doc.getText())) return [];
    return complete(open.doc, open.path, open.doc.offsetAt(position), workspace);
  });

  connection.onHover(({ textDocument, position }) => {
    const open = documentAt(textDocument.uri);
    if (!open || !isPipelineDocument(open.path, open.doc.getText())) return null;
    const { ast } = parseText(open.doc.getText(), open.path);
    return hover(ast, open.path, open.doc.offsetAt(position), workspace);
  });

  connection.onDefinition(({ textDocument, position }) => {
    const open = documentAt(textDocument.uri);
    if (!open || !isPipelineDocument(open.path, open.doc.getText())) return null;
    const { ast } = parseText(open.doc.getText(), open.path);
    return definition(ast, open.doc.offsetAt(position), workspace);
  });

  connection.onDocumentFormatting(({ textDocument }) => {
    const open = documentAt(textDocument.uri);
    if (!open || !/\.dadf$/i.test(open.path)) return null;
    const text = open.doc.getText();
    const result = formatDadf(text, open.path);
    if ('refused' in result) {
      // A notification, not showMessageRequest: nothing to answer, nothing to wait for.
      void connection.sendNotification('window/showMessage', { type: MessageType.Warning, message: result.refused });
      return null;
    }
    if (result.text === text) return [];
    return [{ range: { start: { line: 0, character: 0 }, end: open.doc.positionAt(text.length) }, newText: result.text }];
  });

  documents.listen(connection);
  connection.listen();
  return connection;
}
