// Data movement on the wasm heap: strided row copies (concat and split along any axis) and a
// gather of single elements along the last axis (the flows' fixed channel permutation). Bytes
// are copied unchanged, whatever the element type.
#include "dadf.h"
#include <string.h>

// copyRows(src, srcOffset, srcStride, dst, dstOffset, dstStride, rowLength, rows), in elements:
// dst[dstOffset + r·dstStride + i] = src[srcOffset + r·srcStride + i] for i < rowLength, r < rows.
napi_value dadf_copy_rows(napi_env env, napi_callback_info info) {
  napi_value argv[8];
  if (!dadf_args(env, info, 8, argv, "dadf blas: copyRows takes 8 arguments")) return NULL;
  uint8_t *src, *dst;
  size_t lsrc, ldst, esrc, edst;
  int64_t v[6];
  if (!dadf_bytes(env, argv[0], &src, &lsrc, &esrc) || !dadf_bytes(env, argv[3], &dst, &ldst, &edst) || esrc != edst ||
      !dadf_int64(env, argv[1], &v[0]) || !dadf_int64(env, argv[2], &v[1]) || !dadf_int64(env, argv[4], &v[2]) ||
      !dadf_int64(env, argv[5], &v[3]) || !dadf_int64(env, argv[6], &v[4]) || !dadf_int64(env, argv[7], &v[5]))
    return dadf_fail(env, "dadf blas: copyRows takes two typed arrays of one element size and six integers");
  const int64_t so = v[0], ss = v[1], dof = v[2], ds = v[3], len = v[4], rows = v[5];
  const size_t e = esrc;
  if (so < 0 || ss < 0 || dof < 0 || ds < 0 || len < 0 || rows < 0) return dadf_fail(env, "dadf blas: copyRows takes no negative sizes");
  if (rows == 0 || len == 0) return NULL;
  if ((uint64_t)(so + (rows - 1) * ss + len) * e > lsrc || (uint64_t)(dof + (rows - 1) * ds + len) * e > ldst)
    return dadf_fail(env, "dadf blas: copyRows sizes exceed the arrays");
#pragma omp parallel for schedule(static) if ((size_t)(rows * len) >= DADF_PARALLEL_MIN && rows > 1)
  for (int64_t r = 0; r < rows; r++) memcpy(dst + (dof + r * ds) * e, src + (so + r * ss) * e, (size_t)len * e);
  return NULL;
}

// gatherLast(x, indices, out, rows): out[r, i] = x[r, indices[i]] for 4-byte elements, where x
// is [rows, width] and out [rows, k]; indices are checked by the caller to lie in [0, width).
napi_value dadf_gather_last(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!dadf_args(env, info, 4, argv, "dadf blas: gatherLast takes 4 arguments")) return NULL;
  uint8_t *xb, *ob;
  size_t lx, lo, ex, eo, lk;
  int32_t* idx;
  int64_t rows;
  if (!dadf_bytes(env, argv[0], &xb, &lx, &ex) || !dadf_view(env, argv[1], napi_int32_array, (void**)&idx, &lk) ||
      !dadf_bytes(env, argv[2], &ob, &lo, &eo) || ex != 4 || eo != 4 || !dadf_int64(env, argv[3], &rows) || rows < 1)
    return dadf_fail(env, "dadf blas: gatherLast takes (4-byte typed array, Int32Array, 4-byte typed array, rows)");
  const uint32_t* x = (const uint32_t*)xb;
  uint32_t* out = (uint32_t*)ob;
  const size_t width = lx / 4 / (size_t)rows, k = lk;
  if (width * (size_t)rows * 4 != lx || (size_t)rows * k * 4 > lo) return dadf_fail(env, "dadf blas: gatherLast sizes do not fit");
  for (size_t i = 0; i < k; i++)
    if (idx[i] < 0 || (size_t)idx[i] >= width) return dadf_fail(env, "dadf blas: gatherLast index out of range");
#pragma omp parallel for schedule(static) if ((size_t)rows * k >= DADF_PARALLEL_MIN)
  for (int64_t r = 0; r < rows; r++) {
    const uint32_t* row = x + r * width;
    uint32_t* target = out + r * k;
    for (size_t i = 0; i < k; i++) target[i] = row[idx[i]];
  }
  return NULL;
}
