// A run directory: everything a trained detector needs to be tested, resumed or reproduced.
//   run.json        meta: pipeline, backbone (id, pretrained or random), data fingerprint, progress, history
//   pipeline.dadf   the resolved pipeline (print-config form); spec.json the same as JSON
//   checkpoint.bin  weights + optimizer state of the last finished epoch (atomic writes)
//   log.jsonl       one JSON line per event
//   result.json     written last by a batch job (sweep, bench) once train and test are done: its row
// run.json also keeps the validation-split calibration of the score maps when the pipeline asks for
// it, and the thresholds learned on the validation split.
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../common/errors.ts';
import type { Spec } from '../../compiler/spec.ts';
import { checkRunMeta, type RunMeta } from './meta.ts';
import { upgradeStoredSpec } from '../../compiler/validate.ts';

export type { EpochRecord, RunMeta } from './meta.ts';

export const RUN_FILES = {
  meta: 'run.json',
  pipeline: 'pipeline.dadf',
  spec: 'spec.json',
  checkpoint: 'checkpoint.bin',
  log: 'log.jsonl',
  result: 'result.json',
} as const;

export class RunDir {
  constructor(readonly path: string) {}

  file(name: keyof typeof RUN_FILES): string {
    return join(this.path, RUN_FILES[name]);
  }

  exists(): boolean {
    return existsSync(this.file('meta'));
  }

  hasCheckpoint(): boolean {
    return existsSync(this.file('checkpoint'));
  }

  create(): void {
    mkdirSync(this.path, { recursive: true });
  }

  readMeta(): RunMeta {
    if (!existsSync(this.path)) {
      throw new UserError('no such run directory', { where: this.path, hint: 'train one first: dadfc train PIPELINE --data DIR -o RUN' });
    }
    if (!this.exists()) {
      throw new UserError(`not a run directory (no ${RUN_FILES.meta})`, { where: this.path, hint: 'give the directory that dadfc train wrote (-o RUN)' });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.file('meta'), 'utf8'));
    } catch {
      throw new UserError(`${RUN_FILES.meta} is corrupt (not JSON)`, { where: this.file('meta'), hint: 'retrain this run' });
    }
    const checked = checkRunMeta(parsed);
    if ('problem' in checked) {
      throw new UserError(`${RUN_FILES.meta} is corrupt (${checked.problem})`, { where: this.file('meta'), hint: 'retrain this run' });
    }
    return checked.meta;
  }

  /** The run's Spec, with defaults for keys added to the language since it was trained. */
  readSpec(): Spec {
    let stored: unknown;
    try {
      stored = JSON.parse(readFileSync(this.file('spec'), 'utf8'));
    } catch {
      throw new UserError(`${RUN_FILES.spec} is missing or corrupt`, { where: this.file('spec'), hint: 'retrain this run' });
    }
    const spec = upgradeStoredSpec(stored);
    if (!spec)
      throw new UserError(`${RUN_FILES.spec} does not match this version's pipeline schema`, {
        where: this.file('spec'),
        hint: 'retrain this run with this version of dadfc',
      });
    return spec;
  }

  writeMeta(meta: RunMeta): void {
    this.writeAtomic('meta', JSON.stringify({ ...meta, updated: new Date().toISOString() }, null, 2) + '\n');
  }

  writeAtomic(name: keyof typeof RUN_FILES, text: string): void {
    const target = this.file(name);
    const tmp = `${target}.tmp-${process.pid}`;
    writeFileSync(tmp, text);
    renameSync(tmp, target);
  }

  log(event: Record<string, unknown>): void {
    appendFileSync(this.file('log'), JSON.stringify({ time: new Date().toISOString(), ...event }) + '\n');
  }
}

/** The process's peak resident set so far (getrusage ru_maxrss, KiB on Linux), in MiB. */
export function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}
