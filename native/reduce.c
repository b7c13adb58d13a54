// Sum and mean over one run of contiguous axes: x viewed as [outer, n, inner], out [outer, inner].
// Over leading axes (inner > 1: a bias gradient) each output adds its n inputs in order, as the
// wasm kernel does after transposing them to the end; over trailing axes (inner = 1: a per-sample
// log-determinant) the n inputs are added in 16 interleaved partial sums, which rounds
// differently from one running sum but no less exactly.
#include "dadf.h"

static float row_sum(const float* restrict x, size_t n) {
  float s = 0.0f;
#pragma omp simd reduction(+ : s)
  for (size_t j = 0; j < n; j++) s += x[j];
  return s;
}

// out[c] = Σ_j x[j·stride + c] for c < width, j < n.
static void column_sums(const float* restrict x, float* restrict out, size_t n, size_t stride, size_t width) {
  for (size_t c = 0; c < width; c++) out[c] = 0.0f;
  for (size_t j = 0; j < n; j++) {
    const float* row = x + j * stride;
    for (size_t c = 0; c < width; c++) out[c] += row[c];
  }
}

// reduce(x, out, outer, n, inner, divisor): out[o, c] = Σ_j x[o, j, c] / divisor (divisor 1: a sum).
napi_value dadf_reduce(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!dadf_args(env, info, 6, argv, "dadf blas: reduce takes 6 arguments")) return NULL;
  float *x, *out;
  size_t lx, lo;
  int64_t outer, n, inner;
  double divisor;
  if (!dadf_view(env, argv[0], napi_float32_array, (void**)&x, &lx) || !dadf_view(env, argv[1], napi_float32_array, (void**)&out, &lo) ||
      !dadf_int64(env, argv[2], &outer) || !dadf_int64(env, argv[3], &n) || !dadf_int64(env, argv[4], &inner) ||
      !dadf_double(env, argv[5], &divisor))
    return dadf_fail(env, "dadf blas: reduce takes (Float32Array ×2, outer, n, inner, divisor)");
  if (outer < 1 || n < 1 || inner < 1 || (uint64_t)(outer * n * inner) > lx || (uint64_t)(outer * inner) > lo)
    return dadf_fail(env, "dadf blas: reduce sizes do not fit");
  const float d = (float)divisor;
  const bool parallel = (size_t)(outer * n * inner) >= DADF_PARALLEL_MIN;
  if (inner == 1 && outer == 1) {
    float s = 0.0f;
#pragma omp parallel for simd reduction(+ : s) schedule(static) if (parallel)
    for (int64_t j = 0; j < n; j++) s += x[j];
    out[0] = d == 1.0f ? s : s / d;
  } else if (inner == 1) {
#pragma omp parallel for schedule(static) if (parallel)
    for (int64_t o = 0; o < outer; o++) {
      const float s = row_sum(x + o * n, (size_t)n);
      out[o] = d == 1.0f ? s : s / d;
    }
  } else {
    // One task per (outer index, block of 16·k columns): each thread adds whole rows of its columns.
    const int64_t blocks = inner >= 64 ? 2 : 1, width = (inner + blocks - 1) / blocks;
#pragma omp parallel for collapse(2) schedule(static) if (parallel)
    for (int64_t o = 0; o < outer; o++) {
      for (int64_t b = 0; b < blocks; b++) {
        const int64_t c0 = b * width, w = c0 + width < inner ? width : inner - c0;
        float* target = out + o * inner + c0;
        column_sums(x + o * n * inner + c0, target, (size_t)n, (size_t)inner, (size_t)w);
        if (d != 1.0f)
          for (int64_t c = 0; c < w; c++) target[c] /= d;
      }
    }
  }
  return NULL;
}
