// The VS Code client of the dadf language server: starts `dadfc lsp` (by default through
// npx, in the workspace folder) for .dadf files and for YAML files that declare a pipeline.
'use strict';
const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

let client;

function activate(context) {
  const [command, ...args] = vscode.workspace.getConfiguration('dadf').get('server.command', ['npx', 'dadfc', 'lsp', '--stdio']);
  const cwd = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  // No transport named: the client talks over the process's stdio (the command passes --stdio itself).
  const run = { command, args, options: { cwd, shell: process.platform === 'win32' } };
  client = new LanguageClient(
    'dadf',
    'dadf language server',
    { run, debug: run },
    {
      documentSelector: [
        { scheme: 'file', language: 'dadf' },
        // The server answers only for YAML files that declare `pipeline:`; others get nothing.
        { scheme: 'file', language: 'yaml' },
      ],
    },
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
