// writeReport: report.html (self-contained), heatmaps/<type>/<id>.png, metrics.json, metrics.csv.
import { mkdir, rm, writeFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../../common/errors.ts';
import { globalRange, maskImage, overlay } from './colormap.ts';
import { buildHtml, type RenderedCase, type RenderedType } from './html.ts';
import { metricsCsv, metricsJson } from './metrics-files.ts';
import { pngDataUri, writePng } from './png.ts';
import { selectCases, typesInOrder } from './select.ts';
import type { ReportCase, ReportFiles, ReportInput, ReportOptions } from './types.ts';

/** A file-system-safe name: letters, digits, '.', '_' and '-' kept, the rest '_'. */
function safeName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return cleaned || '_';
}

function checkCase(c: ReportCase): void {
  const pixels = c.image.width * c.image.height;
  const problem =
    c.image.data.length !== pixels * 3
      ? `image has ${c.image.data.length} bytes, expected ${pixels * 3} (RGB ${c.image.width}×${c.image.height})`
      : c.map.length !== pixels
        ? `anomaly map has ${c.map.length} values, expected ${pixels}`
        : c.mask && c.mask.length !== pixels
          ? `mask has ${c.mask.length} values, expected ${pixels}`
          : null;
  if (problem) throw new Error(`report case ${c.defect}/${c.id}: ${problem}`);
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const temp = `${file}.tmp-${process.pid}`;
  await writeFile(temp, text);
  await rename(temp, file);
}

async function runLimited(jobs: Array<() => Promise<unknown>>, limit: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) await jobs[next++]();
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
}

export async function writeReport(dir: string, input: ReportInput, options: ReportOptions = {}): Promise<ReportFiles> {
  const perKind = options.casesPerType ?? 2;
  const maxThumbnail = options.maxThumbnail ?? 256;
  const alpha = options.overlayAlpha ?? 0.5;
  input.cases.forEach(checkCase);
  const range = globalRange(input.cases);

  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw new UserError(`cannot create the report folder ${dir}`, { where: dir, hint: 'choose a folder you can write to', cause: error });
  }
  const heatmapRoot = path.join(dir, 'heatmaps');
  await rm(heatmapRoot, { recursive: true, force: true }); // our own output from an earlier run

  // One full-size overlay per case, named by type and id (ids made unique within a type).
  const files = new Map<ReportCase, string>();
  const used = new Set<string>();
  for (const c of input.cases) {
    const base = `${safeName(c.defect)}/${safeName(c.id)}`;
    let relative = `heatmaps/${base}.png`;
    for (let n = 2; used.has(relative); n++) relative = `heatmaps/${base}-${n}.png`;
    used.add(relative);
    files.set(c, relative);
  }
  for (const type of new Set(input.cases.map((c) => c.defect))) await mkdir(path.join(heatmapRoot, safeName(type)), { recursive: true });

  const overlays = new Map<ReportCase, Uint8Array>();
  const shownByType = typesInOrder(input.cases).map((type) => ({ type, shown: selectCases(input.cases, type, perKind) }));
  const shownCases = new Set(shownByType.flatMap((t) => t.shown.map((s) => s.item)));
  await runLimited(
    input.cases.map((c) => async () => {
      const coloured = overlay(c.image.data, c.map, range, alpha);
      if (shownCases.has(c)) overlays.set(c, coloured);
      await writePng(path.join(dir, files.get(c)!), coloured, c.image.width, c.image.height);
    }),
    4,
  );

  const types: RenderedType[] = await Promise.all(
    shownByType.map(async ({ type, shown }) => ({
      type,
      total: input.cases.filter((c) => c.defect === type).length,
      shown: await Promise.all(
        shown.map(async (s): Promise<RenderedCase> => {
          const { width, height, data } = s.item.image;
          const [image, mask, heat] = await Promise.all([
            pngDataUri(data, width, height, maxThumbnail),
            pngDataUri(maskImage(s.item.mask, width * height), width, height, maxThumbnail, true),
            pngDataUri(overlays.get(s.item)!, width, height, maxThumbnail),
          ]);
          return { ...s, image, mask, overlay: heat, heatmapFile: files.get(s.item)! };
        }),
      ),
    })),
  );

  const html = path.join(dir, 'report.html');
  const json = path.join(dir, 'metrics.json');
  const csv = path.join(dir, 'metrics.csv');
  await writeAtomically(json, metricsJson(input, range));
  await writeAtomically(csv, metricsCsv(input));
  await writeAtomically(html, buildHtml({ input, range, types, proFprLimit: input.curves.proFprLimit ?? 0.3, perKind }));
  return { html, metricsJson: json, metricsCsv: csv, heatmaps: input.cases.map((c) => path.join(dir, files.get(c)!)) };
}
