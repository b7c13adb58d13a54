// The flow's affine coupling step (runtime/model/flow.ts) fused into one pass over the rows of
// [rows = N·H·W, C] maps, held as their halves x1 [rows, c1] and x2 [rows, c2] (the next step
// conditions on the first half, so no split or concat is needed between steps): from x1, x2 and
// the subnet's raw output h = [a_s | a_t],
//   s = clamp·tanh(scale·a_s), y2 = x2·exp(s) + scale·a_t, u = [x1 | y2]·g + offset,
//   z[i] = u[perm[i]] returned as z1 = z[:c1], z2 = z[c1:], and Σ s per sample (its part of log|det J|);
// and its gradient in one more pass. The plain formulation takes ~25 kernels and as many passes
// over memory for the same (and ~40 for the gradient). Each value is computed with the same IEEE
// operations in the same order as the plain kernels (the addon is built with -ffp-contract=off),
// so z is the same bytes; the sums (Σ s, and the g and offset gradients) add in another order.
#include "dadf.h"
#include "vecmath.h"
#include <stdlib.h>
#include <string.h>

typedef struct {
  size_t rows, c1, c2;
  float scale, clamp;
  const int32_t* perm; // NULL: no permutation
} coupling_shape;

// One row forward: z1, z2 and the row's Σ s. u (C floats), s and e (c2 floats) are scratch.
static double forward_row(const coupling_shape* p, const float* restrict x1, const float* restrict x2, const float* restrict h, const float* restrict g,
                          const float* restrict offset, float* restrict z1, float* restrict z2, float* restrict u, float* restrict s, float* restrict e) {
  const size_t c1 = p->c1, c2 = p->c2;
  for (size_t c = 0; c < c1; c++) u[c] = x1[c] * g[c] + offset[c];
  for (size_t j = 0; j < c2; j++) s[j] = tanhf(h[j] * p->scale) * p->clamp;
  for (size_t j = 0; j < c2; j++) e[j] = expf(s[j]);
  for (size_t j = 0; j < c2; j++) {
    const float y = x2[j] * e[j] + h[c2 + j] * p->scale;
    u[c1 + j] = y * g[c1 + j] + offset[c1 + j];
  }
  if (p->perm) {
    for (size_t i = 0; i < c1; i++) z1[i] = u[p->perm[i]];
    for (size_t i = 0; i < c2; i++) z2[i] = u[p->perm[c1 + i]];
  } else {
    memcpy(z1, u, c1 * sizeof(float));
    memcpy(z2, u + c1, c2 * sizeof(float));
  }
  double sum = 0.0;
  for (size_t j = 0; j < c2; j++) sum += s[j];
  return sum;
}

static bool read_shape(napi_env env, napi_value* argv, coupling_shape* p, size_t* samples) {
  int64_t rows, c1, c2, n;
  double scale, clamp;
  if (!dadf_int64(env, argv[0], &rows) || !dadf_int64(env, argv[1], &c1) || !dadf_int64(env, argv[2], &c2) || !dadf_int64(env, argv[3], &n) ||
      !dadf_double(env, argv[4], &scale) || !dadf_double(env, argv[5], &clamp))
    return false;
  if (rows < 1 || c1 < 1 || c2 < 1 || n < 1 || rows % n != 0) return false;
  p->rows = (size_t)rows, p->c1 = (size_t)c1, p->c2 = (size_t)c2, p->scale = (float)scale, p->clamp = (float)clamp;
  *samples = (size_t)n;
  return true;
}

// A permutation of C channels (Int32Array of length C), or none (length 0).
static bool read_perm(napi_env env, napi_value value, size_t channels, const int32_t** perm) {
  int32_t* data;
  size_t length;
  if (!dadf_view(env, value, napi_int32_array, (void**)&data, &length) || (length != 0 && length != channels)) return false;
  for (size_t i = 0; i < length; i++)
    if (data[i] < 0 || (size_t)data[i] >= channels) return false;
  *perm = length ? data : NULL;
  return true;
}

