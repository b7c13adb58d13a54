// Normal (defect-free) scenes: four procedural textures and three simple objects on a plain
// background. Every draw comes from the Rng, so each normal image differs a little (noise,
// colour, pose) while the category stays recognisable.
import { fbm } from './noise.ts';
import type { Rng } from './rng.ts';
import type { Point } from './coverage.ts';

export type CategoryKind = 'texture' | 'object';

/** A rendered normal scene, float RGB (HWC, 0..255) before rounding. */
export interface Scene {
  size: number;
  image: Float32Array;
  /** Objects only: the same scene without the object (to paint "missing" parts) ... */
  background: Float32Array | null;
  /** ... and how much of each pixel the object covers (0..1). */
  objectAlpha: Float32Array | null;
  /** Objects only: the object's centre in pixels. */
  objectCentre: Point | null;
}

type Rgb = [number, number, number];

function jitter(rng: Rng, colour: Rgb, amount: number): Rgb {
  const shift = rng.range(-amount, amount); // common brightness shift
  return colour.map((c) => c + shift + rng.range(-amount / 3, amount / 3)) as Rgb;
}

function length(x: number, y: number): number {
  return Math.sqrt(x * x + y * y);
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

function put(image: Float32Array, i: number, r: number, g: number, b: number): void {
  image[3 * i] = r;
  image[3 * i + 1] = g;
  image[3 * i + 2] = b;
}

// ---------- textures ----------

function carpet(rng: Rng, size: number): Float32Array {
  const base = jitter(rng, [150, 72, 62], 14);
  const coarse = fbm(size, rng, 4, 2);
  const fibres = fbm(size, rng, size / 4, 2, 0.6);
  const image = new Float32Array(size * size * 3);
  for (let i = 0; i < size * size; i++) {
    const b = 0.95 + 0.5 * (coarse[i] - 0.5) + 1.1 * (fibres[i] - 0.5) + 0.25 * (rng.next() - 0.5);
    put(image, i, base[0] * b, base[1] * b, base[2] * b);
  }
  return image;
}

function wood(rng: Rng, size: number): Float32Array {
  const light = jitter(rng, [208, 162, 112], 12);
  const dark = jitter(rng, [128, 80, 46], 10);
  const theta = rng.range(-0.12, 0.12);
  const freq = rng.range(8, 12);
  const phase = rng.next();
  const warp = fbm(size, rng, 3, 3);
  const grain = fbm(size, rng, size / 8, 2);
  const sin = Math.sin(theta);
  const cos = Math.cos(theta);
  const image = new Float32Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = y * size + x;
      const across = -sin * ((x + 0.5) / size) + cos * ((y + 0.5) / size);
      const ring = across * freq + warp[i] * 2 + phase;
      const wave = 0.5 + 0.5 * Math.cos(2 * Math.PI * ring);
      const stripe = wave * wave * wave;
      const t = clamp01(0.7 * stripe + 0.6 * (grain[i] - 0.5) + 0.15);
      put(image, i, light[0] + (dark[0] - light[0]) * t, light[1] + (dark[1] - light[1]) * t, light[2] + (dark[2] - light[2]) * t);
    }
  }
  return image;
}

/** A plain weave: threads alternate over and under, with dark gaps between them. */
function grid(rng: Rng, size: number): Float32Array {
  const period = size / rng.range(10, 12.5);
  const theta = rng.range(-0.04, 0.04);
  const offsetU = rng.range(0, period);
  const offsetV = rng.range(0, period);
  const warpColour = jitter(rng, [196, 190, 172], 10);
  const weftColour = jitter(rng, [162, 150, 128], 10);
  const fine = fbm(size, rng, size / 8, 2);
  const sin = Math.sin(theta);
  const cos = Math.cos(theta);
  const image = new Float32Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = y * size + x;
      const u = (cos * x + sin * y + offsetU) / period;
      const v = (-sin * x + cos * y + offsetV) / period;
      const cu = Math.floor(u);
      const cv = Math.floor(v);
      const weftOnTop = ((cu + cv) & 1) === 0;
      const across = weftOnTop ? v - cv : u - cu;
      const along = weftOnTop ? u - cu : v - cv;
      const colour = weftOnTop ? weftColour : warpColour;
      const b = (0.3 + 0.7 * Math.sqrt(Math.sin(Math.PI * across))) * (0.82 + 0.18 * Math.sin(Math.PI * along)) + 0.3 * (fine[i] - 0.5);
      put(image, i, colour[0] * b, colour[1] * b, colour[2] * b);
    }
  }
  return image;
}

