// Every pixel of every test image, sortable in one native Float64Array.sort(): each entry is a
// pixel's float32 score widened to float64, whose 29 low mantissa bits (always zero after the
// widening) carry a small integer code: which image group an anomaly-free pixel belongs to, or
// which ground-truth unit (a connected region, or a LOCO defect channel) a defect pixel is in.
// The code bits never change the order between two different float32 scores, so a descending
// walk visits each distinct threshold once, exactly: no binning. 8 bytes per pixel entry.
import { endianness } from 'node:os';
import { UserError } from '../../common/errors.ts';

const CODE_BITS = 29;
const CODE_MASK = (1 << CODE_BITS) - 1;
const SCORE_MASK = ~CODE_MASK >>> 0;

if (endianness() !== 'LE') throw new Error('score tables assume a little-endian machine');

/** A ground-truth unit: what a defect pixel's overlap counts towards. */
export interface Unit {
  /** Image group (0 = good, 1.. = defect types in order). */
  group: number;
  /** Pixels in the unit. */
  size: number;
  /** sPRO saturation area (pixels); equals size for plain PRO. */
  saturation: number;
}

export class ScoreTable {
  private keys: Float64Array;
  private words: Uint32Array;
  length = 0;
  /** Anomaly-free entries per group. */
  readonly okCount: number[];
  readonly units: Unit[] = [];

  constructor(
    readonly groupCount: number,
    capacity = 1 << 16,
  ) {
    this.keys = new Float64Array(Math.max(1, capacity));
    this.words = new Uint32Array(this.keys.buffer);
    this.okCount = new Array<number>(groupCount).fill(0);
  }

  /** Adds a new unit and returns its index. */
  addUnit(unit: Unit): number {
    if (this.groupCount + this.units.length + 1 > CODE_MASK) throw new Error('too many ground-truth regions for one score table');
    this.units.push(unit);
    return this.units.length - 1;
  }

  /** Appends one anomaly-free pixel of `group`. */
  pushOk(score: number, group: number): void {
    this.push(score, group);
    this.okCount[group]++;
  }

  /** Appends one defect pixel of unit `unit`. */
  pushUnit(score: number, unit: number): void {
    this.push(score, this.groupCount + unit);
  }

  /**
   * Appends a whole image at once (the fast path): pixel i is anomaly-free in `group` when
   * unitOf is null or unitOf[i] < 0, else a defect pixel of unit unitOf[i].
   */
  pushImage(map: Float32Array, group: number, unitOf: Int32Array | null): void {
    this.reserve(map.length);
    const keys = this.keys;
    const words = this.words;
    const offset = this.groupCount;
    let at = this.length;
    let ok = 0;
    for (let i = 0; i < map.length; i++, at++) {
      const score = map[i];
      keys[at] = score === 0 ? 0 : score;
      const unit = unitOf === null ? -1 : unitOf[i];
      if (unit < 0) {
        words[2 * at] |= group;
        ok++;
      } else {
        words[2 * at] |= offset + unit;
      }
    }
    this.length = at;
    this.okCount[group] += ok;
  }

  reserve(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.keys.length) return;
    let capacity = this.keys.length;
    while (capacity < needed) capacity *= 2;
    const keys = new Float64Array(capacity);
    keys.set(this.keys.subarray(0, this.length));
    this.keys = keys;
    this.words = new Uint32Array(keys.buffer);
  }

  private push(score: number, code: number): void {
    if (this.length === this.keys.length) this.reserve(1);
    const i = this.length++;
    // +0 and -0 must share one key; Infinity and NaN cannot carry a code (and have no rank).
    this.keys[i] = score === 0 ? 0 : score;
    this.words[2 * i] |= code;
  }

  /**
   * Sorts once, then visits each distinct score from the highest down. For each one, `entry`
   * sees every entry's code (group for code < groupCount, else groupCount + unit index), then
   * `thresholdEnd` is called with the score.
   */
  sweep(entry: (code: number) => void, thresholdEnd: (score: number) => void): void {
    const keys = this.keys.subarray(0, this.length);
    keys.sort();
    const words = this.words;
    const scratch = new Float64Array(1);
    const scratchWords = new Uint32Array(scratch.buffer);
    let i = this.length - 1;
    while (i >= 0) {
      const hi = words[2 * i + 1];
      const lo = (words[2 * i] & SCORE_MASK) >>> 0;
      while (i >= 0 && words[2 * i + 1] === hi && (words[2 * i] & SCORE_MASK) >>> 0 === lo) {
        entry(words[2 * i] & CODE_MASK);
        i--;
      }
      scratchWords[0] = lo;
      scratchWords[1] = hi;
      thresholdEnd(scratch[0]);
    }
  }
}

/** Throws a clear error for a map value that has no place on a threshold curve. */
export function checkFinite(map: Float32Array, id: string): void {
  for (let i = 0; i < map.length; i++) {
    const v = map[i];
    // v - v is 0 for finite values and NaN for NaN and +-Infinity.
    if (v - v !== 0) {
      throw new UserError(`anomaly map has a non-finite value (${map[i]}) at pixel ${i}`, {
        where: id,
        hint: 'Maps must hold finite float scores; replace NaN/Infinity before evaluating.',
      });
    }
  }
}
