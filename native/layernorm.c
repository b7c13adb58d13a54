// LayerNorm forward and backward in one pass each: x viewed as [rows, n], each row normalised
// over its n elements, then scaled and shifted by g and b of n elements (the transformer's token
// norms: n = width; the flow's input norm: n = H·W·C per sample). The plain formulation is ~9
// kernels forward and ~25 backward, each a pass over memory. Row sums are accumulated in double,
// so mean and variance are at least as exact as the wasm kernels' float sums.
#include "dadf.h"
#include <math.h>
#include <stdlib.h>

// Reads count Float32Array arguments starting at argv[0] with at least need[i] elements each.
static bool float_views(napi_env env, napi_value* argv, int count, float** out, const size_t* need) {
  for (int i = 0; i < count; i++) {
    size_t length;
    if (!dadf_view(env, argv[i], napi_float32_array, (void**)&out[i], &length) || length < need[i]) return false;
  }
  return true;
}

// Inside a parallel region: the statement with `begin` and `count` set to this thread's share of [0, n).
#define DADF_RANGE(n, ...)                      \
  {                                             \
    size_t begin = 0, count = (size_t)(n);      \
    dadf_chunk((size_t)(n), &begin, &count);    \
    __VA_ARGS__;                                \
  }

// Few rows (one sample's flow input): the threads share each row; many rows: each thread takes whole rows.
static bool rows_in_parallel(int64_t rows, int64_t n) {
#ifdef _OPENMP
  return rows >= omp_get_max_threads() && (size_t)(rows * n) >= DADF_PARALLEL_MIN;
#else
  (void)rows, (void)n;
  return false;
#endif
}

// Sums over [0, n) of x and of (x − m)²·[m given], by one thread or, when shared, by all of them.
static double sum_of(const float* restrict x, size_t n) {
  double s = 0.0;
#pragma omp simd reduction(+ : s)
  for (size_t i = 0; i < n; i++) s += x[i];
  return s;
}

static double squared_deviations(const float* restrict x, size_t n, float m) {
  double q = 0.0;
#pragma omp simd reduction(+ : q)
  for (size_t i = 0; i < n; i++) {
    const float d = x[i] - m;
    q += (double)d * d;
  }
  return q;
}

static void normalise(const float* restrict x, const float* restrict g, const float* restrict b, float m, float s, float* restrict y, size_t n) {
#pragma omp simd
  for (size_t i = 0; i < n; i++) y[i] = (x[i] - m) * s * g[i] + b[i];
}

// One row: its mean and 1/√(var + eps) into *mean and *rstd, and y. `shared`: all threads work on this row.
static void norm_row(const float* x, const float* g, const float* b, int64_t n, float eps, bool shared, float* y, float* mean, float* rstd) {
  double s = 0.0, q = 0.0;
  if (shared) {
#pragma omp parallel reduction(+ : s)
    DADF_RANGE(n, s += sum_of(x + begin, count));
  } else {
    s = sum_of(x, (size_t)n);
  }
  const float m = (float)(s / (double)n);
  if (shared) {
#pragma omp parallel reduction(+ : q)
    DADF_RANGE(n, q += squared_deviations(x + begin, count, m));
  } else {
    q = squared_deviations(x, (size_t)n, m);
  }
  const float r = 1.0f / sqrtf((float)(q / (double)n) + eps);
  *mean = m;
  *rstd = r;
  if (shared) {
#pragma omp parallel
    DADF_RANGE(n, normalise(x + begin, g + begin, b + begin, m, r, y + begin, count));
  } else {
    normalise(x, g, b, m, r, y, (size_t)n);
  }
}

// layerNorm(x, g, b, y, mean, rstd, rows, n, eps): y = (x − mean)·rstd·g + b per row; mean and rstd [rows] are kept for the gradient.
napi_value dadf_layer_norm(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  if (!dadf_args(env, info, 9, argv, "dadf blas: layerNorm takes 9 arguments")) return NULL;
  int64_t rows, n;
  double eps;
  if (!dadf_int64(env, argv[6], &rows) || !dadf_int64(env, argv[7], &n) || !dadf_double(env, argv[8], &eps) || rows < 1 || n < 1)
    return dadf_fail(env, "dadf blas: layerNorm takes (Float32Array ×6, rows ≥ 1, n ≥ 1, eps)");
  const size_t total = (size_t)(rows * n), need[6] = {total, (size_t)n, (size_t)n, total, (size_t)rows, (size_t)rows};
  float* v[6];
  if (!float_views(env, argv, 6, v, need)) return dadf_fail(env, "dadf blas: layerNorm arrays are not Float32Arrays of the sizes given");
  const float *x = v[0], *g = v[1], *b = v[2];
  float *y = v[3], *mean = v[4], *rstd = v[5];
  const bool outer = rows_in_parallel(rows, n), shared = !outer && total >= DADF_PARALLEL_MIN;
#pragma omp parallel for schedule(static) if (outer)
  for (int64_t r = 0; r < rows; r++) norm_row(x + r * n, g, b, n, (float)eps, shared, y + r * n, &mean[r], &rstd[r]);
  return NULL;
}

