// Runs the PyTorch reference of DADF (../shared/peers/torch_dadf, see its README) with
// --time-only and reads back its step times. It is a yardstick run as a separate process;
// none of its code is part of this project.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Milliseconds as the reference measures them (median over its repetitions). */
export interface ReferenceTimes {
  stage1: number;
  stage2: number;
  inference: number;
  torch: string;
}

export type ReferenceResult = { times: ReferenceTimes } | { skipped: string };

const PACKAGES = 'apt-get install -y python3-torch python3-numpy python3-scipy python3-sklearn python3-pil libjemalloc2';

/** Whether the reference can run here; a reason to skip it when not. */
function referenceMissing(script: string, python: string): string | undefined {
  if (!existsSync(script)) return `no reference at ${script} (set DADF_TORCH_REFERENCE)`;
  const probe = spawnSync(python, ['-c', 'import torch, numpy, scipy, sklearn, PIL'], { encoding: 'utf8' });
  if (probe.status !== 0) return `python3-torch (or numpy, scipy, sklearn, PIL) is absent for ${python}; to run it: ${PACKAGES}`;
  return undefined;
}

/**
 * Runs `script --config <config> --time-only`. The script finds its weights at
 * <its folder>/../../shared/weights, so it is started through a symlink in a scratch
 * folder laid out that way (abspath does not resolve symlinks), with weights pointing at
 * `shared`/weights and --data at the shared bottle category.
 */
export function runReference(script: string, python: string, shared: string, config: 'cpu' | 'lite'): ReferenceResult {
  const missing = referenceMissing(script, python);
  if (missing) return { skipped: missing };
  const scratch = mkdtempSync(join(tmpdir(), 'dadf-peer-'));
  try {
    const folder = join(scratch, 'peers', 'torch_dadf');
    mkdirSync(folder, { recursive: true });
    mkdirSync(join(scratch, 'shared'));
    symlinkSync(script, join(folder, 'dadf_torch.py'));
    symlinkSync(join(shared, 'weights'), join(scratch, 'shared', 'weights'));
    const out = join(scratch, 'peer.json');
    const data = join(shared, 'data', 'mvtec_ad', 'bottle');
    const args = [join(folder, 'dadf_torch.py'), '--config', config, '--time-only', '--out', out, '--cache', join(scratch, 'cache'), '--data', data];
    const run = spawnSync(python, args, { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
    if (run.status !== 0 || !existsSync(out)) {
      const tail = `${run.stderr ?? ''}${run.stdout ?? ''}`.trim().split('\n').slice(-3).join(' | ');
      return { skipped: `the reference failed (exit ${run.status}): ${tail}` };
    }
    const r = JSON.parse(readFileSync(out, 'utf8')) as Record<string, { median?: number; torch?: string }>;
    const tag = `${config}_timeonly`;
    const median = (key: string) => {
      const v = r[`${tag}/${key}`]?.median;
      if (typeof v !== 'number') throw new Error(`the reference wrote no ${tag}/${key}`);
      return v;
    };
    return {
      times: {
        stage1: median('stage1_ms_per_step_b8'),
        stage2: median('stage2_ms_per_step_b16_flows_only'),
        inference: median('inference_ms_per_img_b1'),
        torch: String(r.env?.torch ?? '?'),
      },
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
