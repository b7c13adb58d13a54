// Depthwise k×k convolution, NHWC with w [k, k, C]: the forward at any stride and padding (the
// backbones' layers; the flow subnets' first layer and, with the kernel rotated, its input
// gradient) and the filter gradient at stride 1, 'same' (training), each one pass over the rows
// with the channel loop innermost.
#include "dadf.h"
#include <stdlib.h>

typedef struct {
  size_t n, h, w, c, k;
} dw_shape;

static bool read_dw_shape(napi_env env, napi_value* argv, dw_shape* s) {
  int64_t v[5];
  for (int i = 0; i < 5; i++)
    if (!dadf_int64(env, argv[i], &v[i]) || v[i] < 1) return false;
  if (v[4] % 2 == 0) return false;
  s->n = (size_t)v[0], s->h = (size_t)v[1], s->w = (size_t)v[2], s->c = (size_t)v[3], s->k = (size_t)v[4];
  return true;
}

typedef struct {
  size_t stride, pad_top, pad_left, out_h, out_w;
} dw_geometry;

// One output row (sample b, row y): out[x, ch] = Σ_{i,j} in[y·stride+i−top, x·stride+j−left, ch] · w[i, j, ch], zeros outside.
static void forward_row(const dw_shape* s, const dw_geometry* g, const float* restrict in, const float* restrict w, float* restrict out, size_t b,
                        size_t y) {
  const size_t c = s->c;
  for (size_t x = 0; x < g->out_w; x++) {
    float* restrict o = out + ((b * g->out_h + y) * g->out_w + x) * c;
    for (size_t ch = 0; ch < c; ch++) o[ch] = 0.0f;
    for (size_t i = 0; i < s->k; i++) {
      const ptrdiff_t yy = (ptrdiff_t)(y * g->stride + i) - (ptrdiff_t)g->pad_top;
      if (yy < 0 || yy >= (ptrdiff_t)s->h) continue;
      for (size_t j = 0; j < s->k; j++) {
        const ptrdiff_t xx = (ptrdiff_t)(x * g->stride + j) - (ptrdiff_t)g->pad_left;
        if (xx < 0 || xx >= (ptrdiff_t)s->w) continue;
        const float* restrict src = in + ((b * s->h + (size_t)yy) * s->w + (size_t)xx) * c;
        const float* restrict f = w + (i * s->k + j) * c;
        for (size_t ch = 0; ch < c; ch++) o[ch] += src[ch] * f[ch];
      }
    }
  }
}

// depthwise(n, h, w, c, k, stride, padTop, padLeft, outH, outW, x, filter, y)
napi_value dadf_depthwise(napi_env env, napi_callback_info info) {
  napi_value argv[13];
  if (!dadf_args(env, info, 13, argv, "dadf blas: depthwise takes 13 arguments")) return NULL;
  dw_shape s;
  int64_t v[5];
  float *x, *f, *y;
  size_t lx, lf, ly;
  bool ok = read_dw_shape(env, argv, &s);
  for (int i = 0; i < 5 && ok; i++) ok = dadf_int64(env, argv[5 + i], &v[i]) && v[i] >= 0;
  if (!ok || v[0] < 1 || v[3] < 1 || v[4] < 1 || !dadf_view(env, argv[10], napi_float32_array, (void**)&x, &lx) ||
      !dadf_view(env, argv[11], napi_float32_array, (void**)&f, &lf) || !dadf_view(env, argv[12], napi_float32_array, (void**)&y, &ly))
    return dadf_fail(env, "dadf blas: depthwise takes (n, h, w, c, odd k, stride, padTop, padLeft, outH, outW, Float32Array ×3)");
  const dw_geometry g = {(size_t)v[0], (size_t)v[1], (size_t)v[2], (size_t)v[3], (size_t)v[4]};
  const size_t out_total = s.n * g.out_h * g.out_w * s.c;
  if (lx < s.n * s.h * s.w * s.c || ly < out_total || lf < s.k * s.k * s.c) return dadf_fail(env, "dadf blas: depthwise sizes do not fit");
#pragma omp parallel for collapse(2) schedule(static) if (out_total >= DADF_PARALLEL_MIN)
  for (size_t b = 0; b < s.n; b++)
    for (size_t row = 0; row < g.out_h; row++) forward_row(&s, &g, x, f, y, b, row);
  return NULL;
}

// depthwiseFilterGrad(n, h, w, c, k, x, dy, dw): dw[i, j, ch] = Σ_{b,y,x} x[b, y+i−r, x+j−r, ch] · dy[b, y, x, ch].
// Each thread adds its rows in double; the threads' sums are added in thread order.
napi_value dadf_depthwise_filter_grad(napi_env env, napi_callback_info info) {
  napi_value argv[8];
  if (!dadf_args(env, info, 8, argv, "dadf blas: depthwiseFilterGrad takes 8 arguments")) return NULL;
  dw_shape s;
  float *x, *dy, *dw;
  size_t lx, ld, lw;
  if (!read_dw_shape(env, argv, &s) || !dadf_view(env, argv[5], napi_float32_array, (void**)&x, &lx) ||
      !dadf_view(env, argv[6], napi_float32_array, (void**)&dy, &ld) || !dadf_view(env, argv[7], napi_float32_array, (void**)&dw, &lw))
    return dadf_fail(env, "dadf blas: depthwiseFilterGrad takes (n, h, w, c, odd k, Float32Array ×3)");
  const size_t total = s.n * s.h * s.w * s.c, taps = s.k * s.k * s.c, r = s.k / 2, c = s.c;
  if (lx < total || ld < total || lw < taps) return dadf_fail(env, "dadf blas: depthwiseFilterGrad sizes do not fit");
  const bool parallel = total >= DADF_PARALLEL_MIN;
  const int threads = dadf_team(parallel);
  double* partial = calloc((size_t)threads * taps, sizeof(double));
  if (!partial) return dadf_fail(env, "dadf blas: depthwiseFilterGrad: out of memory");
#pragma omp parallel num_threads(threads) if (parallel)
  {
    double* restrict acc = dadf_my_partial(partial, taps);
#pragma omp for collapse(2) schedule(static)
    for (size_t b = 0; b < s.n; b++)
      for (size_t y = 0; y < s.h; y++)
        for (size_t xo = 0; xo < s.w; xo++) {
          const float* restrict g = dy + ((b * s.h + y) * s.w + xo) * c;
          for (size_t i = 0; i < s.k; i++) {
            const ptrdiff_t yy = (ptrdiff_t)(y + i) - (ptrdiff_t)r;
            if (yy < 0 || yy >= (ptrdiff_t)s.h) continue;
            for (size_t j = 0; j < s.k; j++) {
              const ptrdiff_t xx = (ptrdiff_t)(xo + j) - (ptrdiff_t)r;
              if (xx < 0 || xx >= (ptrdiff_t)s.w) continue;
              const float* restrict src = x + ((b * s.h + (size_t)yy) * s.w + (size_t)xx) * c;
              double* restrict a = acc + (i * s.k + j) * c;
              for (size_t ch = 0; ch < c; ch++) a[ch] += src[ch] * g[ch];
            }
          }
        }
  }
  dadf_sum_partials(partial, threads, taps, 0, taps, dw);
  free(partial);
  return NULL;
}
