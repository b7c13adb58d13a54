#!/usr/bin/env node
// Builds the optional native kernels (native/*.c → native/build/dadf_blas.node) when a C
// compiler, Node's N-API headers and OpenBLAS (Debian: libopenblas-dev) are present. Run by
// `npm ci` (prepare) after the JavaScript build; where anything is missing it says what and
// exits 0, and dadfc multiplies with the wasm kernels (the backend line says which).
// DADF_BLAS=off skips the build; CC picks the compiler (default cc).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sources = readdirSync(join(root, 'native'))
  .filter((f) => f.endsWith('.c'))
  .map((f) => join(root, 'native', f));
const target = join(root, 'native/build/dadf_blas.node');
const skip = (why) => {
  console.log(`dadf: native kernels not built: ${why}; the wasm kernels are used`);
  process.exit(0);
};

if (['off', '0'].includes(process.env.DADF_BLAS ?? '')) skip('DADF_BLAS=off');
if (process.platform === 'win32') skip('not supported on Windows');
// Node's headers: next to the binary for official builds and nvm, /usr/include/node for Debian's.
const headers = [join(dirname(process.execPath), '../include/node'), '/usr/include/node', '/usr/local/include/node'].find((dir) =>
  existsSync(join(dir, 'node_api.h')),
);
if (!headers) skip("Node's headers (node_api.h) not found");
const compiler = process.env.CC || 'cc';
// OpenBLAS's cblas.h sits in include/ or include/openblas/ depending on the distribution.
const includes = ['/usr/include/openblas', '/usr/include/x86_64-linux-gnu', '/usr/include/aarch64-linux-gnu'].filter(existsSync).flatMap((d) => ['-I', d]);
mkdirSync(dirname(target), { recursive: true });
const partial = `${target}.${process.pid}.tmp`;
// The fastest flags first: vectorised for this machine's CPU (the addon is built where it runs)
// and two threads per element-wise kernel through OpenMP; then without each, where the compiler
// or its libgomp lacks them.
const variants = [['-march=native', '-fopenmp'], ['-fopenmp'], ['-march=native', '-fopenmp-simd'], ['-fopenmp-simd']];
let built;
let flags;
for (flags of variants) {
  const args = [
    '-O3',
    '-fno-math-errno',
    // a·b + c stays two roundings (as the wasm kernels compute it), not one fused multiply-add
    '-ffp-contract=off',
    ...flags,
    '-shared',
    '-fPIC',
    '-std=gnu11',
    '-Wall',
    '-I',
    headers,
    ...includes,
    ...sources,
    '-o',
    partial,
    '-lopenblas',
    '-lm',
  ];
  if (process.platform === 'darwin') args.push('-undefined', 'dynamic_lookup');
  built = spawnSync(compiler, args, { encoding: 'utf8' });
  if (!built.error && built.status === 0) break;
}
if (built.error || built.status !== 0) {
  rmSync(partial, { force: true });
  const detail = built.error ? `${compiler} not found` : built.stderr.trim().split('\n').slice(0, 3).join(' | ');
  skip(`${compiler} failed (${detail}); install a C compiler and libopenblas-dev, then run npm run build:native`);
}
renameSync(partial, target); // a process loading the addon never sees half a file
console.log(`dadf: native kernels built (${flags.join(' ')}): ${target.slice(root.length + 1)}`);
