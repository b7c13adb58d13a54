// dadfc eval --maps DIR --data DATASET: score anomaly maps written by any method against a data
// set's test split, as the official MVTec evaluation does (maps as DIR/test/<type>/<NNN>.tiff).
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../../common/errors.ts';
import {
  loadDataset,
  readMap,
  readMask,
  readMaskChannels,
  resizeMapBilinear,
  summarize,
  MAP_EXTENSIONS,
  type Dataset,
  type Sample,
} from '../../runtime/data/index.ts';
import { Evaluator, missingMetricNotes, SPRO_FPR_LIMITS, type EvalResult, type ScopeMetrics } from '../../runtime/metrics/index.ts';
import { csvNumber, csvText, percent } from '../../common/format.ts';
import { METRICS } from '../../runtime/metrics/names.ts';

export interface EvalOptions {
  maps: string;
  data: string;
  json?: string;
  csv?: string;
  skipBad?: boolean;
  quiet?: boolean;
  /** Evaluate at size x size (masks by nearest neighbour, maps bilinear) instead of the masks' size. */
  size?: number;
}

/** The map file of a test sample: DIR/test/<type>/<stem>.<ext> (or DIR/<type>/<stem>.<ext>). */
export function findMapFile(mapsDir: string, sample: Sample): string | null {
  for (const base of [join(mapsDir, 'test'), mapsDir]) {
    for (const ext of MAP_EXTENSIONS) {
      const path = join(base, `${sample.id}${ext}`);
      if (existsSync(path)) return path;
    }
  }
  return null;
}

/** Progress on a terminal only: one line rewritten in place on stderr. */
function progress(done: number, total: number, what: string): void {
  if (!process.stderr.isTTY) return;
  process.stderr.write(`\r${what} ${done}/${total}` + (done === total ? '\r' + ' '.repeat(what.length + 24) + '\r' : ''));
}

export async function evaluateMaps(dataset: Dataset, mapsDir: string, log: (line: string) => void = () => {}, size?: number): Promise<EvalResult> {
  const root = resolve(mapsDir);
  if (!existsSync(root))
    throw new UserError('maps folder not found', { where: root, hint: 'Expected DIR/test/<type>/<NNN>.tiff (or .npy) for every test image.' });
  const files = dataset.test.map((s) => findMapFile(root, s));
  const missing = dataset.test.filter((_, i) => files[i] === null).map((s) => s.id);
  if (missing.length > 0) {
    const shown = missing.slice(0, 5).join(', ') + (missing.length > 5 ? `, ... (${missing.length} of ${dataset.test.length})` : '');
    throw new UserError(`no anomaly map for test image${missing.length > 1 ? 's' : ''} ${shown}`, {
      where: root,
      hint: `Expected ${join(root, 'test', missing[0])}.tiff (or .tif/.npy): one float32 map per test image, laid out like the test split.`,
    });
  }
  const loco = dataset.layout === 'loco';
  const evaluator = new Evaluator({
    defectTypes: dataset.defectTypes,
    expectedPixels: dataset.test.reduce((n, s) => n + (size ? size * size : s.width * s.height), 0),
    loco,
  });
  const resized = new Map<string, number>();
  for (let i = 0; i < dataset.test.length; i++) {
    const sample = dataset.test[i];
    const plane = await readMap(files[i]!);
    let map = plane.data;
    // The image score is the maximum of the map as written, before any resizing.
    let score = -Infinity;
    for (let p = 0; p < map.length; p++) if (map[p] > score || Number.isNaN(map[p])) score = map[p];
    const width = size ?? sample.width;
    const height = size ?? sample.height;
    if (plane.width !== width || plane.height !== height) {
      const key = `${plane.width}x${plane.height} -> ${width}x${height}`;
      resized.set(key, (resized.get(key) ?? 0) + 1);
      map = resizeMapBilinear(map, plane.width, plane.height, width, height);
    }
    const hasMask = sample.maskPaths.length > 0;
    const mask = hasMask || sample.label === 0 ? await readMask(sample, size) : null;
    const channels = loco ? await readMaskChannels(sample, dataset.defectsConfig ?? [], size) : undefined;
    evaluator.add({ id: sample.id, defect: sample.defect, label: sample.label, map, mask, width, height, channels, score });
    progress(i + 1, dataset.test.length, 'reading maps and masks');
  }
  const target = size ? `the evaluation size ${size}x${size} (masks: nearest neighbour)` : 'match the masks';
  for (const [key, count] of resized) log(`note: resized ${count} map(s) ${key} (bilinear, pixel centres aligned) to ${target}`);
  return evaluator.finish();
}

