// dadf's optional native kernels for the tfjs wasm backend (runtime/native/blas.ts loads it,
// runtime/ops/*-kernels.ts register its kernels): OpenBLAS GEMM, element-wise, reductions and
// data movement on views of the wasm heap. Plain N-API (ABI-stable across Node versions); built
// by scripts/build-native.mjs when a C compiler, Node's headers and OpenBLAS exist.
#include "dadf.h"

bool dadf_args(napi_env env, napi_callback_info info, size_t n, napi_value* argv, const char* what) {
  size_t argc = n;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != n) {
    napi_throw_error(env, NULL, what);
    return false;
  }
  return true;
}

bool dadf_view(napi_env env, napi_value value, napi_typedarray_type type, void** data, size_t* length) {
  bool is_typed = false;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed) return false;
  napi_typedarray_type actual;
  void* ptr = NULL;
  if (napi_get_typedarray_info(env, value, &actual, length, &ptr, NULL, NULL) != napi_ok) return false;
  if (actual != type || (ptr == NULL && *length > 0)) return false;
  *data = ptr;
  return true;
}

static size_t element_size(napi_typedarray_type type) {
  switch (type) {
    case napi_int8_array: case napi_uint8_array: case napi_uint8_clamped_array: return 1;
    case napi_int16_array: case napi_uint16_array: return 2;
    case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: return 8;
    default: return 4;
  }
}

bool dadf_bytes(napi_env env, napi_value value, uint8_t** data, size_t* bytes, size_t* element) {
  bool is_typed = false;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed) return false;
  napi_typedarray_type type;
  size_t length;
  void* ptr = NULL;
  if (napi_get_typedarray_info(env, value, &type, &length, &ptr, NULL, NULL) != napi_ok) return false;
  *element = element_size(type);
  *bytes = length * *element;
  *data = ptr;
  return ptr != NULL || length == 0;
}

bool dadf_int64(napi_env env, napi_value value, int64_t* out) { return napi_get_value_int64(env, value, out) == napi_ok; }
bool dadf_double(napi_env env, napi_value value, double* out) { return napi_get_value_double(env, value, out) == napi_ok; }

napi_value dadf_fail(napi_env env, const char* message) {
  napi_throw_range_error(env, NULL, message);
  return NULL;
}

NAPI_MODULE_INIT() {
#define DADF_PROPERTY(name, js) {js, NULL, dadf_##name, NULL, NULL, NULL, napi_default, NULL},
  napi_property_descriptor props[] = {DADF_FUNCTIONS(DADF_PROPERTY)};
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
