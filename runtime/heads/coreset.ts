// k-center greedy coreset (Gonzalez 1985, as PatchCore uses it): starting from one point,
// repeatedly add the point farthest from the chosen ones.
//
// The plain algorithm measures every point against every new centre (n·count distances). This
// one skips the distances that cannot change a point's nearest centre, by the triangle
// inequality: a point i whose nearest centre is a, at distance r_i, is at least
// ‖c − a‖ − r_i from a new centre c, so when ‖c − a‖ ≥ 2·r_i the new centre is not nearer
// (Elkan 2003 applies the same bound to k-means). Points are grouped by their nearest centre;
// a whole group is skipped when ‖c − a‖ ≥ 2·(its largest r_i). The chosen points are those of
// the plain algorithm: a skipped distance is provably not smaller (a 1e-6 relative margin
// covers rounding), and ties go to the lowest index as before. bench/coreset.ts measures it.

/** Relative margin on the bound, far above the rounding of a float64 distance. */
const MARGIN = 1 + 1e-6;

/** Squared norm of every row of points [n, d]. */
function rowNorms(points: Float32Array, n: number, d: number): Float64Array {
  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = i * d, end = j + d; j < end; j++) s += points[j] * points[j];
    norms[i] = s;
  }
  return norms;
}

/** Squared distance between rows i and c as ‖i‖² + ‖c‖² − 2·i·c; four partial sums keep the FPU busy. */
function distance(points: Float32Array, norms: Float64Array, d: number, i: number, c: number): number {
  const a = i * d;
  const b = c * d;
  const d4 = d - (d % 4);
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  for (let j = 0; j < d4; j += 4) {
    s0 += points[a + j] * points[b + j];
    s1 += points[a + j + 1] * points[b + j + 1];
    s2 += points[a + j + 2] * points[b + j + 2];
    s3 += points[a + j + 3] * points[b + j + 3];
  }
  for (let j = d4; j < d; j++) s0 += points[a + j] * points[b + j];
  return norms[i] + norms[c] - 2 * (s0 + s1 + s2 + s3);
}

/** The points whose nearest centre is one centre, and the farthest of them. */
interface Group {
  members: Uint32Array;
  size: number;
  /** Largest squared distance of a member to the centre (−1 when empty) and that member (lowest index on ties). */
  radius: number;
  far: number;
}

/** Recomputes a group's radius and farthest member; members are kept in increasing index order. */
function measure(group: Group, nearest: Float64Array): void {
  group.radius = -1;
  group.far = 0;
  for (let m = 0; m < group.size; m++) {
    const i = group.members[m];
    if (nearest[i] > group.radius) {
      group.radius = nearest[i];
      group.far = i;
    }
  }
}

/**
 * k-center greedy: starting from `start`, repeatedly adds the point farthest from the chosen
 * ones. points [n, d] row-major; returns `count` indices in the order chosen. Memory beyond the
 * points: the nearest distance and the group of each point (O(n)).
 */
export function greedyCoreset(points: Float32Array, n: number, d: number, count: number, start: number): Uint32Array {
  const chosen = new Uint32Array(count);
  const norms = rowNorms(points, n, d);
  const nearest = new Float64Array(n);
  const moved = new Uint32Array(n);
  const groups: Group[] = [];
  let current = start;
  for (let t = 0; t < count; t++) {
    chosen[t] = current;
    let movedCount = 0;
    if (t === 0) {
      for (let i = 0; i < n; i++) {
        nearest[i] = distance(points, norms, d, i, current);
        moved[movedCount++] = i;
      }
    }
    for (let a = 0; a < t; a++) {
      const group = groups[a];
      if (group.size === 0) continue;
      // Squared: ‖c − a‖ ≥ 2·r  ⇔  ‖c − a‖² ≥ 4·r².
      const limit = distance(points, norms, d, chosen[a], current) / (4 * MARGIN);
      if (group.radius < limit) continue;
      let kept = 0;
      for (let m = 0; m < group.size; m++) {
        const i = group.members[m];
        if (nearest[i] >= limit) {
          const dist = distance(points, norms, d, i, current);
          if (dist < nearest[i]) {
            nearest[i] = dist;
            moved[movedCount++] = i;
            continue;
          }
        }
        group.members[kept++] = i;
      }
      group.size = kept;
      // A group that lost most of its members gives their room back.
      if (kept < group.members.length / 4) group.members = group.members.slice(0, kept);
      measure(group, nearest);
    }
    const members = moved.slice(0, movedCount).sort();
    const group: Group = { members, size: movedCount, radius: -1, far: 0 };
    measure(group, nearest);
    groups.push(group);
    // The farthest point overall: the largest radius, the lowest index on ties.
    let best = -1;
    current = 0;
    for (const g of groups)
      if (g.size > 0 && (g.radius > best || (g.radius === best && g.far < current))) {
        best = g.radius;
        current = g.far;
      }
  }
  return chosen;
}
