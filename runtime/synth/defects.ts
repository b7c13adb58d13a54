// Defect painters. Each draws a coverage map (0..1 per pixel) and blends a target colour into
// the scene's float image with it. The exact mask is derived afterwards by comparing the
// rounded result with the rounded defect-free image (see sample.ts), so it holds exactly
// the pixels a defect changed, however faint its edge.
import { drawBlob, drawPolyline, randomWalk, type Point } from './coverage.ts';
import type { Rng } from './rng.ts';
import type { CategoryKind, Scene } from './scenes.ts';

const TEXTURE_DEFECTS = ['scratch', 'spot', 'crack', 'hole', 'color'] as const;
const OBJECT_DEFECTS = ['scratch', 'spot', 'crack', 'color', 'missing', 'misplaced'] as const;

export function defectsForKind(kind: CategoryKind): readonly string[] {
  return kind === 'texture' ? TEXTURE_DEFECTS : OBJECT_DEFECTS;
}

/** Blends `target(channelValue, channel)` into `out` with weight alpha·cov per pixel. */
function paint(out: Float32Array, cov: Float32Array, alpha: number, target: (value: number, channel: number) => number): void {
  for (let i = 0; i < cov.length; i++) {
    const a = cov[i] * alpha;
    if (a <= 0) continue;
    for (let c = 0; c < 3; c++) {
      const v = out[3 * i + c];
      out[3 * i + c] = v + (target(v, c) - v) * a;
    }
  }
}

/** Keeps defects on the object (objects only). */
function restrictToObject(cov: Float32Array, scene: Scene): void {
  if (!scene.objectAlpha) return;
  for (let i = 0; i < cov.length; i++) cov[i] *= scene.objectAlpha[i];
}

/** A random point on the object (objects) or away from the borders (textures). `outward` prefers points far from the object's centre. */
function pickLocation(rng: Rng, scene: Scene, outward = false): Point {
  const { size, objectAlpha, objectCentre } = scene;
  if (!objectAlpha || !objectCentre) return [rng.range(0.15, 0.85) * size, rng.range(0.15, 0.85) * size];
  let best: Point = objectCentre;
  let bestDistance = -1;
  const wanted = outward ? 8 : 1;
  let found = 0;
  for (let attempt = 0; attempt < 400 && found < wanted; attempt++) {
    const p: Point = [rng.range(0, size), rng.range(0, size)];
    if (objectAlpha[Math.floor(p[1]) * size + Math.floor(p[0])] < 0.99) continue;
    found++;
    const d = Math.hypot(p[0] - objectCentre[0], p[1] - objectCentre[1]);
    if (d > bestDistance) {
      best = p;
      bestDistance = d;
    }
  }
  return best;
}

/** A walk through `centre` in both directions, so the line is centred on the chosen point. */
function walkThrough(rng: Rng, centre: Point, stepsEachWay: number, stepLength: number, maxTurn: number): Point[] {
  const heading = rng.range(0, 2 * Math.PI);
  const back = randomWalk(rng, centre, heading + Math.PI, stepsEachWay, stepLength, maxTurn).reverse();
  const forward = randomWalk(rng, centre, heading, stepsEachWay, stepLength, maxTurn);
  return [...back, ...forward.slice(1)];
}

type Painter = (scene: Scene, out: Float32Array, rng: Rng) => void;

const scratch: Painter = (scene, out, rng) => {
  const { size } = scene;
  const k = size / 256;
  const cov = new Float32Array(size * size);
  const steps = 4 + rng.int(4);
  const length = rng.range(0.18, 0.32) * size;
  drawPolyline(cov, size, walkThrough(rng, pickLocation(rng, scene), steps, length / (2 * steps), 0.18), Math.max(0.5, rng.range(0.6, 1.1) * k));
  restrictToObject(cov, scene);
  if (rng.chance(0.5)) paint(out, cov, 0.8, () => 236);
  else paint(out, cov, 0.85, (v) => v * 0.3);
};

/** Dirt, pale residue, ink: at least one contrasts with every category's colours. */
const STAINS: ReadonlyArray<[number, number, number]> = [
  [42, 30, 22],
  [214, 204, 172],
  [52, 64, 118],
];

const spot: Painter = (scene, out, rng) => {
  const { size } = scene;
  const cov = new Float32Array(size * size);
  drawBlob(cov, size, rng, pickLocation(rng, scene), rng.range(0.025, 0.05) * size, 0.35);
  restrictToObject(cov, scene);
  const stain = rng.pick(STAINS).map((c) => c + rng.range(-12, 12));
  paint(out, cov, rng.range(0.65, 0.85), (_v, c) => stain[c]);
};

