// Anti-aliased coverage drawing: each shape writes how much of every pixel it covers (0..1)
// into a size×size Float32Array, keeping the maximum where shapes overlap. Defects are then
// painted by blending a target colour with that coverage.
import type { Rng } from './rng.ts';

export type Point = [number, number];

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

/** A thick line segment (pixel centres at +0.5), half-width in pixels. */
function drawSegment(cov: Float32Array, size: number, a: Point, b: Point, halfWidth: number): void {
  const pad = halfWidth + 1;
  const x0 = Math.max(0, Math.floor(Math.min(a[0], b[0]) - pad));
  const x1 = Math.min(size - 1, Math.ceil(Math.max(a[0], b[0]) + pad));
  const y0 = Math.max(0, Math.floor(Math.min(a[1], b[1]) - pad));
  const y1 = Math.min(size - 1, Math.ceil(Math.max(a[1], b[1]) + pad));
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const lengthSq = dx * dx + dy * dy || 1e-9;
  for (let y = y0; y <= y1; y++) {
    const py = y + 0.5;
    for (let x = x0; x <= x1; x++) {
      const px = x + 0.5;
      const t = clamp01(((px - a[0]) * dx + (py - a[1]) * dy) / lengthSq);
      const ex = px - (a[0] + t * dx);
      const ey = py - (a[1] + t * dy);
      const c = clamp01(halfWidth + 0.5 - Math.sqrt(ex * ex + ey * ey));
      const i = y * size + x;
      if (c > cov[i]) cov[i] = c;
    }
  }
}

export function drawPolyline(cov: Float32Array, size: number, points: Point[], halfWidth: number): void {
  for (let i = 1; i < points.length; i++) drawSegment(cov, size, points[i - 1], points[i], halfWidth);
}

/**
 * A random walk of `steps` segments of `stepLength` px from `start`, turning by at most
 * `maxTurn` radians per step: a scratch when maxTurn is small, a crack when it is large.
 */
export function randomWalk(rng: Rng, start: Point, heading: number, steps: number, stepLength: number, maxTurn: number): Point[] {
  const points: Point[] = [start];
  let [x, y] = start;
  let angle = heading;
  for (let s = 0; s < steps; s++) {
    angle += rng.range(-maxTurn, maxTurn);
    x += Math.cos(angle) * stepLength;
    y += Math.sin(angle) * stepLength;
    points.push([x, y]);
  }
  return points;
}

/**
 * A blob: a disc whose radius wobbles with the angle (a few random harmonics), soft over one pixel.
 * `wobble` 0 gives a circle.
 */
export function drawBlob(cov: Float32Array, size: number, rng: Rng, centre: Point, radius: number, wobble: number): void {
  const harmonics = [2, 3, 5].map((k) => ({ k, phase: rng.range(0, 2 * Math.PI), amp: (rng.range(0.3, 1) * wobble) / 2 }));
  const reach = radius * (1 + wobble) + 1;
  const x0 = Math.max(0, Math.floor(centre[0] - reach));
  const x1 = Math.min(size - 1, Math.ceil(centre[0] + reach));
  const y0 = Math.max(0, Math.floor(centre[1] - reach));
  const y1 = Math.min(size - 1, Math.ceil(centre[1] + reach));
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const dx = x + 0.5 - centre[0];
      const dy = y + 0.5 - centre[1];
      const theta = Math.atan2(dy, dx);
      let r = radius;
      for (const h of harmonics) r += radius * h.amp * Math.sin(h.k * theta + h.phase);
      const c = clamp01(r - Math.sqrt(dx * dx + dy * dy) + 0.5);
      const i = y * size + x;
      if (c > cov[i]) cov[i] = c;
    }
  }
}
