// Inline SVG line plots (no scripts, no external fonts), for ROC and PRO curves.
import { escapeHtml } from './escape.ts';

export interface PlotSeries {
  name: string;
  colour: string;
  points: Array<[number, number]>;
}

export interface LinePlot {
  title: string;
  xLabel: string;
  yLabel: string;
  xMax: number;
  yMax: number;
  series: PlotSeries[];
  /** Dashed y = x line (chance level of a ROC curve). */
  diagonal?: boolean;
}

const WIDTH = 420;
const HEIGHT = 340;
const MARGIN = { left: 52, right: 16, top: 14, bottom: 46 };
const PLOT_W = WIDTH - MARGIN.left - MARGIN.right;
const PLOT_H = HEIGHT - MARGIN.top - MARGIN.bottom;

function fmt(v: number): string {
  return Number(v.toFixed(2)).toString();
}

/** Drops points closer than half a plot pixel to the last one kept, so million-point pixel curves stay small. */
function thinPoints(points: Array<[number, number]>, xScale: number, yScale: number): Array<[number, number]> {
  const kept: Array<[number, number]> = [];
  for (let i = 0; i < points.length; i++) {
    const p = points[i];
    const last = kept[kept.length - 1];
    if (!last || i === points.length - 1 || Math.abs(p[0] - last[0]) * xScale + Math.abs(p[1] - last[1]) * yScale >= 0.5) kept.push(p);
  }
  return kept;
}

/** Ticks at round steps: 0.2 for a [0, 1] axis, 0.05 for [0, 0.3]. */
function ticks(max: number): number[] {
  const step = max <= 0.31 ? 0.05 : max <= 0.61 ? 0.1 : 0.2;
  const out: number[] = [];
  for (let v = 0; v <= max + 1e-9; v += step) out.push(Number(v.toFixed(4)));
  return out;
}

export function linePlotSvg(plot: LinePlot): string {
  const sx = (x: number) => MARGIN.left + (Math.min(x, plot.xMax) / plot.xMax) * PLOT_W;
  const sy = (y: number) => MARGIN.top + PLOT_H - (Math.min(y, plot.yMax) / plot.yMax) * PLOT_H;
  const parts: string[] = [];
  parts.push(`<svg class="plot" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${escapeHtml(plot.title)}">`);
  parts.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${PLOT_W}" height="${PLOT_H}" class="plot-bg"/>`);
  for (const t of ticks(plot.xMax)) {
    const x = sx(t).toFixed(1);
    parts.push(`<line x1="${x}" y1="${MARGIN.top}" x2="${x}" y2="${MARGIN.top + PLOT_H}" class="grid"/>`);
    parts.push(`<text x="${x}" y="${MARGIN.top + PLOT_H + 16}" class="tick" text-anchor="middle">${fmt(t)}</text>`);
  }
  for (const t of ticks(plot.yMax)) {
    const y = sy(t).toFixed(1);
    parts.push(`<line x1="${MARGIN.left}" y1="${y}" x2="${MARGIN.left + PLOT_W}" y2="${y}" class="grid"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${y}" class="tick" text-anchor="end" dominant-baseline="middle">${fmt(t)}</text>`);
  }
  parts.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${PLOT_W}" height="${PLOT_H}" class="axes"/>`);
  parts.push(`<text x="${MARGIN.left + PLOT_W / 2}" y="${HEIGHT - 8}" class="axis-label" text-anchor="middle">${escapeHtml(plot.xLabel)}</text>`);
  parts.push(
    `<text transform="translate(14 ${MARGIN.top + PLOT_H / 2}) rotate(-90)" class="axis-label" text-anchor="middle">${escapeHtml(plot.yLabel)}</text>`,
  );
  if (plot.diagonal) {
    const end = Math.min(plot.xMax, plot.yMax);
    parts.push(`<line x1="${sx(0)}" y1="${sy(0)}" x2="${sx(end)}" y2="${sy(end)}" class="chance"/>`);
  }
  for (const s of plot.series) {
    const visible = s.points.filter(([x]) => x <= plot.xMax + 1e-12);
    const thinned = thinPoints(visible, PLOT_W / plot.xMax, PLOT_H / plot.yMax);
    if (thinned.length === 0) continue;
    const d = thinned.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${sx(x).toFixed(1)} ${sy(y).toFixed(1)}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${s.colour}" stroke-width="2" stroke-linejoin="round"/>`);
  }
  // Legend, bottom-right inside the plot area (where ROC/PRO curves rarely are).
  const legendX = MARGIN.left + PLOT_W - 10;
  plot.series.forEach((s, i) => {
    const y = MARGIN.top + PLOT_H - 14 - (plot.series.length - 1 - i) * 18;
    parts.push(`<line x1="${legendX - 18}" y1="${y}" x2="${legendX}" y2="${y}" stroke="${s.colour}" stroke-width="3"/>`);
    parts.push(`<text x="${legendX - 24}" y="${y}" class="legend" text-anchor="end" dominant-baseline="middle">${escapeHtml(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

/** A horizontal colour bar for the heatmap scale. */
export function colourBarSvg(stops: string[], minLabel: string, maxLabel: string): string {
  const gradient = stops.map((c, i) => `<stop offset="${((i / (stops.length - 1)) * 100).toFixed(1)}%" stop-color="${c}"/>`).join('');
  return (
    `<svg class="colourbar" viewBox="0 0 320 40" role="img" aria-label="heatmap colour scale">` +
    `<defs><linearGradient id="jet-gradient">${gradient}</linearGradient></defs>` +
    `<rect x="10" y="4" width="300" height="14" fill="url(#jet-gradient)" stroke="#888" stroke-width="0.5"/>` +
    `<text x="10" y="33" class="tick">${escapeHtml(minLabel)}</text>` +
    `<text x="310" y="33" class="tick" text-anchor="end">${escapeHtml(maxLabel)}</text>` +
    `</svg>`
  );
}