#define FLOATS(index, name, count)                                                                             \
  float* name;                                                                                                 \
  {                                                                                                            \
    size_t length_;                                                                                            \
    if (!dadf_view(env, argv[index], napi_float32_array, (void**)&name, &length_) || length_ < (size_t)(count)) \
      return dadf_fail(env, "dadf blas: coupling: " #name " is missing or too short");                         \
  }

// couplingForward(rows, c1, c2, samples, scale, clamp, perm, x1, x2, h, g, offset, z1, z2, sdet)
napi_value dadf_coupling_forward(napi_env env, napi_callback_info info) {
  napi_value argv[15];
  if (!dadf_args(env, info, 15, argv, "dadf blas: couplingForward takes 15 arguments")) return NULL;
  coupling_shape p;
  size_t samples;
  if (!read_shape(env, argv, &p, &samples)) return dadf_fail(env, "dadf blas: couplingForward sizes do not fit");
  const size_t C = p.c1 + p.c2, c1 = p.c1, c2 = p.c2;
  if (!read_perm(env, argv[6], C, &p.perm)) return dadf_fail(env, "dadf blas: couplingForward: not a permutation of the channels");
  FLOATS(7, x1, p.rows * c1)
  FLOATS(8, x2, p.rows * c2)
  FLOATS(9, h, p.rows * 2 * c2)
  FLOATS(10, g, C)
  FLOATS(11, offset, C)
  FLOATS(12, z1, p.rows * c1)
  FLOATS(13, z2, p.rows * c2)
  FLOATS(14, sdet, samples)
  double* row_sums = malloc(p.rows * sizeof(double));
  if (!row_sums) return dadf_fail(env, "dadf blas: couplingForward: out of memory");
  bool failed = false;
#pragma omp parallel if (p.rows * C >= DADF_PARALLEL_MIN)
  {
    float* scratch = malloc((C + 2 * c2) * sizeof(float));
    if (!scratch) failed = true;
#pragma omp for schedule(static)
    for (size_t r = 0; r < p.rows; r++)
      if (scratch)
        row_sums[r] = forward_row(&p, x1 + r * c1, x2 + r * c2, h + r * 2 * c2, g, offset, z1 + r * c1, z2 + r * c2, scratch, scratch + C, scratch + C + c2);
    free(scratch);
  }
  if (failed) {
    free(row_sums);
    return dadf_fail(env, "dadf blas: couplingForward: out of memory");
  }
  const size_t per = p.rows / samples;
  for (size_t n = 0; n < samples; n++) {
    double sum = 0.0;
    for (size_t r = n * per; r < (n + 1) * per; r++) sum += row_sums[r];
    sdet[n] = (float)sum;
  }
  free(row_sums);
  return NULL;
}

// One row backward: dx1, dx2, dh (2·c2), and the row's terms of the g and offset gradients added to dg, doffset.
static void backward_row(const coupling_shape* p, const float* restrict dz1, const float* restrict dz2, float dsdet, const float* restrict x1,
                         const float* restrict x2, const float* restrict h, const float* restrict g, float* restrict dx1, float* restrict dx2,
                         float* restrict dh, double* restrict dg, double* restrict doffset, float* restrict dv, float* restrict th, float* restrict e) {
  const size_t c1 = p->c1, c2 = p->c2, C = c1 + c2;
  if (p->perm) {
    for (size_t i = 0; i < c1; i++) dv[p->perm[i]] = dz1[i];
    for (size_t i = 0; i < c2; i++) dv[p->perm[c1 + i]] = dz2[i];
  } else {
    memcpy(dv, dz1, c1 * sizeof(float));
    memcpy(dv + c1, dz2, c2 * sizeof(float));
  }
  for (size_t c = 0; c < C; c++) doffset[c] += dv[c];
  for (size_t c = 0; c < c1; c++) {
    dg[c] += dv[c] * x1[c];
    dx1[c] = dv[c] * g[c];
  }
  for (size_t j = 0; j < c2; j++) th[j] = tanhf(h[j] * p->scale);
  for (size_t j = 0; j < c2; j++) e[j] = expf(th[j] * p->clamp);
  for (size_t j = 0; j < c2; j++) {
    const size_t c = c1 + j;
    const float y = x2[j] * e[j] + h[c2 + j] * p->scale;
    dg[c] += dv[c] * y;
    const float du = dv[c] * g[c];
    dx2[j] = du * e[j];
    dh[c2 + j] = du * p->scale;
    const float ds = du * x2[j] * e[j] + dsdet;
    dh[j] = ds * p->clamp * (1.0f - th[j] * th[j]) * p->scale;
  }
}

// couplingBackward(rows, c1, c2, samples, scale, clamp, perm, dz1, dz2, dsdet, x1, x2, h, g, dx1, dx2, dh, dg, doffset)
napi_value dadf_coupling_backward(napi_env env, napi_callback_info info) {
  napi_value argv[19];
  if (!dadf_args(env, info, 19, argv, "dadf blas: couplingBackward takes 19 arguments")) return NULL;
  coupling_shape p;
  size_t samples;
  if (!read_shape(env, argv, &p, &samples)) return dadf_fail(env, "dadf blas: couplingBackward sizes do not fit");
  const size_t C = p.c1 + p.c2, c1 = p.c1, c2 = p.c2;
  if (!read_perm(env, argv[6], C, &p.perm)) return dadf_fail(env, "dadf blas: couplingBackward: not a permutation of the channels");
  FLOATS(7, dz1, p.rows * c1)
  FLOATS(8, dz2, p.rows * c2)
  FLOATS(9, dsdet, samples)
  FLOATS(10, x1, p.rows * c1)
  FLOATS(11, x2, p.rows * c2)
  FLOATS(12, h, p.rows * 2 * c2)
  FLOATS(13, g, C)
  FLOATS(14, dx1, p.rows * c1)
  FLOATS(15, dx2, p.rows * c2)
  FLOATS(16, dh, p.rows * 2 * c2)
  FLOATS(17, dg, C)
  FLOATS(18, doffset, C)
  const size_t per = p.rows / samples;
  const bool parallel = p.rows * C >= DADF_PARALLEL_MIN;
  const int threads = dadf_team(parallel);
  // Per-thread partial sums of the g and offset gradients, added in thread order afterwards:
  // the same result for the same thread count.
  double* partial = calloc((size_t)threads * 2 * C, sizeof(double));
  if (!partial) return dadf_fail(env, "dadf blas: couplingBackward: out of memory");
  bool failed = false;
#pragma omp parallel num_threads(threads) if (parallel)
  {
    double* mine = dadf_my_partial(partial, 2 * C);
    float* scratch = malloc((C + 2 * c2) * sizeof(float));
    if (!scratch) failed = true;
#pragma omp for schedule(static)
    for (size_t r = 0; r < p.rows; r++)
      if (scratch)
        backward_row(&p, dz1 + r * c1, dz2 + r * c2, dsdet[r / per], x1 + r * c1, x2 + r * c2, h + r * 2 * c2, g, dx1 + r * c1, dx2 + r * c2,
                     dh + r * 2 * c2, mine, mine + C, scratch, scratch + C, scratch + C + c2);
    free(scratch);
  }
  dadf_sum_partials(partial, threads, 2 * C, 0, C, dg);
  dadf_sum_partials(partial, threads, 2 * C, C, C, doffset);
  free(partial);
  if (failed) return dadf_fail(env, "dadf blas: couplingBackward: out of memory");
  return NULL;
}
