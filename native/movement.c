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

// transpose(src, dst, layout, rank, run): dst is src with its axes permuted. layout holds, for each
// of the `rank` leading output axes, its size and then its stride in src (2·rank Int32 values);
// the last `run` elements of every output row stay contiguous in src (the axes that keep their
// place at the end), so each is one memcpy. Element sizes: any, equal in src and dst.
napi_value dadf_transpose(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!dadf_args(env, info, 5, argv, "dadf blas: transpose takes 5 arguments")) return NULL;
  uint8_t *src, *dst;
  size_t lsrc, ldst, esrc, edst, llayout;
  int32_t* layout;
  int64_t rank, run;
  if (!dadf_bytes(env, argv[0], &src, &lsrc, &esrc) || !dadf_bytes(env, argv[1], &dst, &ldst, &edst) || esrc != edst ||
      !dadf_view(env, argv[2], napi_int32_array, (void**)&layout, &llayout) || !dadf_int64(env, argv[3], &rank) ||
      !dadf_int64(env, argv[4], &run))
    return dadf_fail(env, "dadf blas: transpose takes (typed array, typed array of one element size, Int32Array, rank, run)");
  if (rank < 1 || rank > 8 || (size_t)(2 * rank) > llayout || run < 1) return dadf_fail(env, "dadf blas: transpose layout does not fit");
  const size_t e = esrc;
  size_t rows = 1, last = 0;
  for (int64_t d = 0; d < rank; d++) {
    if (layout[2 * d] < 1 || layout[2 * d + 1] < 0) return dadf_fail(env, "dadf blas: transpose layout does not fit");
    rows *= (size_t)layout[2 * d];
    last += (size_t)(layout[2 * d] - 1) * (size_t)layout[2 * d + 1];
  }
  if (rows * (size_t)run * e > ldst || (last + (size_t)run) * e > lsrc) return dadf_fail(env, "dadf blas: transpose sizes exceed the arrays");
  const size_t len = (size_t)run * e;
  DADF_CHUNKED(rows * (size_t)run, {
    // This thread's rows: those whose first element falls in [begin, begin + count).
    const size_t first = (begin + (size_t)run - 1) / (size_t)run, end = (begin + count + (size_t)run - 1) / (size_t)run;
    for (size_t r = first; r < end && r < rows; r++) {
      size_t rest = r, offset = 0;
      for (int64_t d = rank - 1; d >= 0; d--) {
        offset += (rest % (size_t)layout[2 * d]) * (size_t)layout[2 * d + 1];
        rest /= (size_t)layout[2 * d];
      }
      memcpy(dst + r * len, src + offset * e, len);
    }
  });
  return NULL;
}

// transpose2d(src, dst, batch, rows, cols): dst[b, j, i] = src[b, i, j] for 4-byte elements, in
// 32×32 tiles so that both sides are read and written a cache line at a time.
napi_value dadf_transpose2d(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!dadf_args(env, info, 5, argv, "dadf blas: transpose2d takes 5 arguments")) return NULL;
  uint8_t *sb, *db;
  size_t ls, ld, es, ed;
  int64_t batch, rows, cols;
  if (!dadf_bytes(env, argv[0], &sb, &ls, &es) || !dadf_bytes(env, argv[1], &db, &ld, &ed) || es != 4 || ed != 4 ||
      !dadf_int64(env, argv[2], &batch) || !dadf_int64(env, argv[3], &rows) || !dadf_int64(env, argv[4], &cols))
    return dadf_fail(env, "dadf blas: transpose2d takes (4-byte typed array ×2, batch, rows, cols)");
  if (batch < 1 || rows < 1 || cols < 1 || (uint64_t)(batch * rows * cols) * 4 > ls || (uint64_t)(batch * rows * cols) * 4 > ld)
    return dadf_fail(env, "dadf blas: transpose2d sizes exceed the arrays");
  const uint32_t* src = (const uint32_t*)sb;
  uint32_t* dst = (uint32_t*)db;
  const int64_t tiles_r = (rows + 31) / 32, tiles_c = (cols + 31) / 32;
#pragma omp parallel for collapse(2) schedule(static) if (batch * rows * cols >= DADF_PARALLEL_MIN)
  for (int64_t b = 0; b < batch; b++) {
    for (int64_t t = 0; t < tiles_r * tiles_c; t++) {
      const int64_t i0 = (t / tiles_c) * 32, j0 = (t % tiles_c) * 32;
      const int64_t i1 = i0 + 32 < rows ? i0 + 32 : rows, j1 = j0 + 32 < cols ? j0 + 32 : cols;
      const uint32_t* s = src + b * rows * cols;
      uint32_t* d = dst + b * rows * cols;
      for (int64_t j = j0; j < j1; j++)
        for (int64_t i = i0; i < i1; i++) d[j * rows + i] = s[i * cols + j];
    }
  }
  return NULL;
}
