// Heatmap colouring: one global min/max over all maps (so colours compare across images),
// a jet-like colour map, and alpha blending over the image.
import type { ReportCase } from './types.ts';

export interface MapRange {
  min: number;
  max: number;
}

/** Min and max over every finite value of every map; {0, 0} when there is none. */
export function globalRange(cases: readonly ReportCase[]): MapRange {
  let min = Infinity;
  let max = -Infinity;
  for (const c of cases) {
    for (const v of c.map) {
      if (!Number.isFinite(v)) continue;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  return Number.isFinite(min) ? { min, max } : { min: 0, max: 0 };
}

/** Jet-like colour for t in [0, 1]: dark blue → cyan → yellow → dark red. */
export function jet(t: number): [number, number, number] {
  const channel = (centre: number) => Math.round(255 * Math.min(1, Math.max(0, 1.5 - Math.abs(4 * t - centre))));
  return [channel(3), channel(2), channel(1)];
}

const JET_TABLE: Uint8Array = (() => {
  const table = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) table.set(jet(i / 255), 3 * i);
  return table;
})();

/** The map coloured with `jet` and blended over the image with opacity `alpha`; non-finite values count as the minimum. */
export function overlay(image: Uint8Array, map: Float32Array, range: MapRange, alpha: number): Uint8Array {
  const out = new Uint8Array(image.length);
  const span = range.max - range.min;
  for (let p = 0; p < map.length; p++) {
    const v = map[p];
    const t = span > 0 && Number.isFinite(v) ? Math.min(1, Math.max(0, (v - range.min) / span)) : 0;
    const k = 3 * Math.round(t * 255);
    for (let c = 0; c < 3; c++) out[3 * p + c] = Math.round(image[3 * p + c] * (1 - alpha) + JET_TABLE[k + c] * alpha);
  }
  return out;
}

/** A 0/1 mask as a white-on-black RGB image (null → all black). */
export function maskImage(mask: Uint8Array | null, pixels: number): Uint8Array {
  const out = new Uint8Array(pixels * 3);
  if (mask) for (let p = 0; p < pixels; p++) if (mask[p]) out.fill(255, 3 * p, 3 * p + 3);
  return out;
}
