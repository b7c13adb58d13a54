// The dadf language server: LSP over a pair of streams (stdio for `dadfc lsp`). Every
// request is answered from the grammar and the compiler, run on the editor's buffers:
// diagnostics by lsp/checks.ts, completion, hover, definition and formatting by lsp/requests.ts.
import {
  createConnection,
  DidChangeWatchedFilesNotification,
  StreamMessageWriter,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
  type Connection,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { PipelineChecks } from './checks.ts';
import { ResyncingMessageReader, type Dropped } from './framing.ts';
import { answerRequests } from './requests.ts';
import { Workspace } from './workspace.ts';

export interface ServerOptions {
  /** Log how long each check takes to the client's output (window/logMessage). */
  timings?: boolean;
  /** Milliseconds a change waits for the next one before it is checked (default 100). */
  debounceMs?: number;
}

/** Files whose changes on disk can change an open pipeline's diagnostics (its parents). */
const WATCHED = '**/*.{dadf,yaml,yml}';

const CAPABILITIES: InitializeResult['capabilities'] = {
  textDocumentSync: TextDocumentSyncKind.Incremental,
  completionProvider: { triggerCharacters: [' ', ':', '[', ',', '{', '(', '\n', '-'] },
  hoverProvider: true,
  definitionProvider: true,
  documentFormattingProvider: true,
};

/** A connection whose reader survives bad framing: it costs the bad message only, and every drop is logged. */
function resyncingConnection(input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Connection {
  let logDrop = (line: string): void => void process.stderr.write(`${line}\n`);
  const reader = new ResyncingMessageReader(input, (d: Dropped) => logDrop(`dadf-lsp: dropped ${d.bytes} bytes of input: ${d.reason}`));
  const connection = createConnection(ProposedFeatures.all, reader, new StreamMessageWriter(output));
  logDrop = (line) => {
    process.stderr.write(`${line}\n`);
    connection.console.warn(line);
  };
  return connection;
}

export function startServer(input: NodeJS.ReadableStream, output: NodeJS.WritableStream, options: ServerOptions = {}): Connection {
  const connection = resyncingConnection(input, output);
  const documents = new TextDocuments(TextDocument);
  const workspace = new Workspace();
  const checks = new PipelineChecks(connection, documents, workspace, { debounceMs: options.debounceMs ?? 100, timings: options.timings ?? false });
  const forgetParse = answerRequests(connection, documents, workspace);

  let canWatch = false;
  connection.onInitialize((params): InitializeResult => {
    canWatch = params.capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration === true;
    return { capabilities: CAPABILITIES, serverInfo: { name: 'dadf-lsp', version: '0.1.0' } };
  });
  // Parents change on disk too: ask the client to tell us (when it can register watchers).
  connection.onInitialized(() => {
    if (canWatch) void connection.client.register(DidChangeWatchedFilesNotification.type, { watchers: [{ globPattern: WATCHED }] });
  });
  connection.onDidChangeWatchedFiles(() => checks.diskChanged());

  // TextDocuments reports an open as a change of content too. An open is checked at once; a
  // change waits for the next one, which cancels it.
  const justOpened = new Set<string>();
  documents.onDidOpen(({ document }) => {
    workspace.set(document);
    justOpened.add(document.uri);
    checks.checkAffected(document);
  });
  documents.onDidChangeContent(({ document }) => {
    workspace.set(document);
    if (!justOpened.delete(document.uri)) checks.schedule(document);
  });
  documents.onDidClose(({ document }) => {
    forgetParse(document.uri);
    workspace.delete(document.uri);
    checks.close(document);
  });

  documents.listen(connection);
  connection.listen();
  return connection;
}
