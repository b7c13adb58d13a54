// Pixel AUROC, pixel F1-max and AUPRO (official MVTec method) for several image subsets in one
// sort and one descending sweep. A subset is a set of image groups (0 = good, 1.. = types).
import { labelComponents } from './components.ts';
import { CurveSampler, LimitedTrapezoid, RocAccumulator } from './curves.ts';
import { ScoreTable, checkFinite } from './score-table.ts';

export const PRO_FPR_LIMIT = 0.3;

export interface PixelImage {
  id: string;
  group: number;
  map: Float32Array;
  /** 0/1 ground truth at the map's size; null means no defect pixel. */
  mask: Uint8Array | null;
  width: number;
  height: number;
}

export interface PixelMetrics {
  pixel_auroc: number | null;
  f1_max_pixel: number | null;
  f1_threshold_pixel: number | null;
  aupro: number | null;
  regions: number;
  roc: { fpr: number[]; tpr: number[] };
  pro: { fpr: number[]; pro: number[] };
}

/** Collects pixels image by image (maps can be dropped after `add`), then computes on `finish`. */
export class PixelMetricsBuilder {
  private readonly table: ScoreTable;

  constructor(groupCount: number, expectedPixels = 1 << 16) {
    this.table = new ScoreTable(groupCount, expectedPixels);
  }

  add(image: PixelImage): void {
    const { map, mask, width, height, group, id } = image;
    if (map.length !== width * height) throw new Error(`${id}: map has ${map.length} values, expected ${width}x${height}`);
    checkFinite(map, id);
    if (!mask) {
      this.table.pushImage(map, group, null);
      return;
    }
    if (mask.length !== map.length) throw new Error(`${id}: mask has ${mask.length} pixels, map ${map.length}`);
    const { labels, count, sizes } = labelComponents(mask, width, height);
    const unitOfLabel = new Int32Array(count + 1);
    unitOfLabel[0] = -1;
    for (let k = 1; k <= count; k++) unitOfLabel[k] = this.table.addUnit({ group, size: sizes[k], saturation: sizes[k] });
    // Reuse the label array as the pixel -> unit table.
    for (let i = 0; i < labels.length; i++) labels[i] = unitOfLabel[labels[i]];
    this.table.pushImage(map, group, labels);
  }

  /** One result per subset (each a list of groups), in the order given. */
  finish(subsets: number[][], proLimit = PRO_FPR_LIMIT): PixelMetrics[] {
    const table = this.table;
    const groups = table.groupCount;
    const units = table.units;
    const unitWeight = units.map((u) => 1 / u.size);
    const subsetOf = subsets.map((s) => {
      const member = new Uint8Array(groups);
      for (const g of s) member[g] = 1;
      return member;
    });
    const states = subsetOf.map((member) => {
      let negatives = 0;
      let positives = 0;
      let regions = 0;
      for (let g = 0; g < groups; g++) if (member[g]) negatives += table.okCount[g];
      for (const u of units) {
        if (member[u.group]) {
          positives += u.size;
          regions++;
        }
      }
      return {
        member,
        roc: new RocAccumulator(positives, negatives),
        regions,
        proSum: 0,
        trapezoid: new LimitedTrapezoid(proLimit),
        proCurve: new CurveSampler(),
      };
    });
    // Per-threshold deltas per group.
    const dOk = new Float64Array(groups);
    const dTp = new Float64Array(groups);
    const dPro = new Float64Array(groups);
    table.sweep(
      (code) => {
        if (code < groups) dOk[code]++;
        else {
          const unit = code - groups;
          const g = units[unit].group;
          dTp[g]++;
          dPro[g] += unitWeight[unit];
        }
      },
      (score) => {
        for (const state of states) {
          let fp = 0;
          let tp = 0;
          let pro = 0;
          for (let g = 0; g < groups; g++) {
            if (!state.member[g]) continue;
            fp += dOk[g];
            tp += dTp[g];
            pro += dPro[g];
          }
          if (fp === 0 && tp === 0) continue;
          state.roc.step(score, tp, fp);
          state.proSum += pro;
          if (state.regions > 0 && state.roc.negatives > 0) {
            // As the official code: clip rounding overshoot so the curve ends at (1, 1).
            const fpr = Math.min(state.roc.fp / state.roc.negatives, 1);
            const proValue = Math.min(state.proSum / state.regions, 1);
            state.trapezoid.add(fpr, proValue);
            state.proCurve.add(fpr, proValue);
          }
        }
        dOk.fill(0);
        dTp.fill(0);
        dPro.fill(0);
      },
    );
    return states.map((state) => {
      const roc = state.roc.sampler.finish();
      const pro = state.proCurve.finish();
      const defined = state.regions > 0 && state.roc.negatives > 0;
      return {
        pixel_auroc: state.roc.auroc(),
        f1_max_pixel: state.roc.f1Max(),
        f1_threshold_pixel: state.roc.positives > 0 ? state.roc.bestF1Threshold : null,
        aupro: defined ? state.trapezoid.area / proLimit : null,
        regions: state.regions,
        roc: { fpr: roc.x, tpr: roc.y },
        pro: { fpr: pro.x, pro: pro.y },
      };
    });
  }
}
