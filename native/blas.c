// dadf's optional native kernels: single-precision GEMM through OpenBLAS (cblas_sgemm), and
// broadcast element-wise add/sub/mul/div, on Float32Array views of the tfjs wasm backend's
// heap, so the wasm backend's kernels can compute in place without copying tensors out. Plain N-API (ABI-stable across Node
// versions); built by scripts/build-native.mjs when g++/gcc, Node's headers and OpenBLAS exist.
#include <node_api.h>
#include <cblas.h>
#include <stdbool.h>
#include <stdint.h>

#define CHECK(call)                                                   \
  do {                                                                \
    if ((call) != napi_ok) {                                          \
      napi_throw_error(env, NULL, "dadf blas: bad arguments");        \
      return NULL;                                                    \
    }                                                                 \
  } while (0)

static bool float_view(napi_env env, napi_value value, float** data, size_t* length) {
  bool is_typed = false;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed) return false;
  napi_typedarray_type type;
  void* ptr = NULL;
  if (napi_get_typedarray_info(env, value, &type, length, &ptr, NULL, NULL) != napi_ok) return false;
  if (type != napi_float32_array || ptr == NULL) return false;
  *data = (float*)ptr;
  return true;
}

// sgemm(a, b, c, batch, m, n, k, transA, transB, strideA, strideB)
// c[i] = op(a[i·strideA]) · op(b[i·strideB]) for i < batch; a row-major [m,k] (or [k,m] when
// transA), b [k,n] (or [n,k]), c [batch, m, n]. A stride of 0 broadcasts that operand.
static napi_value sgemm(napi_env env, napi_callback_info info) {
  size_t argc = 11;
  napi_value argv[11];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 11) {
    napi_throw_error(env, NULL, "dadf blas: sgemm takes 11 arguments");
    return NULL;
  }
  float *a, *b, *c;
  size_t la, lb, lc;
  if (!float_view(env, argv[0], &a, &la) || !float_view(env, argv[1], &b, &lb) || !float_view(env, argv[2], &c, &lc)) {
    napi_throw_type_error(env, NULL, "dadf blas: a, b and c must be Float32Arrays");
    return NULL;
  }
  int64_t v[6];
  for (int i = 0; i < 4; i++) CHECK(napi_get_value_int64(env, argv[3 + i], &v[i]));
  bool ta, tb;
  CHECK(napi_get_value_bool(env, argv[7], &ta));
  CHECK(napi_get_value_bool(env, argv[8], &tb));
  CHECK(napi_get_value_int64(env, argv[9], &v[4]));
  CHECK(napi_get_value_int64(env, argv[10], &v[5]));
  const int64_t batch = v[0], m = v[1], n = v[2], k = v[3], sa = v[4], sb = v[5];
  if (batch < 0 || m < 0 || n < 0 || k < 0 || sa < 0 || sb < 0 || (uint64_t)(batch * m * n) > lc ||
      (batch > 0 && ((uint64_t)((batch - 1) * sa + m * k) > la || (uint64_t)((batch - 1) * sb + k * n) > lb))) {
    napi_throw_range_error(env, NULL, "dadf blas: sizes exceed the arrays");
    return NULL;
  }
  const int lda = ta ? (int)m : (int)k, ldb = tb ? (int)k : (int)n;
  for (int64_t i = 0; i < batch; i++) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)k, 1.0f,
                a + i * sa, lda, b + i * sb, ldb, 0.0f, c + i * m * n, (int)n);
  }
  return NULL;
}

