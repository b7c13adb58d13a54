import { mulberry32 } from '../random.ts';

// A small seeded PRNG (mulberry32) and a string/number hash to derive independent streams.
// Everything the synthetic generator draws comes from here, so a seed fixes every byte.

/** Mixes numbers and strings into one 32-bit seed (FNV-1a over the parts, then a final avalanche). */
export function hashSeed(...parts: Array<number | string>): number {
  let h = 0x811c9dc5;
  const mixByte = (b: number): void => {
    h ^= b & 0xff;
    h = Math.imul(h, 0x01000193);
  };
  for (const part of parts) {
    if (typeof part === 'number') {
      // Integers and fractions alike: hash the float64 bytes.
      const view = new DataView(new ArrayBuffer(8));
      view.setFloat64(0, part);
      for (let i = 0; i < 8; i++) mixByte(view.getUint8(i));
    } else {
      for (let i = 0; i < part.length; i++) {
        const c = part.charCodeAt(i);
        mixByte(c);
        mixByte(c >>> 8);
      }
    }
    mixByte(0x1f); // separator, so ('ab','c') and ('a','bc') differ
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class Rng {
  private readonly draw: () => number;

  constructor(seed: number) {
    this.draw = mulberry32(seed);
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.draw();
  }

  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}
