// Fixed 2-D sine-cosine positional embedding (as in MAE): half of the width encodes the
// column, half the row; each half is [sin(pos·ω_k), cos(pos·ω_k)] with ω_k = 10000^(-k/(D/4)).

/** [grid·grid, width] row-major values; token t sits at row ⌊t/grid⌋, column t mod grid. */
export function sincos2d(width: number, grid: number): Float32Array {
  const out = new Float32Array(grid * grid * width);
  const half = Math.floor(width / 2);
  const quarter = Math.floor(half / 2);
  for (let t = 0; t < grid * grid; t++) {
    const row = Math.floor(t / grid);
    const col = t % grid;
    const base = t * width;
    // First half from the column coordinate, second half from the row (MAE's meshgrid order).
    for (const [offset, pos] of [
      [0, col],
      [half, row],
    ] as const) {
      for (let k = 0; k < quarter; k++) {
        const omega = 1 / Math.pow(10000, k / quarter);
        out[base + offset + k] = Math.sin(pos * omega);
        out[base + offset + quarter + k] = Math.cos(pos * omega);
      }
    }
    // A width not divisible by 4 leaves its last entries at 0.
  }
  return out;
}