// broadcast(op, big, small, out, block, stretch, bigFirst): out = big ⊙ small (or small ⊙ big)
// for op 0 add, 1 sub, 2 mul, 3 div, where small repeats every `block` elements of big
// (stretch false: a bias [C] over [N,H,W,C]) or each of its elements covers `block` elements
// (stretch true: [N,1,1,1] over [N,H,W,C]). One IEEE operation per element.
static void apply(int op, const float* big, const float* small, float* out, size_t n, size_t block, bool stretch, bool big_first) {
  for (size_t start = 0, r = 0; start < n; start += block, r++) {
    const float* x = big + start;
    float* z = out + start;
    if (stretch) {
      const float v = small[r];
      switch (op * 2 + big_first) {
        case 1: for (size_t j = 0; j < block; j++) z[j] = x[j] + v; break;
        case 0: for (size_t j = 0; j < block; j++) z[j] = v + x[j]; break;
        case 3: for (size_t j = 0; j < block; j++) z[j] = x[j] - v; break;
        case 2: for (size_t j = 0; j < block; j++) z[j] = v - x[j]; break;
        case 5: for (size_t j = 0; j < block; j++) z[j] = x[j] * v; break;
        case 4: for (size_t j = 0; j < block; j++) z[j] = v * x[j]; break;
        case 7: for (size_t j = 0; j < block; j++) z[j] = x[j] / v; break;
        case 6: for (size_t j = 0; j < block; j++) z[j] = v / x[j]; break;
      }
    } else {
      const float* y = small;
      switch (op * 2 + big_first) {
        case 1: for (size_t j = 0; j < block; j++) z[j] = x[j] + y[j]; break;
        case 0: for (size_t j = 0; j < block; j++) z[j] = y[j] + x[j]; break;
        case 3: for (size_t j = 0; j < block; j++) z[j] = x[j] - y[j]; break;
        case 2: for (size_t j = 0; j < block; j++) z[j] = y[j] - x[j]; break;
        case 5: for (size_t j = 0; j < block; j++) z[j] = x[j] * y[j]; break;
        case 4: for (size_t j = 0; j < block; j++) z[j] = y[j] * x[j]; break;
        case 7: for (size_t j = 0; j < block; j++) z[j] = x[j] / y[j]; break;
        case 6: for (size_t j = 0; j < block; j++) z[j] = y[j] / x[j]; break;
      }
    }
  }
}

static napi_value broadcast(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 7) {
    napi_throw_error(env, NULL, "dadf blas: broadcast takes 7 arguments");
    return NULL;
  }
  int32_t op;
  CHECK(napi_get_value_int32(env, argv[0], &op));
  float *big, *small, *out;
  size_t lbig, lsmall, lout;
  if (!float_view(env, argv[1], &big, &lbig) || !float_view(env, argv[2], &small, &lsmall) || !float_view(env, argv[3], &out, &lout)) {
    napi_throw_type_error(env, NULL, "dadf blas: big, small and out must be Float32Arrays");
    return NULL;
  }
  int64_t block;
  bool stretch, big_first;
  CHECK(napi_get_value_int64(env, argv[4], &block));
  CHECK(napi_get_value_bool(env, argv[5], &stretch));
  CHECK(napi_get_value_bool(env, argv[6], &big_first));
  if (op < 0 || op > 3 || block <= 0 || lout < lbig || lbig % (size_t)block != 0 ||
      (stretch ? lsmall < lbig / (size_t)block : lsmall < (size_t)block)) {
    napi_throw_range_error(env, NULL, "dadf blas: broadcast sizes do not fit");
    return NULL;
  }
  apply(op, big, small, out, lbig, (size_t)block, stretch, big_first);
  return NULL;
}

static napi_value threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc == 1) {
    int32_t t;
    CHECK(napi_get_value_int32(env, argv[0], &t));
    if (t > 0) openblas_set_num_threads(t);
  }
  napi_value out;
  CHECK(napi_create_int32(env, openblas_get_num_threads(), &out));
  return out;
}

static napi_value config(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  CHECK(napi_create_string_utf8(env, openblas_get_config(), NAPI_AUTO_LENGTH, &out));
  return out;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"sgemm", NULL, sgemm, NULL, NULL, NULL, napi_default, NULL},
      {"threads", NULL, threads, NULL, NULL, NULL, napi_default, NULL},
      {"config", NULL, config, NULL, NULL, NULL, napi_default, NULL},
      {"broadcast", NULL, broadcast, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, 4, props) != napi_ok) return NULL;
  return exports;
}
