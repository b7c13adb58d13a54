// Exact GELU, 0.5·x·(1 + erf(x/√2)), and its gradient, one pass each. The plain formulation is
// 5 kernels forward (two multiplies, erf, add, multiply) and ~10 backward (erf's gradient alone
// is a square, a negation, an exp and two multiplies). The forward does the same float
// operations in the same order as the plain one, with the same erff as the native Erf kernel.
#include "dadf.h"
#include "vecmath.h"

#define GELU_SQRT1_2 0.70710678118654752f
// 1/√(2π): d/dx of 0.5·x·(1 + erf(x/√2)) is 0.5·(1 + erf(x/√2)) + x·exp(−x²/2)/√(2π).
#define GELU_INV_SQRT_2PI 0.39894228040143268f

static bool same_length_views(napi_env env, napi_value* argv, int count, float** v, size_t* length) {
  for (int i = 0; i < count; i++) {
    size_t l;
    if (!dadf_view(env, argv[i], napi_float32_array, (void**)&v[i], &l) || (i > 0 && l != *length)) return false;
    *length = l;
  }
  return true;
}

static void gelu_chunk(const float* restrict x, float* restrict y, size_t n) {
#pragma omp simd
  for (size_t i = 0; i < n; i++) y[i] = (x[i] * 0.5f) * (erff(x[i] * GELU_SQRT1_2) + 1.0f);
}

static void gelu_grad_chunk(const float* restrict x, const float* restrict dy, float* restrict dx, size_t n) {
#pragma omp simd
  for (size_t i = 0; i < n; i++) {
    const float t = x[i] * GELU_SQRT1_2;
    dx[i] = dy[i] * (0.5f * (erff(t) + 1.0f) + x[i] * GELU_INV_SQRT_2PI * expf(-t * t));
  }
}

// gelu(x, y): y = (x·0.5)·(erf(x·√½) + 1).
napi_value dadf_gelu(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!dadf_args(env, info, 2, argv, "dadf blas: gelu takes 2 arguments")) return NULL;
  float* v[2];
  size_t n = 0;
  if (!same_length_views(env, argv, 2, v, &n)) return dadf_fail(env, "dadf blas: gelu takes two Float32Arrays of one length");
  const float* x = v[0];
  float* y = v[1];
  DADF_CHUNKED(n, gelu_chunk(x + begin, y + begin, count));
  return NULL;
}

// geluGrad(x, dy, dx): dx = dy·(0.5·(1 + erf(x·√½)) + x·exp(−x²/2)/√(2π)).
napi_value dadf_gelu_grad(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!dadf_args(env, info, 3, argv, "dadf blas: geluGrad takes 3 arguments")) return NULL;
  float* v[3];
  size_t n = 0;
  if (!same_length_views(env, argv, 3, v, &n)) return dadf_fail(env, "dadf blas: geluGrad takes three Float32Arrays of one length");
  const float *x = v[0], *dy = v[1];
  float* dx = v[2];
  DADF_CHUNKED(n, gelu_grad_chunk(x + begin, dy + begin, dx + begin, count));
  return NULL;
}
