// Same-shape element-wise kernels: unary functions, binary arithmetic, x > y and select.
// + - * / square, neg, leaky relu and select are one IEEE operation per element (the
// same bytes as the wasm kernels); tanh, exp, log, erf and sigmoid come from libm (vectorised
// through glibc's libmvec where it has them), within a few units in the last place.
#include "dadf.h"
#include "vecmath.h"

enum { TANH, EXP, LOG, ERF, SIGMOID, SQUARE, NEG, LEAKY_RELU, UNARY_COUNT };

static void unary_chunk(int op, const float* restrict x, float* restrict y, size_t n, float alpha) {
  switch (op) {
    case TANH: for (size_t i = 0; i < n; i++) y[i] = tanhf(x[i]); break;
    case EXP: for (size_t i = 0; i < n; i++) y[i] = expf(x[i]); break;
    case LOG: for (size_t i = 0; i < n; i++) y[i] = logf(x[i]); break;
    case ERF: for (size_t i = 0; i < n; i++) y[i] = erff(x[i]); break;
    case SIGMOID: for (size_t i = 0; i < n; i++) y[i] = 1.0f / (1.0f + expf(-x[i])); break;
    case SQUARE: for (size_t i = 0; i < n; i++) y[i] = x[i] * x[i]; break;
    case NEG: for (size_t i = 0; i < n; i++) y[i] = -x[i]; break;
    case LEAKY_RELU: for (size_t i = 0; i < n; i++) y[i] = x[i] < 0.0f ? alpha * x[i] : x[i]; break;
  }
}

enum { ADD, SUB, MUL, DIV, SQUARED_DIFFERENCE, BINARY_COUNT };

// One loop per op and operand layout (both arrays, or one of them a single value), so each vectorises.
#define BINARY_LOOPS(A, B)                                                                      \
  switch (op) {                                                                                 \
    case ADD: for (size_t i = 0; i < n; i++) z[i] = A + B; break;                               \
    case SUB: for (size_t i = 0; i < n; i++) z[i] = A - B; break;                               \
    case MUL: for (size_t i = 0; i < n; i++) z[i] = A * B; break;                               \
    case DIV: for (size_t i = 0; i < n; i++) z[i] = A / B; break;                               \
    case SQUARED_DIFFERENCE: for (size_t i = 0; i < n; i++) { const float d = A - B; z[i] = d * d; } break; \
  }

static void binary_chunk(int op, const float* restrict a, const float* restrict b, float* restrict z, size_t n, int scalar) {
  if (scalar == 1) {
    const float va = a[0];
    BINARY_LOOPS(va, b[i]);
  } else if (scalar == 2) {
    const float vb = b[0];
    BINARY_LOOPS(a[i], vb);
  } else {
    BINARY_LOOPS(a[i], b[i]);
  }
}

// unary(op, x, y, alpha): y = f(x), element by element.
napi_value dadf_unary(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!dadf_args(env, info, 4, argv, "dadf blas: unary takes 4 arguments")) return NULL;
  int64_t op;
  double alpha;
  float *x, *y;
  size_t lx, ly;
  if (!dadf_int64(env, argv[0], &op) || !dadf_view(env, argv[1], napi_float32_array, (void**)&x, &lx) ||
      !dadf_view(env, argv[2], napi_float32_array, (void**)&y, &ly) || !dadf_double(env, argv[3], &alpha))
    return dadf_fail(env, "dadf blas: unary takes (op, Float32Array, Float32Array, alpha)");
  if (op < 0 || op >= UNARY_COUNT || ly < lx) return dadf_fail(env, "dadf blas: unary op or sizes do not fit");
  DADF_CHUNKED(lx, unary_chunk((int)op, x + begin, y + begin, count, (float)alpha));
  return NULL;
}

// binary(op, a, b, z): z = a ⊙ b for arrays of one length, or where a or b is a single value.
napi_value dadf_binary(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!dadf_args(env, info, 4, argv, "dadf blas: binary takes 4 arguments")) return NULL;
  int64_t op;
  float *a, *b, *z;
  size_t la, lb, lz;
  if (!dadf_int64(env, argv[0], &op) || !dadf_view(env, argv[1], napi_float32_array, (void**)&a, &la) ||
      !dadf_view(env, argv[2], napi_float32_array, (void**)&b, &lb) || !dadf_view(env, argv[3], napi_float32_array, (void**)&z, &lz))
    return dadf_fail(env, "dadf blas: binary takes (op, Float32Array ×3)");
  const int scalar = la == lb ? 0 : la == 1 ? 1 : lb == 1 ? 2 : -1;
  const size_t n = la > lb ? la : lb;
  if (op < 0 || op >= BINARY_COUNT || scalar < 0 || lz < n) return dadf_fail(env, "dadf blas: binary op or sizes do not fit");
  DADF_CHUNKED(n, binary_chunk((int)op, scalar == 1 ? a : a + begin, scalar == 2 ? b : b + begin, z + begin, count, scalar));
  return NULL;
}

// greater(x, y, out): out = x > y as 0/1 bytes; y has x's length or is one value.
napi_value dadf_greater(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!dadf_args(env, info, 3, argv, "dadf blas: greater takes 3 arguments")) return NULL;
  float *x, *y;
  uint8_t* out;
  size_t lx, ly, lo;
  if (!dadf_view(env, argv[0], napi_float32_array, (void**)&x, &lx) || !dadf_view(env, argv[1], napi_float32_array, (void**)&y, &ly) ||
      !dadf_view(env, argv[2], napi_uint8_array, (void**)&out, &lo))
    return dadf_fail(env, "dadf blas: greater takes (Float32Array, Float32Array, Uint8Array)");
  if ((ly != lx && ly != 1) || lo < lx) return dadf_fail(env, "dadf blas: greater sizes do not fit");
  const bool scalar = ly == 1 && lx != 1;
  DADF_CHUNKED(lx, {
    if (scalar) for (size_t i = begin; i < begin + count; i++) out[i] = x[i] > y[0];
    else for (size_t i = begin; i < begin + count; i++) out[i] = x[i] > y[i];
  });
  return NULL;
}

// select(condition, t, e, out): out = condition ? t : e, all of one length (condition in bytes).
napi_value dadf_select(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!dadf_args(env, info, 4, argv, "dadf blas: select takes 4 arguments")) return NULL;
  uint8_t* c;
  float *t, *e, *out;
  size_t lc, lt, le, lo;
  if (!dadf_view(env, argv[0], napi_uint8_array, (void**)&c, &lc) || !dadf_view(env, argv[1], napi_float32_array, (void**)&t, &lt) ||
      !dadf_view(env, argv[2], napi_float32_array, (void**)&e, &le) || !dadf_view(env, argv[3], napi_float32_array, (void**)&out, &lo))
    return dadf_fail(env, "dadf blas: select takes (Uint8Array, Float32Array ×3)");
  if (lt != lc || le != lc || lo < lc) return dadf_fail(env, "dadf blas: select sizes do not fit");
  DADF_CHUNKED(lc, for (size_t i = begin; i < begin + count; i++) out[i] = c[i] ? t[i] : e[i]);
  return NULL;
}
