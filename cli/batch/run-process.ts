// Runs one job in a child process of its own (`dadfc run-job`, child.ts): a fresh memory and backend per run,
// pinned to its share of cores, and an event loop here that stays free while the child
// computes (a queue worker must keep renewing its job's lock). Where `setpriv` exists the
// kernel kills the child when this process dies, so a killed worker leaves no orphan training.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../../compiler/package-root.ts';
import { canPin, formatCpus, type CoreShare } from './cores.ts';
import type { RunJob, RunResult } from './job.ts';

export interface RuntimeChoice {
  backend?: string;
  cache?: boolean;
  cacheDir?: string;
}

export interface ChildRequest {
  job: RunJob;
  runtime: RuntimeChoice & { threads: number };
}

export type ChildReply =
  | { kind: 'progress'; text: string }
  | { kind: 'warn'; message: string }
  | { kind: 'done'; result: RunResult }
  | { kind: 'failed'; userError: boolean; message: string };

export type ProcessOutcome = Extract<ChildReply, { kind: 'done' | 'failed' }>;

const live = new Set<ChildProcess>();

let setprivFound: boolean | undefined;
const canTieToParent = () => (setprivFound ??= spawnSync('setpriv', ['--help'], { stdio: 'ignore' }).status === 0);

export interface ProcessEvents {
  progress?: (text: string) => void;
  warn?: (message: string) => void;
}

export function runInChildProcess(job: RunJob, share: CoreShare, runtime: RuntimeChoice, events: ProcessEvents = {}): Promise<ProcessOutcome> {
  // Through dadfc's own entry, which runs the compiled CLI or the sources as the parent does.
  const node = [process.execPath, join(packageRoot(), 'bin', 'dadfc.js'), 'run-job'];
  const pinned = canPin() ? ['taskset', '-c', formatCpus(share.cpus), ...node] : node;
  const command = canTieToParent() ? ['setpriv', '--pdeathsig', 'KILL', ...pinned] : pinned;
  const threads = String(share.threads);
  const child = spawn(command[0], command.slice(1), {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    // Native TensorFlow and OpenMP read their pool sizes from these; wasm gets `threads`.
    env: { ...process.env, TF_NUM_INTRAOP_THREADS: threads, TF_NUM_INTEROP_THREADS: '1', OMP_NUM_THREADS: threads },
  });
  live.add(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  return new Promise((resolvePromise) => {
    let outcome: ProcessOutcome | undefined;
    child.on('message', (message: ChildReply) => {
      if (message.kind === 'progress') events.progress?.(message.text);
      else if (message.kind === 'warn') events.warn?.(message.message);
      else outcome = message;
    });
    child.on('error', (error) => {
      outcome ??= { kind: 'failed', userError: false, message: `the run process could not start: ${error.message}` };
    });
    child.on('close', (code, signal) => {
      live.delete(child);
      const lastLine = stderr.trim().split('\n').filter(Boolean).pop();
      resolvePromise(
        outcome ?? {
          kind: 'failed',
          userError: false,
          message: `the run process ended (${signal ?? `exit code ${code}`}) before it finished${lastLine ? `: ${lastLine}` : ''}`,
        },
      );
    });
    child.send({ job, runtime: { ...runtime, threads: share.threads } } satisfies ChildRequest);
  });
}

/** Stops every run process started here (on shutdown: their runs resume later from their checkpoints). */
export function killRunProcesses(): void {
  for (const child of live) child.kill('SIGKILL');
}