const pct = (v: number | null | undefined) => percent(v, 2, '-');

function scopes(result: EvalResult): Array<[string, ScopeMetrics]> {
  return [...Object.entries(result.per_type), ['overall', result]];
}

export function formatTable(result: EvalResult): string {
  const loco = result.spro !== undefined;
  const header = ['type', 'images', 'image AUROC', 'pixel AUROC', 'AUPRO@0.3', 'F1max img', 'F1max px'];
  if (loco) header.push(...SPRO_FPR_LIMITS.map((l) => `AUsPRO@${l}`));
  const rows = scopes(result).map(([name, m]) => {
    const row = [name, String(m.n_images), pct(m.image_auroc), pct(m.pixel_auroc), pct(m.aupro), pct(m.f1_max_image), pct(m.f1_max_pixel)];
    const spro = name === 'overall' ? result.spro?.mean : m.auspro;
    if (loco) row.push(...SPRO_FPR_LIMITS.map((l) => pct(spro?.[String(l)])));
    return row;
  });
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
  out.push(`(percent; each type is scored together with the good test images${loco ? '; overall AUsPRO = mean of logical and structural' : ''})`);
  out.push(...missingMetricNotes(result));
  return out.join('\n');
}

export function formatCsv(result: EvalResult): string {
  const loco = result.spro !== undefined;
  const header = ['scope', 'n_images', 'n_good', 'n_anomalous', ...METRICS, ...(loco ? SPRO_FPR_LIMITS.map((l) => `auspro_${l}`) : [])];
  const rows = scopes(result).map(([name, m]) => {
    const spro = name === 'overall' ? result.spro?.mean : m.auspro;
    const counts = [m.n_images, m.n_good, m.n_anomalous].map(String);
    return [name, ...counts, ...METRICS.map((c) => csvNumber(m[c])), ...(loco ? SPRO_FPR_LIMITS.map((l) => csvNumber(spro?.[String(l)])) : [])];
  });
  return csvText([header, ...rows]);
}

/** What --json writes: every number as a fraction in [0, 1]; curves are left to the report. */
export function jsonOf(result: EvalResult): Record<string, unknown> {
  const { curves: _curves, ...rest } = result;
  return rest;
}

async function writeText(path: string, text: string): Promise<void> {
  await mkdir(dirname(resolve(path)), { recursive: true });
  await writeFile(path, text);
}

export async function runEval(options: EvalOptions): Promise<EvalResult> {
  const say = (s: string) => {
    if (!options.quiet) process.stdout.write(s + '\n');
  };
  const dataset = await loadDataset(options.data, { skipBad: options.skipBad });
  say(summarize({ ...dataset, train: [], validation: [] }));
  const result = await evaluateMaps(dataset, options.maps, say, options.size);
  say('');
  say(formatTable(result));
  if (options.json) {
    await writeText(options.json, JSON.stringify(jsonOf(result), null, 2) + '\n');
    say(`wrote ${options.json}`);
  }
  if (options.csv) {
    await writeText(options.csv, formatCsv(result));
    say(`wrote ${options.csv}`);
  }
  return result;
}

export function register(program: Command): void {
  program
    .command('eval')
    .description('Score anomaly maps (DIR/test/<type>/<NNN>.tiff or .npy, float32) against a data set: image/pixel AUROC, AUPRO, F1-max (LOCO: AUsPRO).')
    .requiredOption('--maps <dir>', 'folder of anomaly maps laid out like the test split')
    .requiredOption('--data <dir>', 'data set folder (MVTec AD, MVTec LOCO AD or plain layout)')
    .option('--json <file>', 'write the metrics as JSON (fractions in [0, 1])')
    .option('--csv <file>', 'write the metrics as CSV')
    .option('--skip-bad', 'list and skip unreadable images instead of stopping')
    .option('--size <n>', "evaluate at n x n pixels (masks resized by nearest neighbour) instead of the masks' own size")
    .action(async (opts: Omit<EvalOptions, 'size'> & { size?: string }) => {
      let size: number | undefined;
      if (opts.size !== undefined) {
        size = Number(opts.size);
        if (!Number.isInteger(size) || size < 1) throw new UserError(`--size must be a positive integer, got '${opts.size}'`, { where: '--size', exitCode: 2 });
      }
      await runEval({ ...opts, size });
    });
}
