// MVTec LOCO AD: saturated per-region overlap (sPRO) against the false-positive rate, integrated
// to several FPR limits (AUsPRO). Each ground-truth channel (one PNG of an image's ground-truth
// folder) is one defect; its overlap saturates at the defect type's saturation area. A false
// positive is a pixel outside every channel. Exact: every distinct score is a threshold.
import { LimitedTrapezoid, CurveSampler } from './curves.ts';
import { ScoreTable, checkFinite } from './score-table.ts';

export const SPRO_FPR_LIMITS = [0.01, 0.05, 0.1, 0.3, 1.0] as const;

/** One entry of defects_config.json. */
export interface DefectConfig {
  defect_name: string;
  pixel_value: number;
  saturation_threshold: number;
  relative_saturation: boolean;
}

export interface LocoChannel {
  /** 0/1 pixels of this defect, at the map's size. */
  mask: Uint8Array;
  config: DefectConfig;
}

export interface SproImage {
  id: string;
  group: number;
  map: Float32Array;
  channels: LocoChannel[];
  width: number;
  height: number;
}

export interface SproMetrics {
  /** AUsPRO per FPR limit (key: the limit as written, e.g. "0.05"), normalised by the limit. */
  auspro: Record<string, number | null>;
  defects: number;
  curve: { fpr: number[]; spro: number[] };
}

/** The area at which a defect's overlap counts as complete (official rule; at least 1 pixel). */
export function saturationArea(defectArea: number, config: DefectConfig): number {
  const area = config.relative_saturation ? Math.floor(config.saturation_threshold * defectArea) : Math.min(config.saturation_threshold, defectArea);
  return Math.max(1, area);
}

export class SproBuilder {
  private readonly table: ScoreTable;

  constructor(groupCount: number, expectedPixels = 1 << 16) {
    this.table = new ScoreTable(groupCount, expectedPixels);
  }

  add(image: SproImage): void {
    const { map, channels, width, height, group, id } = image;
    if (map.length !== width * height) throw new Error(`${id}: map has ${map.length} values, expected ${width}x${height}`);
    checkFinite(map, id);
    const inAny = new Uint8Array(map.length);
    let memberships = 0;
    const unitIds: number[] = [];
    for (const channel of channels) {
      if (channel.mask.length !== map.length) throw new Error(`${id}: ground-truth channel size differs from the map`);
      let area = 0;
      for (let i = 0; i < map.length; i++) if (channel.mask[i]) area++;
      if (area === 0) {
        unitIds.push(-1);
        continue;
      }
      memberships += area;
      unitIds.push(this.table.addUnit({ group, size: area, saturation: saturationArea(area, channel.config) }));
    }
    this.table.reserve(map.length + memberships);
    channels.forEach((channel, c) => {
      const unit = unitIds[c];
      if (unit < 0) return;
      for (let i = 0; i < map.length; i++) {
        if (channel.mask[i]) {
          inAny[i] = 1;
          this.table.pushUnit(map[i], unit);
        }
      }
    });
    for (let i = 0; i < map.length; i++) if (!inAny[i]) this.table.pushOk(map[i], group);
  }

  finish(subsets: number[][], limits: readonly number[] = SPRO_FPR_LIMITS): SproMetrics[] {
    const table = this.table;
    const groups = table.groupCount;
    const units = table.units;
    const overlap = new Int32Array(units.length);
    const states = subsets.map((s) => {
      const member = new Uint8Array(groups);
      for (const g of s) member[g] = 1;
      let negatives = 0;
      for (let g = 0; g < groups; g++) if (member[g]) negatives += table.okCount[g];
      const defects = units.filter((u) => member[u.group]).length;
      return {
        member,
        negatives,
        defects,
        fp: 0,
        sproSum: 0,
        trapezoids: limits.map((l) => new LimitedTrapezoid(l)),
        curve: new CurveSampler(),
      };
    });
    const dOk = new Float64Array(groups);
    const dSpro = new Float64Array(groups);
    table.sweep(
      (code) => {
        if (code < groups) {
          dOk[code]++;
          return;
        }
        const unit = code - groups;
        const u = units[unit];
        // min(overlap / saturation, 1) grows by 1/saturation until it saturates.
        if (overlap[unit] < u.saturation) dSpro[u.group] += 1 / u.saturation;
        overlap[unit]++;
      },
      () => {
        for (const state of states) {
          let fp = 0;
          let spro = 0;
          for (let g = 0; g < groups; g++) {
            if (!state.member[g]) continue;
            fp += dOk[g];
            spro += dSpro[g];
          }
          if (fp === 0 && spro === 0) continue;
          state.fp += fp;
          state.sproSum += spro;
          if (state.defects === 0 || state.negatives === 0) continue;
          const fpr = Math.min(state.fp / state.negatives, 1);
          const value = Math.min(state.sproSum / state.defects, 1);
          for (const t of state.trapezoids) t.add(fpr, value);
          state.curve.add(fpr, value);
        }
        dOk.fill(0);
        dSpro.fill(0);
      },
    );
    return states.map((state) => {
      const defined = state.defects > 0 && state.negatives > 0;
      const auspro: Record<string, number | null> = {};
      limits.forEach((limit, k) => {
        auspro[String(limit)] = defined ? state.trapezoids[k].area / limit : null;
      });
      const curve = state.curve.finish();
      return { auspro, defects: state.defects, curve: { fpr: curve.x, spro: curve.y } };
    });
  }
}
