// The runs of `dadfc bench`: every pipeline × --over combination × category folder × seed,
// each checked before any training starts. Run folders: OUT/<pipeline>[,<combination>]/<category>/seed-<n>.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { compilePipeline, hasErrors } from '../../compiler/index.ts';
import { UserError } from '../../common/errors.ts';
import { printDiagnostics } from '../diagnostics.ts';
import { combinationSlug, combinations, parseOver, splitValues } from './combinations.ts';
import { jobId, type RunJob } from './job.ts';

export interface BenchPlanOptions {
  files: string[];
  data: string;
  out: string;
  over: string[];
  set: string[];
  seeds?: string;
  categories?: string;
  pipeline?: string;
}

const isDataSet = (dir: string) => ['train', 'test'].some((sub) => existsSync(join(dir, sub)) && statSync(join(dir, sub)).isDirectory());

/** The category folders under ROOT (those holding train/ or test/), or ROOT itself when it is one. */
export function findCategories(root: string, only?: string): Array<{ name: string; dir: string }> {
  if (!existsSync(root) || !statSync(root).isDirectory())
    throw new UserError('no such data folder', {
      where: root,
      hint: 'give --data a folder holding one folder per category (e.g. MVTec AD: bottle/, cable/, ...)',
    });
  const found = isDataSet(root)
    ? [{ name: basename(resolve(root)), dir: resolve(root) }]
    : readdirSync(root)
        .sort()
        .map((name) => ({ name, dir: resolve(root, name) }))
        .filter((c) => statSync(c.dir).isDirectory() && isDataSet(c.dir));
  if (found.length === 0)
    throw new UserError('no category folders found (none holds train/ or test/)', {
      where: root,
      hint: 'give --data the folder above the categories, e.g. .../mvtec_ad',
    });
  if (!only) return found;
  const wanted = splitValues(only);
  const missing = wanted.filter((w) => !found.some((c) => c.name === w));
  if (missing.length > 0)
    throw new UserError(`no category ${missing.map((m) => `'${m}'`).join(', ')} under ${root}`, {
      where: '--categories',
      hint: `there are: ${found.map((c) => c.name).join(', ')}`,
      exitCode: 2,
    });
  return found.filter((c) => wanted.includes(c.name));
}

export function parseSeeds(text: string): number[] {
  const seeds = splitValues(text).map(Number);
  if (seeds.length === 0 || seeds.some((s) => !Number.isInteger(s) || s < 0))
    throw new UserError(`--seeds expects whole numbers like 0,1,2, got '${text}'`, { where: '--seeds', exitCode: 2 });
  return [...new Set(seeds)];
}

export function planBench(options: BenchPlanOptions): RunJob[] {
  const categories = findCategories(options.data, options.categories);
  const combos = options.over.length > 0 ? combinations(parseOver(options.over)) : [{}];
  const seen = new Map<string, string>();
  const jobs: RunJob[] = [];
  for (const file of options.files) {
    const base = compilePipeline(file, { sets: options.set, pipeline: options.pipeline });
    printDiagnostics(base.diagnostics, base.texts);
    if (hasErrors(base.diagnostics) || !base.spec) throw new UserError('the pipeline has errors', { where: file, hint: `dadfc check ${file}` });
    const name = base.spec.name;
    if (seen.has(name))
      throw new UserError(`two pipelines are named '${name}' (${seen.get(name)} and ${file})`, {
        where: file,
        hint: 'rename one: run folders are named after the pipeline',
      });
    seen.set(name, file);
    const seeds = options.seeds ? parseSeeds(options.seeds) : [base.spec.train.seed];
    for (const combo of combos) {
      const sets = [...options.set, ...Object.entries(combo).map(([k, v]) => `${k}=${v}`)];
      const checked = compilePipeline(file, { sets, pipeline: options.pipeline });
      if (hasErrors(checked.diagnostics) || !checked.spec) {
        printDiagnostics(checked.diagnostics, checked.texts);
        throw new UserError(`${name} with ${combinationSlug(combo)} does not check`, { where: file, hint: 'fix the values given to --over or --set' });
      }
      const variant = Object.keys(combo).length > 0 ? `${name},${combinationSlug(combo)}` : name;
      for (const category of categories) {
        for (const seed of seeds) {
          const runDir = resolve(options.out, variant, category.name, `seed-${seed}`);
          jobs.push({
            id: jobId(runDir),
            pipelineFile: resolve(file),
            pipeline: options.pipeline,
            sets: [...sets, `train.seed=${seed}`],
            dataDir: category.dir,
            runDir,
            labels: { pipeline: name, category: category.name, seed, combination: combo },
          });
        }
      }
    }
  }
  return jobs;
}
