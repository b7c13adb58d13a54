// The dadf language server: LSP over a pair of streams (stdio for `dadfc lsp`). Every
// request is answered from the grammar and the compiler, run on the editor's buffers.
import { performance } from 'node:perf_hooks';
import {
  createConnection,
  DidChangeWatchedFilesNotification,
  StreamMessageWriter,
  MessageType,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
  type Connection,
  type Diagnostic as LspDiagnostic,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { MAX_PIPELINE_CHARS, parseText } from '../grammar/index.ts';
import { ResyncingMessageReader, type Dropped } from './framing.ts';
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
  /** Milliseconds a change waits for the next one before it is checked (default 100). */
  debounceMs?: number;
}

/** Files whose changes on disk can change an open pipeline's diagnostics (its parents). */
const WATCHED = '**/*.{dadf,yaml,yml}';

export function startServer(input: NodeJS.ReadableStream, output: NodeJS.WritableStream, options: ServerOptions = {}): Connection {
  // Bad framing costs the bad message only; every dropped message is logged (lsp/framing.ts).
  let logDrop = (line: string): void => void process.stderr.write(`${line}\n`);
  const reader = new ResyncingMessageReader(input, (d: Dropped) => logDrop(`dadf-lsp: dropped ${d.bytes} bytes of input: ${d.reason}`));
  const connection = createConnection(ProposedFeatures.all, reader, new StreamMessageWriter(output));
  logDrop = (line) => {
    process.stderr.write(`${line}\n`);
    connection.console.warn(line);
  };
  const debounceMs = options.debounceMs ?? 100;
  /** Pending checks by URI: a newer change cancels the older one before it runs. */
  const pending = new Map<string, NodeJS.Timeout>();
  /** Parses by document version, for hover and definition (a burst of requests parses once). */
  const parses = new Map<string, { version: number; parsed: ReturnType<typeof parseText> }>();
  const parsedOf = (doc: TextDocument, path: string) => {
    const cached = parses.get(doc.uri);
    if (cached?.version === doc.version) return cached.parsed;
    const parsed = parseText(doc.getText(), path);
    parses.set(doc.uri, { version: doc.version, parsed });
    return parsed;
  };
  /** Past the size limit the check publishes one diagnostic (DADF1007) and the other features stay quiet. */
  const tooLarge = (doc: TextDocument) => doc.getText().length > MAX_PIPELINE_CHARS;
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
          if (!seen.has(key)) seen.add(key), all.push(d);
        }
      }
      if (all.length === 0 && !published.has(file) && file !== always) continue;
      if (all.length === 0) published.delete(file);
      else published.add(file);
      void connection.sendDiagnostics({ uri: workspace.uriOf(file), diagnostics: all });
    }
  };

  /** Checks one document; returns the files whose published diagnostics may change. */
  /** The last check of each document, by version and the versions of the open files it read. */
  const checked = new Map<string, string>();
  const checkKey = (doc: TextDocument, path: string) =>
    [doc.version, ...[...(dependencies.get(path) ?? [])].map((f) => `${f}@${workspace.get(f)?.version ?? 'disk'}`)].join('|');
  const check = (doc: TextDocument): string[] => {
    const path = uriToPath(doc.uri);
    const before = contributions.get(path);
    const key = checkKey(doc, path);
    if (checked.get(path) === key) return []; // nothing it read has changed
    const started = performance.now();
    const result = checkDocument(path, workspace);
    checked.set(path, checkKey(doc, path));
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

  let canWatch = false;
  connection.onInitialize(
    (params): InitializeResult => (
      (canWatch = params.capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration === true),
      {
        capabilities: {
          textDocumentSync: TextDocumentSyncKind.Incremental,
          completionProvider: { triggerCharacters: [' ', ':', '[', ',', '{', '(', '\n', '-'] },
          hoverProvider: true,
          definitionProvider: true,
          documentFormattingProvider: true,
        },
        serverInfo: { name: 'dadf-lsp', version: '0.1.0' },
      }
    ),
  );
  // Parents change on disk too: ask the client to tell us (when it can register watchers).
  connection.onInitialized(() => {
    if (canWatch) void connection.client.register(DidChangeWatchedFilesNotification.type, { watchers: [{ globPattern: WATCHED }] });
  });

  // TextDocuments reports an open as a change of content too. An open is checked at once; a
  // change waits debounceMs for the next one, which cancels it.
  const justOpened = new Set<string>();
  documents.onDidOpen(({ document }) => {
    workspace.set(document);
    justOpened.add(document.uri);
    checkAffected(document);
  });
  documents.onDidChangeContent(({ document }) => {
    workspace.set(document);
    if (justOpened.delete(document.uri)) return; // the open, checked above
    clearTimeout(pending.get(document.uri));
    pending.set(
      document.uri,
      setTimeout(() => {
        pending.delete(document.uri);
        const current = documents.get(document.uri);
        if (current) checkAffected(current);
      }, debounceMs),
    );
  });
  documents.onDidClose(({ document }) => {
    const path = uriToPath(document.uri);
    clearTimeout(pending.get(document.uri));
    pending.delete(document.uri);
    parses.delete(document.uri);
    checked.delete(path);
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
    checked.clear(); // files on disk changed: no earlier check still holds
    const touched = documents.all().flatMap((doc) => (isPipelineDocument(uriToPath(doc.uri), doc.getText()) ? check(doc) : []));
    publish(new Set(touched));
  });

  const documentAt = (uri: string) => {
    const doc = documents.get(uri);
    return doc ? { doc, path: uriToPath(uri) } : undefined;
  };

  connection.onCompletion(({ textDocument, position }) => {
    const open = documentAt(textDocument.uri);
    if (!open || tooLarge(open.doc) || !isPipelineDocument(open.path, open.doc.getText())) return [];
    return complete(open.doc, open.path, open.doc.offsetAt(position), workspace);
  });

  connection.onHover(({ textDocument, position }) => {
    const open = documentAt(textDocument.uri);
    if (!open || tooLarge(open.doc) || !isPipelineDocument(open.path, open.doc.getText())) return null;
    const { ast } = parsedOf(open.doc, open.path);
    return hover(ast, open.path, open.doc.offsetAt(position), workspace);
  });

  connection.onDefinition(({ textDocument, position }) => {
    const open = documentAt(textDocument.uri);
    if (!open || tooLarge(open.doc) || !isPipelineDocument(open.path, open.doc.getText())) return null;
    const { ast } = parsedOf(open.doc, open.path);
    return definition(ast, open.doc.offsetAt(position), workspace);
  });

  connection.onDocumentFormatting(({ textDocument }) => {
    const open = documentAt(textDocument.uri);
    if (!open || tooLarge(open.doc) || !/\.dadf$/i.test(open.path)) return null;
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