/** Smooth cloudy noise between two colours (stone / leather-like). */
function smoothNoise(rng: Rng, size: number): Float32Array {
  const a = jitter(rng, [92, 108, 118], 12);
  const b = jitter(rng, [176, 178, 160], 12);
  const field = fbm(size, rng, rng.range(3, 5), 5, 0.55);
  const image = new Float32Array(size * size * 3);
  for (let i = 0; i < size * size; i++) {
    const t = clamp01((field[i] - 0.5) * 2.6 + 0.5);
    const n = 6 * (rng.next() - 0.5);
    put(image, i, a[0] + (b[0] - a[0]) * t + n, a[1] + (b[1] - a[1]) * t + n, a[2] + (b[2] - a[2]) * t + n);
  }
  return image;
}

// ---------- objects ----------

interface Pose {
  cx: number;
  cy: number;
  angle: number;
  scale: number;
}

/**
 * An object in its own frame (units of the image size, centred at 0): `sdf` is the signed
 * distance to its outline (negative inside); `colour` writes its RGB into `rgb`.
 */
interface ObjectShape {
  /** Every point of the object lies within this distance of its centre. */
  radius: number;
  sdf(lx: number, ly: number): number;
  colour(lx: number, ly: number, rgb: Float64Array): void;
}

function plainBackground(rng: Rng, size: number, colour: Rgb): Float32Array {
  const c = jitter(rng, colour, 10);
  const faint = fbm(size, rng, 3, 2);
  const image = new Float32Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = y * size + x;
      const dx = (x + 0.5) / size - 0.5;
      const dy = (y + 0.5) / size - 0.5;
      const b = 1 - 0.35 * (dx * dx + dy * dy) + 0.08 * (faint[i] - 0.5) + 0.03 * (rng.next() - 0.5);
      put(image, i, c[0] * b, c[1] * b, c[2] * b);
    }
  }
  return image;
}

function renderObject(rng: Rng, size: number, backgroundColour: Rgb, pose: Pose, shape: ObjectShape): Scene {
  const background = plainBackground(rng, size, backgroundColour);
  const image = new Float32Array(background);
  const objectAlpha = new Float32Array(size * size);
  const cos = Math.cos(pose.angle);
  const sin = Math.sin(pose.angle);
  const unit = size * pose.scale; // pixels per local unit
  const reach = shape.radius * unit + 2;
  const x0 = Math.max(0, Math.floor(pose.cx - reach));
  const x1 = Math.min(size - 1, Math.ceil(pose.cx + reach));
  const y0 = Math.max(0, Math.floor(pose.cy - reach));
  const y1 = Math.min(size - 1, Math.ceil(pose.cy + reach));
  const rgb = new Float64Array(3);
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const dx = x + 0.5 - pose.cx;
      const dy = y + 0.5 - pose.cy;
      const lx = (cos * dx + sin * dy) / unit;
      const ly = (-sin * dx + cos * dy) / unit;
      const alpha = clamp01(0.5 - shape.sdf(lx, ly) * unit);
      if (alpha === 0) continue;
      shape.colour(lx, ly, rgb);
      const i = y * size + x;
      objectAlpha[i] = alpha;
      for (let c = 0; c < 3; c++) image[3 * i + c] = background[3 * i + c] * (1 - alpha) + rgb[c] * alpha;
    }
  }
  return { size, image, background, objectAlpha, objectCentre: [pose.cx, pose.cy] };
}

function randomPose(rng: Rng, size: number, maxAngle: number): Pose {
  const shift = () => Math.max(-2, Math.min(2, rng.normal())) * 0.015 * size;
  return { cx: size / 2 + shift(), cy: size / 2 + shift(), angle: rng.range(-maxAngle, maxAngle), scale: 1 + rng.range(-0.03, 0.03) };
}

function setScaled(rgb: Float64Array, colour: Rgb, b: number): void {
  rgb[0] = colour[0] * b;
  rgb[1] = colour[1] * b;
  rgb[2] = colour[2] * b;
}

/** A bottle seen from above: a glossy rim around a dark opening, lit from one side. */
function bottle(rng: Rng, size: number): Scene {
  const pose = randomPose(rng, size, Math.PI);
  const glass = jitter(rng, [92, 112, 84], 10);
  const gloss = fbm(64, rng, 6, 2); // low-res glass texture, sampled by local position
  const R = 0.36;
  return renderObject(rng, size, [28, 28, 30], pose, {
    radius: R,
    sdf: (lx, ly) => length(lx, ly) - R,
    colour: (lx, ly, rgb) => {
      const d = length(lx, ly);
      const light = 0.5 + 0.5 * (d > 0 ? lx / d : 1); // highlight turns with the pose
      const gx = Math.min(63, Math.max(0, Math.floor((lx / (2 * R) + 0.5) * 64)));
      const gy = Math.min(63, Math.max(0, Math.floor((ly / (2 * R) + 0.5) * 64)));
      let b: number;
      if (d > 0.82 * R)
        b = 0.9 + 0.6 * light; // rim
      else if (d > 0.32 * R)
        b = 0.25 + 0.75 * ((d - 0.32 * R) / (0.5 * R)) ** 1.5; // inner wall, darker inwards
      else b = 0.18; // opening
      setScaled(rgb, glass, b * (0.9 + 0.25 * (gloss[gy * 64 + gx] - 0.5)));
    },
  });
}

