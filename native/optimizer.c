// One Adam / AdamW update of a variable in a single pass (runtime/train/optimizer.ts), instead of
// ~16 tfjs kernels per variable. Each product, sum, quotient and root is rounded to float32 in the
// order of the tensor formulation, so the weights are the same bytes: no fused multiply-add
// (contraction is turned off below) and no reciprocal in place of a division.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=off")
#endif
#pragma STDC FP_CONTRACT OFF
#include "dadf.h"
#include <math.h>

enum { B1, C1, B2, C2, D1, D2, EPS, WD, LR, CONSTANT_COUNT };

// out may be w (an update in place): each element is read before it is written.
static void adam_chunk(const float* w, const float* restrict g, float* restrict m, float* restrict v, float* out, size_t n,
                       const float* k, int l2, int decoupled) {
  for (size_t i = 0; i < n; i++) {
    const float gi = l2 ? g[i] + w[i] * k[WD] : g[i];
    const float mi = m[i] * k[B1] + gi * k[C1];
    const float vi = v[i] * k[B2] + (gi * gi) * k[C2];
    m[i] = mi;
    v[i] = vi;
    float update = (mi / k[D1]) / (sqrtf(vi / k[D2]) + k[EPS]);
    if (decoupled) update = update + w[i] * k[WD];
    out[i] = w[i] - update * k[LR];
  }
}

// adam(w, g, m, v, out, constants, l2, decoupled): m and v updated in place, the new weights in out (which may be w).
// constants: float32 [β1, 1−β1, β2, 1−β2, 1−β1^t, 1−β2^t, ε, weight decay, learning rate].
napi_value dadf_adam(napi_env env, napi_callback_info info) {
  napi_value argv[8];
  if (!dadf_args(env, info, 8, argv, "dadf blas: adam takes 8 arguments")) return NULL;
  float *w, *g, *m, *v, *out, *k;
  size_t lw, lg, lm, lv, lout, lk;
  int64_t l2, decoupled;
  if (!dadf_view(env, argv[0], napi_float32_array, (void**)&w, &lw) || !dadf_view(env, argv[1], napi_float32_array, (void**)&g, &lg) ||
      !dadf_view(env, argv[2], napi_float32_array, (void**)&m, &lm) || !dadf_view(env, argv[3], napi_float32_array, (void**)&v, &lv) ||
      !dadf_view(env, argv[4], napi_float32_array, (void**)&out, &lout) || !dadf_view(env, argv[5], napi_float32_array, (void**)&k, &lk) ||
      !dadf_int64(env, argv[6], &l2) || !dadf_int64(env, argv[7], &decoupled))
    return dadf_fail(env, "dadf blas: adam takes (5 Float32Arrays, Float32Array constants, l2, decoupled)");
  if (lg != lw || lm != lw || lv != lw || lout != lw || lk != CONSTANT_COUNT) return dadf_fail(env, "dadf blas: adam sizes do not fit");
  DADF_CHUNKED(lw, adam_chunk(w + begin, g + begin, m + begin, v + begin, out + begin, count, k, (int)l2, (int)decoupled));
  return NULL;
}
