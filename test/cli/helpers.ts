// Running the real `dadfc` entry as a user would, for the CLI tests.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../compiler/helpers.ts';

export interface CliResult {
  code: number | null;
  out: string;
  err: string;
}

/** A `dadfc(...args)` that runs bin/dadfc.js from the repository root with `env` added. */
export function cliRunner(env: Record<string, string> = {}): (...args: string[]) => CliResult {
  return (...args) => {
    const r = spawnSync(process.execPath, [join(repoRoot, 'bin/dadfc.js'), ...args], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', ...env },
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
}
