// An editor in miniature: spawns `node bin/dadfc.js lsp`, speaks JSON-RPC with
// Content-Length framing over its stdio, and collects the diagnostics it publishes.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type Diagnostic,
  type MessageConnection,
  type PublishDiagnosticsParams,
} from 'vscode-languageserver/node';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export const uriOf = (path: string) => pathToFileURL(path).href;

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'dadf-lsp-'));
}

export interface Client {
  connection: MessageConnection;
  child: ChildProcess;
  /** Every showMessage the server sent. */
  messages: string[];
  /** The next diagnostics published for `uri` (after whatever was published before this call). */
  nextDiagnostics(uri: string, timeoutMs?: number): Promise<Diagnostic[]>;
  /** The latest diagnostics published for `uri`, if any. */
  latest(uri: string): Diagnostic[] | undefined;
  open(path: string, text: string, languageId?: string): void;
  change(path: string, text: string, version: number): void;
  close(path: string): void;
  stop(): Promise<number | null>;
}

export async function startClient(): Promise<Client> {
  const child = spawn(process.execPath, [join(repoRoot, 'bin/dadfc.js'), 'lsp', '--stdio'], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += String(chunk)));
  const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const latest = new Map<string, Diagnostic[]>();
  const waiters = new Map<string, Array<(d: Diagnostic[]) => void>>();
  const messages: string[] = [];
  connection.onNotification('textDocument/publishDiagnostics', (params: PublishDiagnosticsParams) => {
    latest.set(params.uri, params.diagnostics);
    const list = waiters.get(params.uri) ?? [];
    waiters.delete(params.uri);
    for (const resolveWaiter of list) resolveWaiter(params.diagnostics);
  });
  connection.onNotification('window/showMessage', (params: { message: string }) => {
    messages.push(params.message);
  });
  connection.onNotification('window/logMessage', () => {});
  connection.listen();
  await connection.sendRequest('initialize', { processId: process.pid, rootUri: uriOf(repoRoot), capabilities: {} }).catch((e) => {
    throw new Error(`initialize failed: ${e}\n${stderr}`);
  });
  await connection.sendNotification('initialized', {});
  return {
    connection,
    child,
    messages,
    nextDiagnostics(uri, timeoutMs = 10_000) {
      return new Promise((resolveWait, reject) => {
        const timer = setTimeout(() => reject(new Error(`no diagnostics for ${uri} within ${timeoutMs} ms\n${stderr}`)), timeoutMs);
        const list = waiters.get(uri) ?? [];
        list.push((d) => (clearTimeout(timer), resolveWait(d)));
        waiters.set(uri, list);
      });
    },
    latest: (uri) => latest.get(uri),
    open(path, text, languageId = path.endsWith('.dadf') ? 'dadf' : 'yaml') {
      void connection.sendNotification('textDocument/didOpen', { textDocument: { uri: uriOf(path), languageId, version: 1, text } });
    },
    change(path, text, version) {
      void connection.sendNotification('textDocument/didChange', { textDocument: { uri: uriOf(path), version }, contentChanges: [{ text }] });
    },
    close(path) {
      void connection.sendNotification('textDocument/didClose', { textDocument: { uri: uriOf(path) } });
    },
    async stop() {
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      await connection.sendRequest('shutdown');
      await connection.sendNotification('exit');
      const code = await exited;
      connection.dispose();
      return code;
    },
  };
}

/** The LSP position of the first occurrence of `needle` in `text` (plus `delta` characters). */
export function positionOf(text: string, needle: string, delta = 0): { line: number; character: number } {
  const at = text.indexOf(needle);
  if (at < 0) throw new Error(`'${needle}' not in the text`);
  const offset = at + delta;
  const before = text.slice(0, offset).split('\n');
  return { line: before.length - 1, character: before[before.length - 1].length };
}

/** Just after `needle`: where the cursor is once it has been typed. */
export const after = (text: string, needle: string) => positionOf(text, needle, needle.length);
