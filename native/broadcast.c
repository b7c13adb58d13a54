// Add/sub/mul/div where one operand is broadcast over leading or trailing axes; one IEEE
// operation per element, as the wasm kernels do, so the bytes are the same.
#include "dadf.h"

// out = big ⊙ small (or small ⊙ big) for op 0 add, 1 sub, 2 mul, 3 div, where small repeats
// every `block` elements of big (stretch false: a bias [C] over [N,H,W,C]) or each of its
// elements covers `block` elements (stretch true: [N,1,1,1] over [N,H,W,C]).
static void apply_block(int op, const float* x, const float* y, float v, float* z, size_t block, bool stretch, bool big_first) {
  switch (op * 2 + big_first) {
    case 1: for (size_t j = 0; j < block; j++) z[j] = x[j] + (stretch ? v : y[j]); break;
    case 0: for (size_t j = 0; j < block; j++) z[j] = (stretch ? v : y[j]) + x[j]; break;
    case 3: for (size_t j = 0; j < block; j++) z[j] = x[j] - (stretch ? v : y[j]); break;
    case 2: for (size_t j = 0; j < block; j++) z[j] = (stretch ? v : y[j]) - x[j]; break;
    case 5: for (size_t j = 0; j < block; j++) z[j] = x[j] * (stretch ? v : y[j]); break;
    case 4: for (size_t j = 0; j < block; j++) z[j] = (stretch ? v : y[j]) * x[j]; break;
    case 7: for (size_t j = 0; j < block; j++) z[j] = x[j] / (stretch ? v : y[j]); break;
    case 6: for (size_t j = 0; j < block; j++) z[j] = (stretch ? v : y[j]) / x[j]; break;
  }
}

// broadcast(op, big, small, out, block, stretch, bigFirst)
napi_value dadf_broadcast(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  if (!dadf_args(env, info, 7, argv, "dadf blas: broadcast takes 7 arguments")) return NULL;
  int64_t op, block;
  float *big, *small, *out;
  size_t lbig, lsmall, lout;
  bool stretch, big_first;
  if (!dadf_int64(env, argv[0], &op) || !dadf_view(env, argv[1], napi_float32_array, (void**)&big, &lbig) ||
      !dadf_view(env, argv[2], napi_float32_array, (void**)&small, &lsmall) || !dadf_view(env, argv[3], napi_float32_array, (void**)&out, &lout) ||
      !dadf_int64(env, argv[4], &block) || napi_get_value_bool(env, argv[5], &stretch) != napi_ok ||
      napi_get_value_bool(env, argv[6], &big_first) != napi_ok)
    return dadf_fail(env, "dadf blas: broadcast takes (op, Float32Array ×3, block, stretch, bigFirst)");
  if (op < 0 || op > 3 || block <= 0 || lout < lbig || lbig % (size_t)block != 0 ||
      (stretch ? lsmall < lbig / (size_t)block : lsmall < (size_t)block))
    return dadf_fail(env, "dadf blas: broadcast sizes do not fit");
  const int64_t rows = (int64_t)(lbig / (size_t)block);
#pragma omp parallel for schedule(static) if (lbig >= DADF_PARALLEL_MIN)
  for (int64_t r = 0; r < rows; r++) {
    apply_block((int)op, big + r * block, small, stretch ? small[r] : 0.0f, out + r * block, (size_t)block, stretch, big_first);
  }
  return NULL;
}
