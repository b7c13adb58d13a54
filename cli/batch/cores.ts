// How several run processes share one machine. Each slot gets a contiguous slice of the cores
// this process may use (its affinity list) and as many compute threads as cores in its slice;
// with more slots than cores, slots share single cores round-robin with one thread each. Where
// `taskset` exists each process is pinned to its slice; elsewhere only the thread counts divide.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

export interface CoreShare {
  cpus: number[];
  threads: number;
}

/** The core ids this process may run on (Linux affinity list), else 0..n-1. */
export function allowedCpus(): number[] {
  try {
    const line = readFileSync('/proc/self/status', 'utf8').match(/^Cpus_allowed_list:\s*(.+)$/m);
    if (line) return parseCpuList(line[1]);
  } catch {
    // not Linux: fall through
  }
  return Array.from({ length: availableParallelism() }, (_, i) => i);
}

/** "0-3,6,8-9" → [0,1,2,3,6,8,9]. */
export function parseCpuList(text: string): number[] {
  return text
    .trim()
    .split(',')
    .flatMap((part) => {
      const [a, b] = part.split('-').map(Number);
      return b === undefined ? [a] : Array.from({ length: b - a + 1 }, (_, i) => a + i);
    });
}

export function shareCores(cpus: number[], slots: number): CoreShare[] {
  const n = Math.max(1, slots);
  if (n >= cpus.length) return Array.from({ length: n }, (_, i) => ({ cpus: [cpus[i % cpus.length]], threads: 1 }));
  return Array.from({ length: n }, (_, i) => {
    const slice = cpus.slice(Math.floor((i * cpus.length) / n), Math.floor(((i + 1) * cpus.length) / n));
    return { cpus: slice, threads: slice.length };
  });
}

export const formatCpus = (cpus: number[]) => cpus.join(',');

let tasksetFound: boolean | undefined;
/** Whether `taskset` (util-linux) can pin a process here. */
export function canPin(): boolean {
  tasksetFound ??= spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0;
  return tasksetFound;
}

/** One line saying how the slots divide the machine. */
export function describeShares(shares: CoreShare[]): string {
  const pin = canPin() ? 'pinned with taskset' : 'not pinned (no taskset here)';
  return `${shares.length} process${shares.length === 1 ? '' : 'es'}, ${pin}: ${shares.map((s, i) => `#${i + 1} cores ${formatCpus(s.cpus)} (${s.threads} thread${s.threads === 1 ? '' : 's'})`).join(', ')}`;
}