/** A screw lying down: slotted round head, threaded shaft, pointed tip. */
function screw(rng: Rng, size: number): Scene {
  const pose = randomPose(rng, size, 0.3);
  const metal = jitter(rng, [150, 150, 146], 12);
  const pitch = rng.range(0.026, 0.032);
  const halfWidth = 0.045;
  const headX = -0.3;
  const headR = 0.085;
  const tipStart = 0.22;
  const tipEnd = 0.32;
  const shaftHalfWidth = (lx: number) => (lx > tipStart ? halfWidth * Math.max(0, (tipEnd - lx) / (tipEnd - tipStart)) : halfWidth);
  const shaftSdf = (lx: number, ly: number) => Math.max(Math.abs(ly) - shaftHalfWidth(lx), lx - tipEnd, headX - lx);
  const headSdf = (lx: number, ly: number) => length(lx - headX, ly) - headR;
  return renderObject(rng, size, [214, 214, 208], pose, {
    radius: -headX + headR,
    sdf: (lx, ly) => Math.min(shaftSdf(lx, ly), headSdf(lx, ly)),
    colour: (lx, ly, rgb) => {
      const head = headSdf(lx, ly);
      if (head < shaftSdf(lx, ly) && head < 0.01) {
        const r = length(lx - headX, ly) / headR;
        let b = 1.05 - 0.45 * r * r;
        if (Math.abs(ly) < 0.012 && r < 0.75) b *= 0.35; // the slot
        setScaled(rgb, metal, b);
        return;
      }
      const hw = shaftHalfWidth(lx);
      const across = Math.cos((Math.min(1, Math.abs(ly) / Math.max(hw, 1e-6)) * Math.PI) / 2);
      const thread = lx > headX + headR ? 0.72 + 0.28 * Math.sin((2 * Math.PI * (lx + 0.5 * ly)) / pitch) : 1;
      setScaled(rgb, metal, (0.45 + 0.65 * across) * thread);
    },
  });
}

/** A hexagonal nut: bevelled faces around a threaded hole. */
function nut(rng: Rng, size: number): Scene {
  const pose = randomPose(rng, size, Math.PI / 6);
  const brass = jitter(rng, [186, 164, 108], 12);
  const circumradius = 0.3;
  const apothem = circumradius * Math.cos(Math.PI / 6);
  const holeR = 0.13;
  const normals = Array.from({ length: 6 }, (_, k) => [Math.cos((k * Math.PI) / 3), Math.sin((k * Math.PI) / 3)]);
  const faceBrightness = normals.map((_, k) => 0.6 + 0.5 * (0.5 + 0.5 * Math.cos((k * Math.PI) / 3 - 0.8)));
  /** Distance to the hexagon's nearest face plane and which face it is. */
  let face = 0;
  const hexProjection = (lx: number, ly: number): number => {
    let best = -Infinity;
    for (let k = 0; k < 6; k++) {
      const proj = lx * normals[k][0] + ly * normals[k][1];
      if (proj > best) {
        best = proj;
        face = k;
      }
    }
    return best;
  };
  return renderObject(rng, size, [60, 66, 78], pose, {
    radius: circumradius,
    sdf: (lx, ly) => Math.max(hexProjection(lx, ly) - apothem, holeR - length(lx, ly)),
    colour: (lx, ly, rgb) => {
      const hex = hexProjection(lx, ly);
      const d = length(lx, ly);
      let b = 0.85;
      if (hex > apothem - 0.035)
        b = faceBrightness[face]; // bevel
      else if (d < holeR + 0.045) {
        const s = Math.sin(Math.atan2(ly, lx) * 12);
        b = 0.45 + 0.25 * s * s; // thread inside the hole
      }
      setScaled(rgb, brass, b);
    },
  });
}

function texture(render: (rng: Rng, size: number) => Float32Array) {
  return (rng: Rng, size: number): Scene => ({ size, image: render(rng, size), background: null, objectAlpha: null, objectCentre: null });
}

export interface CategoryInfo {
  kind: CategoryKind;
  description: string;
  render: (rng: Rng, size: number) => Scene;
}

export const CATEGORIES: Record<string, CategoryInfo> = {
  carpet: { kind: 'texture', description: 'carpet-like fibrous noise', render: texture(carpet) },
  wood: { kind: 'texture', description: 'wood-like warped stripes', render: texture(wood) },
  grid: { kind: 'texture', description: 'a woven grid of threads', render: texture(grid) },
  noise: { kind: 'texture', description: 'smooth cloudy noise', render: texture(smoothNoise) },
  bottle: { kind: 'object', description: 'a bottle seen from above (centred disc)', render: bottle },
  screw: { kind: 'object', description: 'a screw-like bar with head and thread', render: screw },
  nut: { kind: 'object', description: 'a hexagonal nut (ring)', render: nut },
};
