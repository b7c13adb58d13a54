// Start-up of the CLI as a whole process, before (TypeScript sources through tsx) and after
// (the compiled bundle): `dadfc --help`, `dadfc check pipelines/dadf.dadf`, and the language
// server's first diagnostics for an opened file. Wall and CPU seconds, median of N runs.
// Run: node --import tsx bench/startup.ts [--runs 5]   (builds dist/ first if it is missing)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-languageserver/node';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin/dadfc.js');
const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const runs = Math.max(1, Number(values.runs));
const GOAL_CHECK_S = 0.5;

if (!existsSync(join(root, 'dist/bin/main.js'))) spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'inherit' });

type Mode = 'source' | 'compiled';
const envOf = (mode: Mode) => ({ ...process.env, DADF_FROM_SOURCE: mode === 'source' ? '1' : '0', NO_COLOR: '1' });

interface Sample {
  wall: number;
  cpu: number | null;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const hasGnuTime = existsSync('/usr/bin/time');

/** One whole process: wall seconds, and user+system CPU seconds where GNU time is there. */
function timeProcess(args: string[], mode: Mode): Sample {
  const started = performance.now();
  const r = hasGnuTime
    ? spawnSync('/usr/bin/time', ['-f', 'DADF_CPU %U %S', process.execPath, bin, ...args], { cwd: root, env: envOf(mode), encoding: 'utf8' })
    : spawnSync(process.execPath, [bin, ...args], { cwd: root, env: envOf(mode), encoding: 'utf8' });
  const wall = (performance.now() - started) / 1000;
  const line = r.stderr.split('\n').find((l) => l.startsWith('DADF_CPU '));
  const cpu = line
    ? line
        .split(' ')
        .slice(1, 3)
        .reduce((a, b) => a + Number(b), 0)
    : null;
  return { wall, cpu };
}

/** Spawn `dadfc lsp`, open dadf.dadf, and time until its first diagnostics arrive. */
async function timeLsp(mode: Mode): Promise<Sample> {
  const file = join(root, 'pipelines/dadf.dadf');
  const started = performance.now();
  const child = spawn(process.execPath, [bin, 'lsp', '--stdio'], { cwd: root, env: envOf(mode), stdio: ['pipe', 'pipe', 'ignore'] });
  const connection = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  const first = new Promise<void>((done) => connection.onNotification('textDocument/publishDiagnostics', () => done()));
  connection.listen();
  await connection.sendRequest('initialize', { processId: process.pid, rootUri: pathToFileURL(root).href, capabilities: {} });
  await connection.sendNotification('initialized', {});
  await connection.sendNotification('textDocument/didOpen', {
    textDocument: { uri: pathToFileURL(file).href, languageId: 'dadf', version: 1, text: readFileSync(file, 'utf8') },
  });
  await first;
  const wall = (performance.now() - started) / 1000;
  child.kill();
  connection.dispose();
  return { wall, cpu: null };
}

async function measure(what: string, once: (mode: Mode) => Sample | Promise<Sample>): Promise<void> {
  const medians = async (mode: Mode) => {
    const samples: Sample[] = [];
    for (let i = 0; i < runs; i++) samples.push(await once(mode));
    const cpus = samples.map((s) => s.cpu).filter((c): c is number => c !== null);
    return { wall: median(samples.map((s) => s.wall)), cpu: cpus.length ? median(cpus) : null };
  };
  const result: Record<Mode, { wall: number; cpu: number | null }> = { source: await medians('source'), compiled: await medians('compiled') };
  const cell = (m: Mode) => `${result[m].wall.toFixed(2)} s${result[m].cpu === null ? '' : ` (cpu ${result[m].cpu!.toFixed(2)} s)`}`;
  console.log(`${what.padEnd(34)}${cell('source').padEnd(26)}${cell('compiled').padEnd(26)}${(result.source.wall / result.compiled.wall).toFixed(1)}×`);
  if (what.startsWith('dadfc check')) {
    const ok = result.compiled.wall <= GOAL_CHECK_S;
    console.log(
      `  goal: check ≤ ${GOAL_CHECK_S} s wall → ${result.compiled.wall.toFixed(2)} s (${ok ? 'met' : 'missed'}; the wall time includes whatever else the machine is doing)`,
    );
  }
}

const nodeAlone = median(
  Array.from({ length: runs }, () => {
    const t = performance.now();
    spawnSync(process.execPath, ['-e', '0']);
    return (performance.now() - t) / 1000;
  }),
);
console.log(`median of ${runs} runs; node -e 0 takes ${nodeAlone.toFixed(2)} s here now`);
console.log(`${'what'.padEnd(34)}${'tsx from source'.padEnd(26)}${'compiled (dist/bin)'.padEnd(26)}ratio`);
await measure('dadfc --help', (m) => timeProcess(['--help'], m));
await measure('dadfc check pipelines/dadf.dadf', (m) => timeProcess(['check', 'pipelines/dadf.dadf'], m));
await measure('lsp: first diagnostics', (m) => timeLsp(m));
