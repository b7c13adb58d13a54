// The language server's answers to requests on an open pipeline: completion, hover, go to
// definition, formatting. Hover and definition share one parse per document version.
import { MessageType, type Connection, type TextDocuments } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { MAX_PIPELINE_CHARS, parseText } from '../grammar/index.ts';
import { isPipelineDocument } from './checks.ts';
import { complete } from './completion.ts';
import { definition } from './definition.ts';
import { formatDadf } from './format.ts';
import { hover } from './hover.ts';
import { uriToPath, type Workspace } from './workspace.ts';

/** Registers the request handlers; returns what forgets a closed document's parse. */
export function answerRequests(connection: Connection, documents: TextDocuments<TextDocument>, workspace: Workspace): (uri: string) => void {
  /** Parses by document version (a burst of requests parses once). */
  const parses = new Map<string, { version: number; parsed: ReturnType<typeof parseText> }>();
  const parsedOf = (doc: TextDocument, path: string) => {
    const cached = parses.get(doc.uri);
    if (cached?.version === doc.version) return cached.parsed;
    const parsed = parseText(doc.getText(), path);
    parses.set(doc.uri, { version: doc.version, parsed });
    return parsed;
  };

  /**
   * The open pipeline a request is about. Past the size limit the check publishes one
   * diagnostic (DADF1007) and the other features stay quiet.
   */
  const pipelineAt = (uri: string, accepts = isPipelineDocument) => {
    const doc = documents.get(uri);
    if (!doc || doc.getText().length > MAX_PIPELINE_CHARS) return undefined;
    const path = uriToPath(uri);
    return accepts(path, doc.getText()) ? { doc, path } : undefined;
  };

  connection.onCompletion(({ textDocument, position }) => {
    const open = pipelineAt(textDocument.uri);
    return open ? complete(open.doc, open.path, open.doc.offsetAt(position), workspace) : [];
  });

  connection.onHover(({ textDocument, position }) => {
    const open = pipelineAt(textDocument.uri);
    return open ? hover(parsedOf(open.doc, open.path).ast, open.path, open.doc.offsetAt(position), workspace) : null;
  });

  connection.onDefinition(({ textDocument, position }) => {
    const open = pipelineAt(textDocument.uri);
    return open ? definition(parsedOf(open.doc, open.path).ast, open.doc.offsetAt(position), workspace) : null;
  });

  connection.onDocumentFormatting(({ textDocument }) => {
    const open = pipelineAt(textDocument.uri, (path) => /\.dadf$/i.test(path));
    if (!open) return null;
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

  return (uri) => parses.delete(uri);
}
