// A bias and an activation, and their gradient. Forward: y[r, c] = act(x[r, c] + bias[c]) (y may
// be x: in place), act 0 = none, 1 = relu, 2 = relu6, 3 = leaky relu (x < 0 ? slope·x : x, as the
// LeakyRelu kernel computes it): after a backbone's 1×1 convolution computed by sgemm, and after
// a flow subnet's depthwise convolution. Backward (relu and leaky relu with slope ≥ 0, from y,
// whose sign is the input's): dx = y > 0 ? dy : slope·dy, dbias[c] = Σ_r dx[r, c].
#include "dadf.h"
#include <stdlib.h>

enum { LINEAR, RELU, RELU6, LEAKY };

static void bias_rows(const float* restrict x, const float* restrict bias, float* y, size_t rows, size_t cols, int act, float slope) {
  for (size_t r = 0; r < rows; r++) {
    const float* in = x + r * cols;
    float* restrict row = y + r * cols;
    if (bias)
      for (size_t c = 0; c < cols; c++) row[c] = in[c] + bias[c];
    else if (row != in)
      for (size_t c = 0; c < cols; c++) row[c] = in[c];
    if (act == RELU)
      for (size_t c = 0; c < cols; c++) row[c] = row[c] < 0.0f ? 0.0f : row[c];
    else if (act == RELU6)
      for (size_t c = 0; c < cols; c++) row[c] = row[c] < 0.0f ? 0.0f : row[c] > 6.0f ? 6.0f : row[c];
    else if (act == LEAKY)
      for (size_t c = 0; c < cols; c++) row[c] = row[c] < 0.0f ? slope * row[c] : row[c];
  }
}

// biasActivation(x, bias, y, rows, cols, act, slope): bias may be empty (no bias); y may be x.
napi_value dadf_bias_activation(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  if (!dadf_args(env, info, 7, argv, "dadf blas: biasActivation takes 7 arguments")) return NULL;
  float *x, *bias, *y;
  size_t lx, lb, ly;
  int64_t rows, cols, act;
  double slope;
  if (!dadf_view(env, argv[0], napi_float32_array, (void**)&x, &lx) || !dadf_view(env, argv[1], napi_float32_array, (void**)&bias, &lb) ||
      !dadf_view(env, argv[2], napi_float32_array, (void**)&y, &ly) || !dadf_int64(env, argv[3], &rows) || !dadf_int64(env, argv[4], &cols) ||
      !dadf_int64(env, argv[5], &act) || !dadf_double(env, argv[6], &slope))
    return dadf_fail(env, "dadf blas: biasActivation takes (Float32Array ×3, rows, cols, act, slope)");
  if (rows < 1 || cols < 1 || act < LINEAR || act > LEAKY || (size_t)(rows * cols) > lx || (size_t)(rows * cols) > ly || (lb != 0 && lb != (size_t)cols))
    return dadf_fail(env, "dadf blas: biasActivation sizes do not fit");
  const size_t r = (size_t)rows, c = (size_t)cols;
#pragma omp parallel if (r * c >= DADF_PARALLEL_MIN)
  {
    size_t begin = 0, count = r;
#ifdef _OPENMP
    const size_t threads = (size_t)omp_get_num_threads(), me = (size_t)omp_get_thread_num(), per = (r + threads - 1) / threads;
    begin = me * per < r ? me * per : r;
    count = begin + per < r ? per : r - begin;
#endif
    bias_rows(x + begin * c, lb ? bias : NULL, y + begin * c, count, c, (int)act, (float)slope);
  }
  return NULL;
}

// biasActivationGrad(dy, y, dx, dbias, rows, cols, slope): the gradient of a relu (slope 0) or leaky relu after a bias.
// Each thread adds its rows' dbias terms in double; the threads' sums are added in thread order.
napi_value dadf_bias_activation_grad(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  if (!dadf_args(env, info, 7, argv, "dadf blas: biasActivationGrad takes 7 arguments")) return NULL;
  float *dy, *y, *dx, *db;
  size_t ld, lyy, lx, lb;
  int64_t rows, cols;
  double slope;
  if (!dadf_view(env, argv[0], napi_float32_array, (void**)&dy, &ld) || !dadf_view(env, argv[1], napi_float32_array, (void**)&y, &lyy) ||
      !dadf_view(env, argv[2], napi_float32_array, (void**)&dx, &lx) || !dadf_view(env, argv[3], napi_float32_array, (void**)&db, &lb) ||
      !dadf_int64(env, argv[4], &rows) || !dadf_int64(env, argv[5], &cols) || !dadf_double(env, argv[6], &slope))
    return dadf_fail(env, "dadf blas: biasActivationGrad takes (Float32Array ×4, rows, cols, slope)");
  const size_t r = (size_t)rows, c = (size_t)cols, total = r * c;
  if (rows < 1 || cols < 1 || slope < 0 || ld < total || lyy < total || lx < total || lb < c)
    return dadf_fail(env, "dadf blas: biasActivationGrad sizes do not fit");
  const float a = (float)slope;
  const bool parallel = total >= DADF_PARALLEL_MIN;
  const int threads = dadf_team(parallel);
  double* partial = calloc((size_t)threads * c, sizeof(double));
  if (!partial) return dadf_fail(env, "dadf blas: biasActivationGrad: out of memory");
#pragma omp parallel num_threads(threads) if (parallel)
  {
    double* restrict acc = dadf_my_partial(partial, c);
#pragma omp for schedule(static)
    for (size_t row = 0; row < r; row++) {
      const float* restrict g = dy + row * c;
      const float* restrict v = y + row * c;
      float* restrict d = dx + row * c;
      for (size_t k = 0; k < c; k++) {
        d[k] = v[k] > 0.0f ? g[k] : g[k] * a;
        acc[k] += d[k];
      }
    }
  }
  dadf_sum_partials(partial, threads, c, 0, c, db);
  free(partial);
  return NULL;
}
