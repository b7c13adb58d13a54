#!/usr/bin/env node
// The dadfc entry. It runs the compiled CLI (dist/bin, built by `npm ci` through prepare, or
// `npm run build`). In a checkout whose sources changed since that build it runs the
// TypeScript sources through tsx instead, so development never runs stale code;
// DADF_FROM_SOURCE=1 forces that (bench/startup.ts compares the two). Errors that escape the
// verb's promise (an 'error' event nobody listens to, a rejection nobody awaits) go through the
// same printer as the rest (cli/main.ts), never Node's default one.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const compiled = new URL('../dist/bin/main.js', import.meta.url);
// The folders tsconfig.build.json compiles (test/cli/entry.test.ts keeps the two lists equal).
const SOURCES = ['common', 'formats', 'grammar', 'compiler', 'runtime', 'cli', 'lsp'];

function newestSource(dir, newest = 0) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) newest = newestSource(path, newest);
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function compiledIsCurrent() {
  const path = fileURLToPath(compiled);
  if (!existsSync(path)) return false;
  const built = statSync(path).mtimeMs;
  return SOURCES.every((dir) => !existsSync(root + dir) || newestSource(root + dir) <= built);
}

let main, reportError;
if (process.env.DADF_FROM_SOURCE !== '1' && compiledIsCurrent()) {
  ({ main, reportError } = await import(compiled.href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main, reportError } = await import('../cli/main.ts'));
}
const fail = (error) => {
  process.exitCode = reportError(error);
  process.exit();
};
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);
process.exitCode = await main(process.argv.slice(2));
