// --over KEY=V1,V2 values and their grid, shared by sweep and bench.
import { UserError } from '../../common/errors.ts';

/** Splits `a,b,[c,d],f(x, y)` at the commas that are not inside brackets, parentheses or quotes. */
export function splitValues(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let current = '';
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '[' || ch === '(' || ch === '{') depth++;
    else if (ch === ']' || ch === ')' || ch === '}') depth--;
    else if (ch === ',' && depth === 0) {
      out.push(current.trim());
      current = '';
      continue;
    }
    current += ch;
  }
  if (current.trim() !== '') out.push(current.trim());
  return out;
}

export function parseOver(over: string[]): Array<{ key: string; values: string[] }> {
  return over.map((o) => {
    const eq = o.indexOf('=');
    const key = o.slice(0, eq).trim();
    const values = eq > 0 ? splitValues(o.slice(eq + 1)) : [];
    if (eq <= 0 || values.length === 0) {
      throw new UserError(`--over expects KEY=V1,V2,..., got '${o}'`, {
        where: '--over',
        hint: "e.g. --over 'flow.over=[prior],[prior,self,memory]' --over train.batch=4,8",
        exitCode: 2,
      });
    }
    return { key, values };
  });
}

export function combinations(axes: Array<{ key: string; values: string[] }>): Array<Record<string, string>> {
  return axes.reduce<Array<Record<string, string>>>((acc, axis) => acc.flatMap((c) => axis.values.map((v) => ({ ...c, [axis.key]: v }))), [{}]);
}

export const combinationSlug = (combo: Record<string, string>) =>
  Object.entries(combo)
    .map(([k, v]) => `${k.split('.').pop()}=${v.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_|_$/g, '')}`)
    .join(',') || 'base';
