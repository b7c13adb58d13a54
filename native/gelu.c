// Exact GELU, 0.5·x·(1 + erf(x/√2)), and its gradient, one pass each. The plain formulation is
// 5 kernels forward (two multiplies, erf, add, multiply) and ~10 backward (erf's gradient alone
// is a square, a negation, an exp and two multiplies). The forward does the same float
// operations in the same order as the plain one, with the same erff as the native Erf kernel.
#include "dadf.h"
#include "vecmath.h"

#define GELU_SQRT1_2 0.70710678118654752f
// 1/√(2π): d/dx of 0.5·x·(1 + erf(x/√2)) is 0.5·(1 + erf(x/√2)) + x·exp(−x²/2)/√(2π).
#define GELU_INV_SQRT_2PI 0.39894228040143268f

// Reads `count` Float32Arrays of one length into v and n; false (with a JS error thrown) otherwise.
static bool same_length_views(napi_env env, napi_callback_info info, size_t count, float** v, size_t* n, const char* what) {
  napi_value argv[3];
  if (!dadf_args(env, info, count, argv, what)) return false;
  for (size_t i = 0; i < count; i++) {
    size_t length;
    if (!dadf_view(env, argv[i], napi_float32_array, (void**)&v[i], &length) || (i > 0 && length != *n)) {
      dadf_fail(env, what);
      return false;
    }
    *n = length;
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
  float* v[2];
  size_t n = 0;
  if (!same_length_views(env, info, 2, v, &n, "dadf blas: gelu takes two Float32Arrays of one length")) return NULL;
  DADF_CHUNKED(n, gelu_chunk(v[0] + begin, v[1] + begin, count));
  return NULL;
}

// geluGrad(x, dy, dx): dx = dy·(0.5·(1 + erf(x·√½)) + x·exp(−x²/2)/√(2π)).
napi_value dadf_gelu_grad(napi_env env, napi_callback_info info) {
  float* v[3];
  size_t n = 0;
  if (!same_length_views(env, info, 3, v, &n, "dadf blas: geluGrad takes three Float32Arrays of one length")) return NULL;
  DADF_CHUNKED(n, gelu_grad_chunk(v[0] + begin, v[1] + begin, v[2] + begin, count));
  return NULL;
}
