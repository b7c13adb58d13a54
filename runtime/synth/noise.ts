// Smooth value noise: random values on a coarse lattice, interpolated with a smoothstep.
// Summing octaves (fbm) gives cloud-like fields; each call draws its own lattice from `rng`,
// so two normal images never share a texture.
import type { Rng } from './rng.ts';

/** One octave of value noise over a size×size grid with `cells` lattice cells per side, added into `out` times `amplitude`. */
function addValueNoise(out: Float32Array, size: number, cells: number, amplitude: number, rng: Rng): void {
  const n = cells + 1;
  const lattice = new Float32Array(n * n);
  for (let i = 0; i < lattice.length; i++) lattice[i] = rng.next();
  // Per-axis lattice index and smoothed weight, shared by every row/column.
  const index = new Int32Array(size);
  const weight = new Float32Array(size);
  for (let p = 0; p < size; p++) {
    const f = ((p + 0.5) / size) * cells;
    const i = Math.min(Math.floor(f), cells - 1);
    const t = f - i;
    index[p] = i;
    weight[p] = t * t * (3 - 2 * t);
  }
  // Interpolate the two lattice rows around each image row once, then only along x per pixel.
  const column = new Float32Array(n);
  for (let y = 0; y < size; y++) {
    const row0 = index[y] * n;
    const wy = weight[y];
    for (let i = 0; i < n; i++) column[i] = lattice[row0 + i] + (lattice[row0 + n + i] - lattice[row0 + i]) * wy;
    const offset = y * size;
    for (let x = 0; x < size; x++) {
      const i = index[x];
      out[offset + x] += amplitude * (column[i] + (column[i + 1] - column[i]) * weight[x]);
    }
  }
}

/**
 * Fractal noise in [0, 1]: `octaves` layers starting at `baseCells` lattice cells per side,
 * each twice as fine and `persistence` times as strong as the previous one.
 */
export function fbm(size: number, rng: Rng, baseCells: number, octaves: number, persistence = 0.5): Float32Array {
  const out = new Float32Array(size * size);
  let amplitude = 1;
  let total = 0;
  let cells = baseCells;
  for (let o = 0; o < octaves; o++) {
    addValueNoise(out, size, Math.max(1, Math.round(cells)), amplitude, rng);
    total += amplitude;
    amplitude *= persistence;
    cells *= 2;
  }
  for (let i = 0; i < out.length; i++) out[i] /= total;
  return out;
}
