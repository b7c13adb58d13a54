// What `dadfc compile` wrote can be run again: DIR/<name>.plan.json (or the DIR/<name>.ts beside
// it) holds the resolved spec, which is read back as a YAML pipeline living next to the plan, so
// --set, checking and weight paths (rebased to the plan's folder when it was written) all apply.
import { existsSync, readFileSync } from 'node:fs';
import { UserError } from '../common/errors.ts';
import { toYaml } from './print.ts';
import type { JsonObject } from './lower.ts';

const PLAN_SUFFIX = '.plan.json';

/** The plan that a path names: FILE.plan.json itself, or the plan beside a generated FILE.ts. */
export function compiledPlanPath(file: string): string | null {
  if (file.endsWith(PLAN_SUFFIX)) return file;
  if (file.endsWith('.ts') && existsSync(file.slice(0, -'.ts'.length) + PLAN_SUFFIX)) return file.slice(0, -'.ts'.length) + PLAN_SUFFIX;
  return null;
}

/** A virtual YAML pipeline next to the plan, and a reader that serves it. */
export function planAsPipeline(planPath: string, readFile: (path: string) => string): { file: string; readFile: (path: string) => string } {
  let plan: { format?: unknown; spec?: unknown };
  try {
    plan = JSON.parse(readFileSync(planPath, 'utf8'));
  } catch (error) {
    throw new UserError(`cannot read the compiled plan: ${(error as Error).message}`, {
      where: planPath,
      hint: 'write it again with dadfc compile PIPELINE -o DIR',
    });
  }
  if (plan.format !== 'dadf-plan' || typeof plan.spec !== 'object' || plan.spec === null) {
    throw new UserError('not a plan written by dadfc compile (no "format": "dadf-plan" with a spec)', {
      where: planPath,
      hint: 'give a .dadf or .yaml pipeline, or a DIR/<name>.plan.json from dadfc compile',
    });
  }
  const file = planPath.slice(0, -PLAN_SUFFIX.length) + '.plan.yaml';
  const text = `# the resolved pipeline of ${planPath}\n${toYaml(plan.spec as JsonObject)}`;
  return { file, readFile: (path) => (path === file ? text : readFile(path)) };
}
