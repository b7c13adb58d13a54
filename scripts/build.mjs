#!/usr/bin/env node
// The published JavaScript, built on `npm ci` (prepare) and before the tests:
//  - dist/<phase>/: tsc's output with declarations, behind package.json's exports
//    (dadf/runtime, dadf/compiler, dadf/grammar) for programs that import dadf;
//  - dist/bin/: the CLI bundled by esbuild, so `dadfc check` starts in a fraction of a second
//    (one file to load instead of hundreds; chevrotain alone is ~1,000 small modules).
//    Heavy or native packages stay external and load only for the verbs that need them.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
// tsc still writes its output when types are wrong; the tests may run on it (they report the
// type errors first), while `npm ci` and `npm run build` stop on them.
const tolerateTypeErrors = process.argv.includes('--tolerate-type-errors');
if (tsc.status !== 0 && !tolerateTypeErrors) process.exit(tsc.status ?? 1);

// dist/bin is not emptied first: a dadfc process already running keeps loading its chunks
// lazily, and chunk names are content hashes, so the chunks it needs are still there.
await build({
  entryPoints: [join(root, 'cli/main.ts')],
  outdir: join(root, 'dist/bin'),
  bundle: true,
  splitting: true, // each verb stays a chunk of its own, loaded only when run
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  external: ['@tensorflow/*', 'sharp', 'onnxruntime-node', 'ts-morph', 'geotiff', 'protobufjs', 'cli-progress', 'typescript', 'bullmq', 'ioredis'],
  // CommonJS packages inside an ES bundle still call require() for Node's built-ins.
  banner: { js: "import { createRequire as __dadfcRequire } from 'node:module'; const require = __dadfcRequire(import.meta.url);" },
  sourcemap: 'linked',
  logLevel: 'warning',
});
