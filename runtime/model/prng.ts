import { mulberry32 } from '../random.ts';

// A small seeded PRNG (mulberry32) so parameter init is identical on every backend and
// machine: init values are computed in JavaScript, never with tf.random*.

export { mulberry32 };

/** FNV-1a hash of a string, for per-parameter sub-seeds. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A generator for one named parameter: adding parameters never shifts another's values. */
export function rngFor(seed: number, name: string): () => number {
  return mulberry32((hashString(name) ^ Math.imul(seed + 1, 0x9e3779b1)) >>> 0);
}

export function uniformArray(n: number, low: number, high: number, rng: () => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = low + (high - low) * rng();
  return out;
}

/** Normal(mean, std) by Box-Muller. */
export function normalArray(n: number, mean: number, std: number, rng: () => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = 1 - rng();
    const v = rng();
    const r = Math.sqrt(-2 * Math.log(u));
    out[i] = mean + std * r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = mean + std * r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

/** A uniformly random permutation of 0..n-1 (Fisher-Yates). */
export function permutation(n: number, rng: () => number): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}
