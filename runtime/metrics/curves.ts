// Exact threshold curves for binary labels: ROC (AUROC), F1-max, and a trapezoid with an
// upper limit on x (for PRO and sPRO). Ties are one threshold: all tied items switch together.

/**
 * Area under a curve from x = 0 to `limit`, fed points one at a time in ascending x, as the
 * official MVTec evaluation computes it: trapezoids up to the last x <= limit, then one
 * trapezoid to the limit with y linearly interpolated there. Not normalised.
 */
export class LimitedTrapezoid {
  private x0 = 0;
  private y0 = 0;
  private done = false;
  area = 0;

  constructor(readonly limit: number) {}

  add(x1: number, y1: number): void {
    if (this.done) return;
    if (x1 <= this.limit) {
      this.area += ((x1 - this.x0) * (y1 + this.y0)) / 2;
      this.x0 = x1;
      this.y0 = y1;
      if (x1 === this.limit) this.done = true;
      return;
    }
    const yAtLimit = this.y0 + ((y1 - this.y0) * (this.limit - this.x0)) / (x1 - this.x0);
    this.area += ((this.limit - this.x0) * (yAtLimit + this.y0)) / 2;
    this.done = true;
  }
}

/**
 * Keeps a curve small enough to plot: a point is kept when it moved at least `step` in x or y
 * from the last kept point; the first and last points are always kept.
 */
export class CurveSampler {
  readonly x: number[] = [0];
  readonly y: number[] = [0];
  private lastX = 0;
  private lastY = 0;
  private pendingX = 0;
  private pendingY = 0;
  private pending = false;

  constructor(private readonly step = 1 / 500) {}

  add(x: number, y: number): void {
    if (Math.abs(x - this.lastX) >= this.step || Math.abs(y - this.lastY) >= this.step) {
      this.x.push(x);
      this.y.push(y);
      this.lastX = x;
      this.lastY = y;
      this.pending = false;
    } else {
      this.pendingX = x;
      this.pendingY = y;
      this.pending = true;
    }
  }

  finish(): { x: number[]; y: number[] } {
    if (this.pending) {
      this.x.push(this.pendingX);
      this.y.push(this.pendingY);
      this.pending = false;
    }
    return { x: this.x, y: this.y };
  }
}

/**
 * Running state of a binary classifier swept from the highest threshold down. Call `step`
 * once per distinct threshold with how many positives and negatives reach it. AUROC is kept
 * as an exact integer sum (twice the area times P*N), so ties and large counts are exact.
 */
export class RocAccumulator {
  tp = 0;
  fp = 0;
  private twiceArea = 0;
  bestF1 = 0;
  bestF1Threshold = Number.NaN;
  readonly sampler: CurveSampler;

  constructor(
    readonly positives: number,
    readonly negatives: number,
    sampleStep?: number,
  ) {
    this.sampler = new CurveSampler(sampleStep);
  }

  step(threshold: number, dTp: number, dFp: number): void {
    this.twiceArea += dFp * (2 * this.tp + dTp);
    this.tp += dTp;
    this.fp += dFp;
    if (this.positives > 0) {
      // F1 = 2TP / (2TP + FP + FN) = 2TP / (TP + FP + P)
      const f1 = (2 * this.tp) / (this.tp + this.fp + this.positives);
      if (f1 > this.bestF1) {
        this.bestF1 = f1;
        this.bestF1Threshold = threshold;
      }
    }
    if (this.positives > 0 && this.negatives > 0) this.sampler.add(this.fp / this.negatives, this.tp / this.positives);
  }

  /** AUROC, or null when one class is empty (undefined). */
  auroc(): number | null {
    if (this.positives === 0 || this.negatives === 0) return null;
    return this.twiceArea / (2 * this.positives * this.negatives);
  }

  f1Max(): number | null {
    return this.positives === 0 ? null : this.bestF1;
  }
}

/** The scores' distinct values in descending order with the positives and negatives at each. */
function sweepDescending(scores: ArrayLike<number>, labels: ArrayLike<number>, visit: (threshold: number, dTp: number, dFp: number) => void): void {
  const n = scores.length;
  if (labels.length !== n) throw new Error(`${n} scores but ${labels.length} labels`);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(scores[i])) throw new Error(`score ${i} is ${scores[i]}; scores must be finite`);
    order[i] = i;
  }
  order.sort((a, b) => scores[b] - scores[a]);
  let i = 0;
  while (i < n) {
    const t = scores[order[i]];
    let dTp = 0;
    let dFp = 0;
    while (i < n && scores[order[i]] === t) {
      if (labels[order[i]]) dTp++;
      else dFp++;
      i++;
    }
    visit(t, dTp, dFp);
  }
}

/** Exact AUROC of scores against 0/1 labels (ties count one half), or null if a class is empty. */
export function auroc(scores: ArrayLike<number>, labels: ArrayLike<number>): number | null {
  const acc = rocOf(scores, labels);
  return acc.auroc();
}

/** Best F1 over all thresholds (score >= t is positive) and the threshold that gives it. */
export function f1Max(scores: ArrayLike<number>, labels: ArrayLike<number>): { f1: number | null; threshold: number } {
  const acc = rocOf(scores, labels);
  return { f1: acc.f1Max(), threshold: acc.bestF1Threshold };
}

export function rocOf(scores: ArrayLike<number>, labels: ArrayLike<number>, sampleStep?: number): RocAccumulator {
  let positives = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i]) positives++;
  const acc = new RocAccumulator(positives, labels.length - positives, sampleStep);
  sweepDescending(scores, labels, (t, dTp, dFp) => acc.step(t, dTp, dFp));
  return acc;
}
