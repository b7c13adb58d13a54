// The plain k-center greedy, as runtime/heads/knn.ts had it before the pruned version in
// runtime/heads/coreset.ts: every point measured against every new centre. The test checks the
// pruned one chooses the same points; bench/coreset.ts measures the two.

/** points [n, d] row-major; `count` indices in the order chosen, starting from `start`. */
export function plainGreedyCoreset(points: Float32Array, n: number, d: number, count: number, start: number): Uint32Array {
  const chosen = new Uint32Array(count);
  const nearest = new Float64Array(n).fill(Infinity);
  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = i * d, end = j + d; j < end; j++) s += points[j] * points[j];
    norms[i] = s;
  }
  let current = start;
  for (let t = 0; t < count; t++) {
    chosen[t] = current;
    const c = current * d;
    let far = 0;
    let farDistance = -1;
    for (let i = 0; i < n; i++) {
      let dot = 0;
      for (let j = 0, r = i * d; j < d; j++) dot += points[r + j] * points[c + j];
      const dist = norms[i] + norms[current] - 2 * dot;
      if (dist < nearest[i]) nearest[i] = dist;
      if (nearest[i] > farDistance) {
        farDistance = nearest[i];
        far = i;
      }
    }
    current = far;
  }
  return chosen;
}
