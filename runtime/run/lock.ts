// One process owns a run directory at a time (train, run, test, sweep take it). The lock is a
// file, RUN/.lock, created exclusively and holding the owner's pid, host and start time. A lock
// whose process is gone (killed, crashed) is stale and taken over at once: liveness is asked of
// the kernel (kill(pid, 0)), and the process start time from /proc guards against a reused pid.
// A lock refreshed by a timer (proper-lockfile) was not chosen: training runs long synchronous
// steps that would starve the timer, and a killed run would block its directory for the whole
// staleness window.
import { existsSync, mkdirSync, readFileSync, rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { UserError } from '../../common/errors.ts';

export const LOCK_FILE = '.lock';

interface LockInfo {
  pid: number;
  host: string;
  /** Process start time in clock ticks since boot (Linux), to tell a reused pid apart. */
  start: string | null;
  what: string;
  since: string;
}

export interface RunLock {
  readonly path: string;
  release(): void;
}

/** Locks held by this process, by lock path: taking one again (run → train → test) nests. */
const held = new Map<string, { count: number; info: LockInfo; createdDir?: string }>();

function processStart(pid: number): string | null {
  try {
    // Field 22 of /proc/PID/stat; the command name (field 2) may hold spaces, so count after ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function isAlive(info: LockInfo): boolean {
  if (info.host !== hostname()) return true; // another machine's process: cannot tell, assume it runs
  try {
    process.kill(info.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const start = processStart(info.pid);
  return info.start === null || start === null || start === info.start;
}

function readInfo(path: string): LockInfo | 'missing' | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return 'missing';
  }
  try {
    const info = JSON.parse(text) as LockInfo;
    return typeof info.pid === 'number' ? info : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

/** The run directory is another live process's: a queue worker retries such a job later. */
export class RunDirInUse extends UserError {}

/**
 * Frees `dir` from a lock held by a process on `host`, another machine that the caller knows
 * to be gone (a queue worker whose job lock expired: cli/batch/worker.ts). Locks of this
 * machine are left to the pid check of lockRunDir. True when a lock was removed.
 */
export function takeOverFromHost(dir: string, host: string): boolean {
  const path = join(dir, LOCK_FILE);
  const owner = readInfo(path);
  if (typeof owner !== 'object' || owner.host !== host || host === hostname()) return false;
  takeOver(path, owner);
  return !existsSync(path);
}

/**
 * Takes the run directory `dir` for `what` ("dadfc train"), or says who has it. The folder is
 * created, unless `existing` is set: then a missing folder is left for the caller to report.
 */
export function lockRunDir(dir: string, what: string, options: { existing?: boolean } = {}): RunLock {
  const path = join(dir, LOCK_FILE);
  if (options.existing && !existsSync(dir)) return { path, release() {} };
  const mine = held.get(path);
  if (mine) {
    mine.count++;
    return handle(path);
  }
  const createdDir = mkdirSync(dir, { recursive: true });
  const info: LockInfo = { pid: process.pid, host: hostname(), start: processStart(process.pid), what, since: new Date().toISOString() };
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      writeFileSync(path, JSON.stringify(info) + '\n', { flag: 'wx' });
      held.set(path, { count: 1, info, createdDir });
      // Once per process: every later lock after a release added another listener (Node warned at 11).
      if (!process.listeners('exit').includes(releaseAll)) process.on('exit', releaseAll);
      return handle(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = readInfo(path);
    if (owner === 'missing') continue; // released between our two calls
    if (owner === 'unreadable') {
      // Being written by its owner right now, or left empty by a crash: wait a moment before calling it stale.
      if (Date.now() - mtimeOf(path) < 2000) sleep(50);
      else takeOver(path, null);
      continue;
    }
    if (isAlive(owner)) {
      throw new RunDirInUse(
        `this run directory is in use by another dadfc process (${owner.what}, pid ${owner.pid}${owner.host !== info.host ? ` on ${owner.host}` : ''}, since ${owner.since})`,
        {
          where: dir,
          hint: `wait for it to finish, or use another run directory (-o). If no such process runs, delete ${path}`,
        },
      );
    }
    takeOver(path, owner);
  }
  throw new UserError('could not take the lock of this run directory (it keeps changing hands)', {
    where: dir,
    hint: `try again; if it persists, delete ${path}`,
  });
}

function handle(path: string): RunLock {
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      const entry = held.get(path);
      if (!entry || --entry.count > 0) return;
      held.delete(path);
      removeIfOurs(path, entry.info);
      // A run that never started leaves no empty folder behind (rmdir fails on a non-empty one).
      if (entry.createdDir) rmdirSafe(dirname(path));
    },
  };
}

function removeIfOurs(path: string, info: LockInfo): void {
  const now = readInfo(path);
  if (typeof now === 'object' && now.pid === info.pid && now.since === info.since) {
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  }
}

function releaseAll(): void {
  for (const [path, entry] of held) removeIfOurs(path, entry.info);
  held.clear();
}

/**
 * Removes a stale lock. Two processes may find the same stale lock: the one that creates the
 * `.takeover` folder (atomic) removes it, after checking it is still the stale one.
 */
function takeOver(path: string, stale: LockInfo | null): void {
  const guard = `${path}.takeover`;
  try {
    mkdirSync(guard);
  } catch {
    // Someone else is taking over; a guard left by a crash is old and removed.
    if (Date.now() - mtimeOf(guard) > 10_000) rmdirSafe(guard);
    else sleep(50);
    return;
  }
  try {
    const now = readInfo(path);
    const same = stale === null ? now === 'unreadable' : typeof now === 'object' && now.pid === stale.pid && now.since === stale.since;
    if (same) unlinkSync(path);
  } finally {
    rmdirSafe(guard);
  }
}

function mtimeOf(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function rmdirSafe(path: string): void {
  try {
    rmdirSync(path);
  } catch {
    // gone already
  }
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
