// Multi-head scaled dot-product attention, forward and backward, on [N, T, W] tensors whose
// heads are column blocks of W: each head's products are cblas_sgemm calls with a leading
// dimension of W, so no transpose splits or merges the heads; the softmax and its gradient are
// one pass over each head's [Tq, Tk] probabilities. The plain formulation (runtime/ops/
// attention.ts) takes 4 transposes, 2 products, a scale and a softmax forward, and ~20 kernels
// backward.
#include "dadf.h"
#include <cblas.h>
#include <stdlib.h>
#include "vecmath.h"

typedef struct {
  int64_t n, tq, tk, w, heads;
  float scale;
} Shape;

static bool refuse(napi_env env, const char* what) {
  dadf_fail(env, what);
  return false;
}

// Reads the count Float32Arrays, then n, tq, tk, w, heads and scale; checks the arrays' sizes in
// the order [q-like, k-like, k-like, q-like, probabilities] repeated as `layout` says.
static bool attention_args(napi_env env, napi_callback_info info, size_t count, const char* layout, float** v, Shape* s, const char* what) {
  napi_value argv[14];
  if (!dadf_args(env, info, count + 6, argv, what)) return false;
  int64_t dims[5];
  double scale;
  for (int i = 0; i < 5; i++)
    if (!dadf_int64(env, argv[count + i], &dims[i])) return refuse(env, what);
  if (!dadf_double(env, argv[count + 5], &scale)) return refuse(env, what);
  *s = (Shape){dims[0], dims[1], dims[2], dims[3], dims[4], (float)scale};
  if (s->n < 1 || s->tq < 1 || s->tk < 1 || s->heads < 1 || s->w < s->heads || s->w % s->heads != 0) return refuse(env, what);
  for (size_t i = 0; i < count; i++) {
    size_t length, need = 0;
    switch (layout[i]) {
      case 'q': need = (size_t)(s->n * s->tq * s->w); break;
      case 'k': need = (size_t)(s->n * s->tk * s->w); break;
      case 'p': need = (size_t)(s->n * s->heads * s->tq * s->tk); break;
    }
    if (!dadf_view(env, argv[i], napi_float32_array, (void**)&v[i], &length) || length < need) return refuse(env, what);
  }
  return true;
}

// The (sample, head) pairs run on the OpenMP threads, each product on a one-thread OpenBLAS: a
// head's products (256×256×48 at the lite size) are too small for OpenBLAS to share well.
// Returns OpenBLAS's thread count, to be restored by blas_threads_restore.
static int blas_threads_one(bool parallel) {
  const int threads = openblas_get_num_threads();
  if (parallel && threads > 1) openblas_set_num_threads(1);
  return threads;
}

static void blas_threads_restore(int threads) {
  if (openblas_get_num_threads() != threads) openblas_set_num_threads(threads);
}

static bool heads_in_parallel(const Shape* s) {
  return s->n * s->heads > 1 && (size_t)(s->n * s->heads * s->tq * s->tk) >= DADF_PARALLEL_MIN;
}

// Each row of p [rows, cols] replaced by its softmax.
static void softmax_rows(float* p, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; r++) {
    float* row = p + r * cols;
    float top = row[0];
    for (int64_t j = 1; j < cols; j++) top = row[j] > top ? row[j] : top;
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int64_t j = 0; j < cols; j++) {
      row[j] = expf(row[j] - top);
      sum += row[j];
    }
#pragma omp simd
    for (int64_t j = 0; j < cols; j++) row[j] /= sum;
  }
}

// ds = p ⊙ (dp − Σ_j dp·p) · scale, row by row, in place of dp.
static void softmax_grad_rows(const float* p, float* dp, int64_t rows, int64_t cols, float scale) {
  for (int64_t r = 0; r < rows; r++) {
    const float* pr = p + r * cols;
    float* d = dp + r * cols;
    float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
    for (int64_t j = 0; j < cols; j++) dot += d[j] * pr[j];
#pragma omp simd
    for (int64_t j = 0; j < cols; j++) d[j] = pr[j] * (d[j] - dot) * scale;
  }
}

