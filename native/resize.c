// Bilinear resizing of NHWC maps (the anomaly maps upsampled to the image, every scored image):
// tfjs's ResizeBilinear arithmetic (source index from the size ratio, half-pixel centres or
// aligned corners, clamped neighbours; the two horizontal blends, then the vertical one).
#include "dadf.h"
#include <math.h>

// resizeBilinear(x, y, n, h, w, c, outH, outW, alignCorners, halfPixelCenters)
napi_value dadf_resize_bilinear(napi_env env, napi_callback_info info) {
  napi_value argv[10];
  if (!dadf_args(env, info, 10, argv, "dadf blas: resizeBilinear takes 10 arguments")) return NULL;
  float *x, *y;
  size_t lx, ly;
  int64_t v[6];
  bool align, half;
  bool ok = dadf_view(env, argv[0], napi_float32_array, (void**)&x, &lx) && dadf_view(env, argv[1], napi_float32_array, (void**)&y, &ly);
  for (int i = 0; i < 6 && ok; i++) ok = dadf_int64(env, argv[2 + i], &v[i]) && v[i] >= 1;
  ok = ok && napi_get_value_bool(env, argv[8], &align) == napi_ok && napi_get_value_bool(env, argv[9], &half) == napi_ok;
  if (!ok) return dadf_fail(env, "dadf blas: resizeBilinear takes (Float32Array ×2, n, h, w, c, outH, outW, alignCorners, halfPixelCenters)");
  const size_t n = (size_t)v[0], h = (size_t)v[1], w = (size_t)v[2], c = (size_t)v[3], oh = (size_t)v[4], ow = (size_t)v[5];
  if (lx < n * h * w * c || ly < n * oh * ow * c) return dadf_fail(env, "dadf blas: resizeBilinear sizes do not fit");
  const double row_ratio = (align && oh > 1 ? (double)(h - 1) : (double)h) / (align && oh > 1 ? (double)(oh - 1) : (double)oh);
  const double col_ratio = (align && ow > 1 ? (double)(w - 1) : (double)w) / (align && ow > 1 ? (double)(ow - 1) : (double)ow);
#pragma omp parallel for collapse(2) schedule(static) if (n * oh * ow * c >= DADF_PARALLEL_MIN)
  for (size_t b = 0; b < n; b++)
    for (size_t r = 0; r < oh; r++) {
      const double fr = half ? row_ratio * ((double)r + 0.5) - 0.5 : row_ratio * (double)r;
      const double r0 = fmax(0.0, floor(fr));
      const float dr = (float)(fr - r0);
      const size_t top = (size_t)r0, bottom = (size_t)fmin((double)(h - 1), ceil(fr));
      const float* top_row = x + (b * h + top) * w * c;
      const float* bottom_row = x + (b * h + bottom) * w * c;
      float* out = y + (b * oh + r) * ow * c;
      for (size_t col = 0; col < ow; col++) {
        const double fc = half ? col_ratio * ((double)col + 0.5) - 0.5 : col_ratio * (double)col;
        const double c0 = fmax(0.0, floor(fc));
        const float dc = (float)(fc - c0);
        const size_t left = (size_t)c0 * c, right = (size_t)fmin((double)(w - 1), ceil(fc)) * c;
        for (size_t d = 0; d < c; d++) {
          const float t = top_row[left + d] + (top_row[right + d] - top_row[left + d]) * dc;
          const float btm = bottom_row[left + d] + (bottom_row[right + d] - bottom_row[left + d]) * dc;
          out[col * c + d] = t + (btm - t) * dr;
        }
      }
    }
  return NULL;
}
