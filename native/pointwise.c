// The bias and activation after a product (a backbone's 1×1 convolution computed by sgemm):
// y[r, c] = act(y[r, c] + bias[c]) in place, act 0 = none, 1 = relu, 2 = relu6.
#include "dadf.h"

static void bias_rows(float* restrict y, const float* restrict bias, size_t rows, size_t cols, int act) {
  for (size_t r = 0; r < rows; r++) {
    float* restrict row = y + r * cols;
    if (bias)
      for (size_t c = 0; c < cols; c++) row[c] += bias[c];
    if (act == 1)
      for (size_t c = 0; c < cols; c++) row[c] = row[c] < 0.0f ? 0.0f : row[c];
    else if (act == 2)
      for (size_t c = 0; c < cols; c++) row[c] = row[c] < 0.0f ? 0.0f : row[c] > 6.0f ? 6.0f : row[c];
  }
}

// biasActivation(y, bias, rows, cols, act): bias may be empty (no bias).
napi_value dadf_bias_activation(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!dadf_args(env, info, 5, argv, "dadf blas: biasActivation takes 5 arguments")) return NULL;
  float *y, *bias;
  size_t ly, lb;
  int64_t rows, cols, act;
  if (!dadf_view(env, argv[0], napi_float32_array, (void**)&y, &ly) || !dadf_view(env, argv[1], napi_float32_array, (void**)&bias, &lb) ||
      !dadf_int64(env, argv[2], &rows) || !dadf_int64(env, argv[3], &cols) || !dadf_int64(env, argv[4], &act))
    return dadf_fail(env, "dadf blas: biasActivation takes (Float32Array ×2, rows, cols, act)");
  if (rows < 1 || cols < 1 || act < 0 || act > 2 || (size_t)(rows * cols) > ly || (lb != 0 && lb != (size_t)cols))
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
    bias_rows(y + begin * c, lb ? bias : NULL, count, c, (int)act);
  }
  return NULL;
}