// attention(q, k, v, out, p, n, tq, tk, w, heads, scale): per sample and head h (columns h·d…h·d+d
// of W), p = softmax(q kᵀ·scale) [n, heads, tq, tk] and out = p v, written in place of out's columns.
napi_value dadf_attention(napi_env env, napi_callback_info info) {
  float* v[5];
  Shape s;
  if (!attention_args(env, info, 5, "qkkqp", v, &s, "dadf blas: attention takes (Float32Array ×5, n, tq, tk, w, heads, scale) of fitting sizes"))
    return NULL;
  const float *q = v[0], *k = v[1], *val = v[2];
  float *out = v[3], *p = v[4];
  const int64_t d = s.w / s.heads;
  const bool parallel = heads_in_parallel(&s);
  const int blas_threads = blas_threads_one(parallel);
#pragma omp parallel for collapse(2) schedule(static) if (parallel)
  for (int64_t b = 0; b < s.n; b++) {
    for (int64_t h = 0; h < s.heads; h++) {
      float* ph = p + (b * s.heads + h) * s.tq * s.tk;
      const float *qh = q + b * s.tq * s.w + h * d, *kh = k + b * s.tk * s.w + h * d, *vh = val + b * s.tk * s.w + h * d;
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)s.tq, (int)s.tk, (int)d, s.scale, qh, (int)s.w, kh, (int)s.w, 0.0f, ph, (int)s.tk);
      softmax_rows(ph, s.tq, s.tk);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)s.tq, (int)d, (int)s.tk, 1.0f, ph, (int)s.tk, vh, (int)s.w, 0.0f,
                  out + b * s.tq * s.w + h * d, (int)s.w);
    }
  }
  blas_threads_restore(blas_threads);
  return NULL;
}

// attentionGrad(dout, q, k, v, p, dq, dk, dv, n, tq, tk, w, heads, scale): the gradients of
// attention for q, k and v from dout and the forward's probabilities p.
napi_value dadf_attention_grad(napi_env env, napi_callback_info info) {
  float* v[8];
  Shape s;
  if (!attention_args(env, info, 8, "qqkkpqkk", v, &s, "dadf blas: attentionGrad takes (Float32Array ×8, n, tq, tk, w, heads, scale) of fitting sizes"))
    return NULL;
  const float *dout = v[0], *q = v[1], *k = v[2], *val = v[3], *p = v[4];
  float *dq = v[5], *dk = v[6], *dv = v[7];
  const int64_t d = s.w / s.heads;
  const bool parallel = heads_in_parallel(&s);
  int threads = 1;
#ifdef _OPENMP
  if (parallel) threads = omp_get_max_threads();
#endif
  float* scratch = malloc((size_t)threads * (size_t)(s.tq * s.tk) * sizeof(float));
  if (!scratch) return dadf_fail(env, "dadf blas: attentionGrad could not allocate its scratch rows");
  const int w = (int)s.w, tq = (int)s.tq, tk = (int)s.tk, dh = (int)d;
  const int blas_threads = blas_threads_one(parallel);
#pragma omp parallel for collapse(2) schedule(static) num_threads(threads) if (parallel)
  for (int64_t b = 0; b < s.n; b++) {
    for (int64_t h = 0; h < s.heads; h++) {
      int me = 0;
#ifdef _OPENMP
      me = omp_get_thread_num();
#endif
      float* ds = scratch + (size_t)me * (size_t)(s.tq * s.tk);
      const float* ph = p + (b * s.heads + h) * s.tq * s.tk;
      const int64_t qo = b * s.tq * s.w + h * d, ko = b * s.tk * s.w + h * d;
      // dv = pᵀ·dout; dp = dout·vᵀ; ds = softmax gradient · scale; dq = ds·k; dk = dsᵀ·q.
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, tk, dh, tq, 1.0f, ph, tk, dout + qo, w, 0.0f, dv + ko, w);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, tq, tk, dh, 1.0f, dout + qo, w, val + ko, w, 0.0f, ds, tk);
      softmax_grad_rows(ph, ds, s.tq, s.tk, s.scale);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, tq, dh, tk, 1.0f, ds, tk, k + ko, w, 0.0f, dq + qo, w);
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, tk, dh, tq, 1.0f, ds, tk, q + qo, w, 0.0f, dk + ko, w);
    }
  }
  blas_threads_restore(blas_threads);
  free(scratch);
  return NULL;
}
