// Single-precision GEMM through OpenBLAS (cblas_sgemm) on views of the wasm heap, and the thread
// count shared by OpenBLAS and the OpenMP kernels of the other files.
#include "dadf.h"
#include <cblas.h>
#ifdef _OPENMP
#include <omp.h>
#endif

// sgemm(a, b, c, batch, m, n, k, transA, transB, strideA, strideB)
// c[i] = op(a[i·strideA]) · op(b[i·strideB]) for i < batch; a row-major [m,k] (or [k,m] when
// transA), b [k,n] (or [n,k]), c [batch, m, n]. A stride of 0 broadcasts that operand.
napi_value dadf_sgemm(napi_env env, napi_callback_info info) {
  napi_value argv[11];
  if (!dadf_args(env, info, 11, argv, "dadf blas: sgemm takes 11 arguments")) return NULL;
  float *a, *b, *c;
  size_t la, lb, lc;
  if (!dadf_view(env, argv[0], napi_float32_array, (void**)&a, &la) || !dadf_view(env, argv[1], napi_float32_array, (void**)&b, &lb) ||
      !dadf_view(env, argv[2], napi_float32_array, (void**)&c, &lc)) {
    napi_throw_type_error(env, NULL, "dadf blas: a, b and c must be Float32Arrays");
    return NULL;
  }
  int64_t v[6];
  bool ta, tb;
  for (int i = 0; i < 4; i++)
    if (!dadf_int64(env, argv[3 + i], &v[i])) return dadf_fail(env, "dadf blas: sgemm sizes must be integers");
  if (napi_get_value_bool(env, argv[7], &ta) != napi_ok || napi_get_value_bool(env, argv[8], &tb) != napi_ok ||
      !dadf_int64(env, argv[9], &v[4]) || !dadf_int64(env, argv[10], &v[5]))
    return dadf_fail(env, "dadf blas: sgemm takes two booleans and two strides");
  const int64_t batch = v[0], m = v[1], n = v[2], k = v[3], sa = v[4], sb = v[5];
  if (batch < 0 || m < 0 || n < 0 || k < 0 || sa < 0 || sb < 0 || (uint64_t)(batch * m * n) > lc ||
      (batch > 0 && ((uint64_t)((batch - 1) * sa + m * k) > la || (uint64_t)((batch - 1) * sb + k * n) > lb)))
    return dadf_fail(env, "dadf blas: sizes exceed the arrays");
  const int lda = ta ? (int)m : (int)k, ldb = tb ? (int)k : (int)n;
  for (int64_t i = 0; i < batch; i++) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)k, 1.0f,
                a + i * sa, lda, b + i * sb, ldb, 0.0f, c + i * m * n, (int)n);
  }
  return NULL;
}

// threads([count]): sets OpenBLAS's and OpenMP's thread counts when given; returns OpenBLAS's.
napi_value dadf_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return dadf_fail(env, "dadf blas: bad arguments");
  int64_t t = 0;
  if (argc == 1 && dadf_int64(env, argv[0], &t) && t > 0) {
    openblas_set_num_threads((int)t);
#ifdef _OPENMP
    omp_set_num_threads((int)t);
#endif
  }
  napi_value out;
  napi_create_int32(env, openblas_get_num_threads(), &out);
  return out;
}

// config(): OpenBLAS's build line.
napi_value dadf_config(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  napi_create_string_utf8(env, openblas_get_config(), NAPI_AUTO_LENGTH, &out);
  return out;
}

// parallelThreads(): how many OpenMP threads the element-wise kernels use; 0 without OpenMP.
napi_value dadf_parallel_threads(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
#ifdef _OPENMP
  napi_create_int32(env, omp_get_max_threads(), &out);
#else
  napi_create_int32(env, 0, &out);
#endif
  return out;
}
