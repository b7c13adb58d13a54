// What every verb that runs a model needs: a backend (printed), a feature cache, progress.
import type { Command } from 'commander';
import { initBackend, describeBackend, type BackendInfo } from '../runtime/backend.ts';
import { FeatureCache } from '../runtime/features/index.ts';
import type { Progress } from '../runtime/progress.ts';
import { createProgress } from './progress.ts';

export interface RuntimeFlags {
  backend?: string;
  cache?: boolean;
  cacheDir?: string;
  quiet?: boolean;
  json?: boolean;
}

export interface RuntimeContext {
  backend: BackendInfo;
  cache: FeatureCache;
  progress: Progress & { stop(): void };
}

export function addRuntimeFlags(cmd: Command): Command {
  return cmd
    .option('--backend <name>', 'tensorflow-gpu | tensorflow | wasm | cpu (default: the fastest that loads; or $DADF_BACKEND)')
    .option('--cache-dir <dir>', 'feature cache folder (default $DADF_CACHE_DIR or .dadf-cache)')
    .option('--no-cache', 'keep features in memory only')
    .option('-q, --quiet', 'only warnings and the final result')
    .option('--json', 'JSON lines on stdout instead of progress bars');
}

export async function startRuntime(flags: RuntimeFlags): Promise<RuntimeContext> {
  const progress = createProgress({ quiet: flags.quiet, json: flags.json });
  const backend = await initBackend(flags.backend);
  progress({ kind: 'log', level: 'info', message: describeBackend(backend) });
  const cache = FeatureCache.open({ dir: flags.cache === false ? null : flags.cacheDir });
  return { backend, cache, progress };
}
