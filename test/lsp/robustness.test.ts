// The language server under hostile and unlucky input: bad framing costs one message (logged),
// not the connection; huge, explosive or out-of-range documents get one diagnostic, fast;
// bursts of changes are checked once; parents on disk are watched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type Diagnostic, type PublishDiagnosticsParams } from 'vscode-languageserver/node';
import { aliasBomb } from '../compiler/hostile.ts';
import { BASE } from '../compiler/helpers.ts';
import { repoRoot, tempDir, uriOf } from './client.ts';

async function server(capabilities: object = {}) {
  const child = spawn(process.execPath, [join(repoRoot, 'bin/dadfc.js'), 'lsp'], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const connection = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  const published: PublishDiagnosticsParams[] = [];
  const registrations: unknown[] = [];
  connection.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => void published.push(p));
  connection.onNotification('window/logMessage', () => {});
  connection.onRequest('client/registerCapability', (p: unknown) => (registrations.push(p), null));
  connection.listen();
  await connection.sendRequest('initialize', { processId: process.pid, rootUri: uriOf(repoRoot), capabilities });
  await connection.sendNotification('initialized', {});
  const diagnosticsFor = async (uri: string, timeoutMs = 20_000): Promise<{ diagnostics: Diagnostic[]; ms: number }> => {
    const started = Date.now();
    const seen = published.length;
    while (Date.now() - started < timeoutMs) {
      const hit = published.slice(seen).find((p) => p.uri === uri);
      if (hit) return { diagnostics: hit.diagnostics, ms: Date.now() - started };
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no diagnostics for ${uri} within ${timeoutMs} ms\n${stderr}`);
  };
  const open = (path: string, text: string) =>
    connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri: uriOf(path), languageId: path.endsWith('.dadf') ? 'dadf' : 'yaml', version: 1, text },
    });
  const stop = async () => {
    const exited = new Promise((r) => child.once('exit', r));
    await connection.sendRequest('shutdown');
    await connection.sendNotification('exit');
    await exited;
    connection.dispose();
  };
  return { child, connection, published, registrations, diagnosticsFor, open, stop, stderr: () => stderr };
}

const frame = (body: string) => `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
const hoverRequest = (id: number, uri: string) =>
  JSON.stringify({ jsonrpc: '2.0', id, method: 'textDocument/hover', params: { textDocument: { uri }, position: { line: 0, character: 0 } } });

test('garbage, a header without Content-Length and a Content-Length longer than its body: each dropped and logged, the server answers after', async () => {
  const s = await server();
  const path = join(tempDir(), 'p.dadf');
  s.open(path, BASE);
  await s.diagnosticsFor(uriOf(path));
  // Raw bytes on the server's stdin, between two well-framed messages.
  s.child.stdin.write('\u0000\u00ffgarbage that is not a header\r\n\r\n');
  s.child.stdin.write('X-Other: 1\r\n\r\n{"jsonrpc":"2.0"}');
  const short = JSON.stringify({ jsonrpc: '2.0', method: 'textDocument/didSave', params: {} });
  s.child.stdin.write(`Content-Length: ${short.length + 500}\r\n\r\n${short}`);
  s.child.stdin.write(frame('{"not json'));
  const answer = await Promise.race([
    s.connection.sendRequest('textDocument/hover', { textDocument: { uri: uriOf(path) }, position: { line: 0, character: 2 } }).then(() => 'answered'),
    new Promise((r) => setTimeout(() => r('silent'), 15_000)),
  ]);
  assert.equal(answer, 'answered', s.stderr());
  const drops = s
    .stderr()
    .split('\n')
    .filter((l) => l.startsWith('dadf-lsp: dropped'));
  assert.ok(
    drops.some((l) => /not a message header/.test(l)),
    s.stderr(),
  );
  assert.ok(
    drops.some((l) => /without a Content-Length/.test(l)),
    s.stderr(),
  );
  assert.ok(
    drops.some((l) => /ran into the next message/.test(l)),
    s.stderr(),
  );
  assert.ok(
    drops.some((l) => /not JSON/.test(l)),
    s.stderr(),
  );
  await s.stop();
});

test('a document of 5 MB of valid pipelines: one size diagnostic within seconds; hover answers at once', async () => {
  const s = await server();
  const path = join(tempDir(), 'huge.dadf');
  const text = Array.from({ length: Math.ceil((5 * 1024 * 1024) / BASE.length) }, (_, i) => BASE.replace('pipeline base', `pipeline p${i}`)).join('\n');
  s.open(path, text);
  const { diagnostics, ms } = await s.diagnosticsFor(uriOf(path), 30_000);
  assert.deepEqual(
    diagnostics.map((d) => d.code),
    ['DADF1007'],
  );
  assert.ok(ms < 20_000, `published in ${ms} ms`);
  const started = Date.now();
  s.child.stdin.write(frame(hoverRequest(99, uriOf(path))));
  await new Promise((r) => setTimeout(r, 50));
  await s.connection.sendRequest('textDocument/hover', { textDocument: { uri: uriOf(path) }, position: { line: 0, character: 2 } });
  assert.ok(Date.now() - started < 5000);
  await s.stop();
});

test('a YAML alias bomb and steps: 1000000000 in the editor: a diagnostic each, memory bounded', async () => {
  const s = await server();
  const dir = tempDir();
  const bomb = join(dir, 'bomb.yaml');
  s.open(bomb, aliasBomb());
  const b = await s.diagnosticsFor(uriOf(bomb));
  assert.ok(b.diagnostics.some((d) => d.code === 'DADF1009'));
  const huge = join(dir, 'steps.dadf');
  s.open(huge, BASE.replace('steps: 2', 'steps: 1000000000'));
  const h = await s.diagnosticsFor(uriOf(huge));
  assert.ok(h.diagnostics.some((d) => d.code === 'DADF3004' && /must be <= 64, got 1000000000/.test(String(d.message))));
  const rss = Number(/VmRSS:\s+(\d+)/.exec(await import('node:fs').then((fs) => fs.readFileSync(`/proc/${s.child.pid}/status`, 'utf8')))?.[1] ?? 0) / 1024;
  assert.ok(rss < 1024, `server RSS ${rss.toFixed(0)} MiB`);
  await s.stop();
});

test('a burst of changes is checked once, for the last version; the file watcher is registered', async () => {
  const s = await server({ workspace: { didChangeWatchedFiles: { dynamicRegistration: true } } });
  const path = join(tempDir(), 'p.dadf');
  writeFileSync(path, BASE);
  s.open(path, BASE);
  await s.diagnosticsFor(uriOf(path));
  const before = s.published.length;
  for (let version = 2; version <= 6; version++) {
    void s.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri: uriOf(path), version },
      contentChanges: [{ text: BASE.replace('steps: 2', `steps: ${version === 6 ? 'x' : version}`) }],
    });
  }
  const { diagnostics } = await s.diagnosticsFor(uriOf(path));
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(s.published.length - before, 1, 'one publication for five changes');
  assert.ok(diagnostics.length > 0 && diagnostics.every((d) => /flow\.steps/.test(String(d.message))), JSON.stringify(diagnostics));
  assert.deepEqual(s.registrations, [
    {
      registrations: [
        {
          id: (s.registrations[0] as { registrations: { id: string }[] }).registrations[0].id,
          method: 'workspace/didChangeWatchedFiles',
          registerOptions: { watchers: [{ globPattern: '**/*.{dadf,yaml,yml}' }] },
        },
      ],
    },
  ]);
  await s.stop();
});