const crack: Painter = (scene, out, rng) => {
  const { size } = scene;
  const k = size / 256;
  const cov = new Float32Array(size * size);
  const stepLength = 0.012 * size;
  const main = walkThrough(rng, pickLocation(rng, scene), 7 + rng.int(4), stepLength, 0.6);
  const halfWidth = Math.max(0.5, rng.range(0.7, 1.0) * k);
  drawPolyline(cov, size, main, halfWidth);
  const branches = 2 + rng.int(2);
  for (let b = 0; b < branches; b++) {
    const from = main[1 + rng.int(main.length - 2)];
    const branch = randomWalk(rng, from, rng.range(0, 2 * Math.PI), 3 + rng.int(4), stepLength, 0.7);
    drawPolyline(cov, size, branch, Math.max(0.5, halfWidth * 0.7));
  }
  restrictToObject(cov, scene);
  paint(out, cov, 0.9, (v) => v * 0.18);
};

const hole: Painter = (scene, out, rng) => {
  const { size } = scene;
  const k = size / 256;
  const centre = pickLocation(rng, scene);
  const radius = rng.range(0.018, 0.035) * size;
  const rim = new Float32Array(size * size);
  drawBlob(rim, size, rng, centre, radius + 1.5 * k + 1, 0.1);
  restrictToObject(rim, scene);
  paint(out, rim, 0.7, (v) => v * 1.25 + 15);
  const inside = new Float32Array(size * size);
  drawBlob(inside, size, rng, centre, radius, 0.1);
  restrictToObject(inside, scene);
  const dark = rng.range(14, 34);
  paint(out, inside, 0.95, (_v, c) => dark - 4 * c);
};

const HUES: ReadonlyArray<[number, number, number]> = [
  [205, 45, 40],
  [45, 160, 70],
  [55, 85, 215],
  [225, 190, 35],
  [170, 60, 190],
];

const color: Painter = (scene, out, rng) => {
  const { size } = scene;
  const cov = new Float32Array(size * size);
  drawBlob(cov, size, rng, pickLocation(rng, scene), rng.range(0.05, 0.085) * size, 0.3);
  restrictToObject(cov, scene);
  // A hue far from what is there (a red patch on a red carpet would hardly show).
  const local = [0, 0, 0];
  let weight = 0;
  for (let i = 0; i < cov.length; i++) {
    if (cov[i] <= 0) continue;
    for (let c = 0; c < 3; c++) local[c] += out[3 * i + c] * cov[i];
    weight += cov[i];
  }
  const distance = (h: readonly number[]) => h.reduce((sum, v, c) => sum + (v - local[c] / Math.max(weight, 1e-9)) ** 2, 0);
  const hue = rng.pick([...HUES].sort((a, b) => distance(b) - distance(a)).slice(0, 3));
  paint(out, cov, rng.range(0.45, 0.6), (_v, c) => hue[c]);
};

/** Cuts a piece off the object's edge: the background shows through. */
function cutPiece(scene: Scene, out: Float32Array, rng: Rng, radiusRange: [number, number]): Float32Array {
  const { size, background } = scene;
  const cov = new Float32Array(size * size);
  drawBlob(cov, size, rng, pickLocation(rng, scene, true), rng.range(...radiusRange) * size, 0.3);
  if (!background) throw new Error('missing/misplaced defects need an object scene');
  for (let i = 0; i < cov.length; i++) {
    const a = cov[i];
    if (a <= 0) continue;
    for (let c = 0; c < 3; c++) out[3 * i + c] += (background[3 * i + c] - out[3 * i + c]) * a;
  }
  return cov;
}

const missing: Painter = (scene, out, rng) => {
  cutPiece(scene, out, rng, [0.06, 0.1]);
};

/** A piece of the object moved elsewhere: a gap where it was, the piece where it landed. */
const misplaced: Painter = (scene, out, rng) => {
  const { size, objectAlpha } = scene;
  const before = new Float32Array(out);
  const cov = cutPiece(scene, out, rng, [0.06, 0.09]);
  const angle = rng.range(0, 2 * Math.PI);
  const distance = rng.range(0.1, 0.16) * size;
  const sx = Math.round(Math.cos(angle) * distance);
  const sy = Math.round(Math.sin(angle) * distance);
  for (let y = 0; y < size; y++) {
    const fy = y - sy;
    if (fy < 0 || fy >= size) continue;
    for (let x = 0; x < size; x++) {
      const fx = x - sx;
      if (fx < 0 || fx >= size) continue;
      const from = fy * size + fx;
      const a = cov[from] * (objectAlpha ? objectAlpha[from] : 1);
      if (a <= 0) continue;
      const i = y * size + x;
      for (let c = 0; c < 3; c++) out[3 * i + c] += (before[3 * from + c] - out[3 * i + c]) * a;
    }
  }
};

export const PAINTERS: Record<string, Painter> = { scratch, spot, crack, hole, color, missing, misplaced };