// Σ ĝ and Σ ĝ·x̂ over [0, n), where x̂ = (x − m)·r and ĝ = dy·g.
static void grad_sums(const float* restrict dy, const float* restrict x, const float* restrict g, float m, float r, size_t n, double* sum_g,
                      double* sum_gx) {
  double a = 0.0, c = 0.0;
#pragma omp simd reduction(+ : a, c)
  for (size_t i = 0; i < n; i++) {
    const float xhat = (x[i] - m) * r, gdy = dy[i] * g[i];
    a += gdy;
    c += (double)gdy * xhat;
  }
  *sum_g += a;
  *sum_gx += c;
}

// dx = r·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)), dg += dy·x̂, db += dy over [0, n).
static void grad_apply(const float* restrict dy, const float* restrict x, const float* restrict g, float m, float r, float mean_g, float mean_gx,
                       size_t n, float* restrict dx, float* restrict dg, float* restrict db) {
#pragma omp simd
  for (size_t i = 0; i < n; i++) {
    const float xhat = (x[i] - m) * r;
    dx[i] = r * (dy[i] * g[i] - mean_g - xhat * mean_gx);
    dg[i] += dy[i] * xhat;
    db[i] += dy[i];
  }
}

// One row's dx and its share of dg and db. `shared`: all threads work on this row.
static void grad_row(const float* dy, const float* x, const float* g, float m, float r, int64_t n, bool shared, float* dx, float* dg, float* db) {
  double sum_g = 0.0, sum_gx = 0.0;
  if (shared) {
#pragma omp parallel reduction(+ : sum_g, sum_gx)
    DADF_RANGE(n, grad_sums(dy + begin, x + begin, g + begin, m, r, count, &sum_g, &sum_gx));
  } else {
    grad_sums(dy, x, g, m, r, (size_t)n, &sum_g, &sum_gx);
  }
  const float mean_g = (float)(sum_g / (double)n), mean_gx = (float)(sum_gx / (double)n);
  if (shared) {
#pragma omp parallel
    DADF_RANGE(n, grad_apply(dy + begin, x + begin, g + begin, m, r, mean_g, mean_gx, count, dx + begin, dg + begin, db + begin));
  } else {
    grad_apply(dy, x, g, m, r, mean_g, mean_gx, (size_t)n, dx, dg, db);
  }
}

// layerNormGrad(dy, x, g, mean, rstd, dx, dg, db, rows, n): the gradients of layerNorm for x, g and b.
napi_value dadf_layer_norm_grad(napi_env env, napi_callback_info info) {
  napi_value argv[10];
  if (!dadf_args(env, info, 10, argv, "dadf blas: layerNormGrad takes 10 arguments")) return NULL;
  int64_t rows, n;
  if (!dadf_int64(env, argv[8], &rows) || !dadf_int64(env, argv[9], &n) || rows < 1 || n < 1)
    return dadf_fail(env, "dadf blas: layerNormGrad takes (Float32Array ×8, rows ≥ 1, n ≥ 1)");
  const size_t total = (size_t)(rows * n);
  const size_t need[8] = {total, total, (size_t)n, (size_t)rows, (size_t)rows, total, (size_t)n, (size_t)n};
  float* v[8];
  if (!float_views(env, argv, 8, v, need)) return dadf_fail(env, "dadf blas: layerNormGrad arrays are not Float32Arrays of the sizes given");
  const float *dy = v[0], *x = v[1], *g = v[2], *mean = v[3], *rstd = v[4];
  float *dx = v[5], *dg = v[6], *db = v[7];
  for (int64_t i = 0; i < n; i++) dg[i] = db[i] = 0.0f;
  if (!rows_in_parallel(rows, n)) {
    const bool shared = total >= DADF_PARALLEL_MIN;
    for (int64_t r = 0; r < rows; r++) grad_row(dy + r * n, x + r * n, g, mean[r], rstd[r], n, shared, dx + r * n, dg, db);
    return NULL;
  }
  // Each thread adds its rows' dg and db into its own buffer; the buffers are added in thread order.
  int threads = 1;
#ifdef _OPENMP
  threads = omp_get_max_threads();
#endif
  float* partial = calloc((size_t)threads * 2 * (size_t)n, sizeof(float));
  if (!partial) return dadf_fail(env, "dadf blas: layerNormGrad could not allocate its partial sums");
#pragma omp parallel num_threads(threads)
  {
    int me = 0;
#ifdef _OPENMP
    me = omp_get_thread_num();
#endif
    float *pg = partial + (size_t)me * 2 * (size_t)n, *pb = pg + n;
#pragma omp for schedule(static)
    for (int64_t r = 0; r < rows; r++) grad_row(dy + r * n, x + r * n, g, mean[r], rstd[r], n, false, dx + r * n, pg, pb);
  }
  for (int t = 0; t < threads; t++) {
    const float *pg = partial + (size_t)t * 2 * (size_t)n, *pb = pg + n;
    for (int64_t i = 0; i < n; i++) {
      dg[i] += pg[i];
      db[i] += pb[i];
    }
  }
  free(partial);
  return NULL;
}
