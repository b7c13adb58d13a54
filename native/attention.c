// Multi-head scaled dot-product attention, forward and backward, on [N, T, W] tensors whose
// heads are column blocks of W: each head's products are cblas_sgemm calls with a leading
// dimension of W, so no transpose splits or merges the heads; the softmax and its gradient are
// one pass over each head's [Tq, Tk] probabilities. The plain formulation (runtime/ops/
// attention.ts) takes 4 transposes, 2 products, a scale and a softmax forward, and ~20 kernels
// backward. The dual form reads the transformer's stacked qkv [2N, T, 3W] in place (leading
// dimension 3W) and writes the self and memorial outputs [2N, T, W]: no split, no concat.
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

// Reads the count Float32Arrays, then n, tq, tk, w, heads and scale, then memoryQuery where it is
// asked for; checks each array's size by its letter in `layout`: q [n, tq, w], k [n, tk, w],
// p [n, heads, tq, tk], x (a stacked qkv) [n, tq, 3w].
static bool attention_args(napi_env env, napi_callback_info info, size_t count, const char* layout, float** v, Shape* s, bool* memory_query,
                           const char* what) {
  napi_value argv[16];
  if (!dadf_args(env, info, count + 6 + (memory_query != NULL), argv, what)) return false;
  if (memory_query && napi_get_value_bool(env, argv[count + 6], memory_query) != napi_ok) return refuse(env, what);
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
      case 'x': need = (size_t)(s->n * s->tq * 3 * s->w); break;
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

// One operand: sample i's rows start at base + i·stride, one token row every ld elements.
typedef struct {
  float* base;
  int64_t ld, stride;
} Operand;

static float* row0(Operand o, int64_t sample, int64_t column) { return o.base + sample * o.stride + column; }

// One head h of out sample o: p = softmax(q[qs] k[ks]ᵀ·scale), out[o] = p v[o].
static void head_forward(Operand q, Operand k, Operand v, Operand out, float* p, int64_t qs, int64_t ks, int64_t o, int64_t h, int64_t d,
                         const Shape* s) {
  const int tq = (int)s->tq, tk = (int)s->tk, dh = (int)d;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, tq, tk, dh, s->scale, row0(q, qs, h * d), (int)q.ld, row0(k, ks, h * d), (int)k.ld, 0.0f, p, tk);
  softmax_rows(p, s->tq, s->tk);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, tq, dh, tk, 1.0f, p, tk, row0(v, o, h * d), (int)v.ld, 0.0f, row0(out, o, h * d), (int)out.ld);
}

// Its gradients, added to dq[qs], dk[ks] and dv[o] (beta 1: a sample may be read by two outputs).
// dv += pᵀ·dout; dp = dout·vᵀ; ds = softmax gradient · scale; dq += ds·k; dk += dsᵀ·q.
static void head_backward(Operand dout, Operand q, Operand k, Operand v, const float* p, Operand dq, Operand dk, Operand dv, float* ds, int64_t qs,
                          int64_t ks, int64_t o, int64_t h, int64_t d, const Shape* s) {
  const int tq = (int)s->tq, tk = (int)s->tk, dh = (int)d;
  const float* g = row0(dout, o, h * d);
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, tk, dh, tq, 1.0f, p, tk, g, (int)dout.ld, 1.0f, row0(dv, o, h * d), (int)dv.ld);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, tq, tk, dh, 1.0f, g, (int)dout.ld, row0(v, o, h * d), (int)v.ld, 0.0f, ds, tk);
  softmax_grad_rows(p, ds, s->tq, s->tk, s->scale);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, tq, dh, tk, 1.0f, ds, tk, row0(k, ks, h * d), (int)k.ld, 1.0f, row0(dq, qs, h * d), (int)dq.ld);
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, tk, dh, tq, 1.0f, ds, tk, row0(q, qs, h * d), (int)q.ld, 1.0f, row0(dk, ks, h * d), (int)dk.ld);
}

// Which samples out sample o reads: plain attention reads o everywhere; the dual form's second
// half (o ≥ half) reads keys (memory query) or queries (feature query) of the first half.
typedef struct {
  int64_t half;
  bool memory_query;
} Pairing;

static int64_t query_of(Pairing m, int64_t o) { return m.half > 0 && o >= m.half && !m.memory_query ? o - m.half : o; }
static int64_t key_of(Pairing m, int64_t o) { return m.half > 0 && o >= m.half && m.memory_query ? o - m.half : o; }

// Tasks: (group, head) pairs, run on the OpenMP threads; a group is every out sample that shares
// an input sample (o and o + half in the dual form), so no two tasks add into the same rows.
static int64_t groups_of(const Shape* s, Pairing m) { return m.half > 0 ? m.half : s->n; }

static void attend(Operand q, Operand k, Operand v, Operand out, float* p, const Shape* s, Pairing m) {
  const int64_t d = s->w / s->heads, groups = groups_of(s, m), members = m.half > 0 ? 2 : 1;
  const bool parallel = heads_in_parallel(s);
  const int blas_threads = blas_threads_one(parallel);
#pragma omp parallel for collapse(2) schedule(static) if (parallel)
  for (int64_t gi = 0; gi < groups; gi++) {
    for (int64_t h = 0; h < s->heads; h++) {
      for (int64_t j = 0; j < members; j++) {
        const int64_t o = gi + j * groups;
        head_forward(q, k, v, out, p + (o * s->heads + h) * s->tq * s->tk, query_of(m, o), key_of(m, o), o, h, d, s);
      }
    }
  }
  blas_threads_restore(blas_threads);
}

// The gradients into dq, dk and dv, which the caller has zeroed; false when scratch memory is short.
static bool attend_backward(Operand dout, Operand q, Operand k, Operand v, const float* p, Operand dq, Operand dk, Operand dv, const Shape* s, Pairing m) {
  const int64_t d = s->w / s->heads, groups = groups_of(s, m), members = m.half > 0 ? 2 : 1;
  const bool parallel = heads_in_parallel(s);
  int threads = 1;
#ifdef _OPENMP
  if (parallel) threads = omp_get_max_threads();
#endif
  float* scratch = malloc((size_t)threads * (size_t)(s->tq * s->tk) * sizeof(float));
  if (!scratch) return false;
  const int blas_threads = blas_threads_one(parallel);
#pragma omp parallel for collapse(2) schedule(static) num_threads(threads) if (parallel)
  for (int64_t gi = 0; gi < groups; gi++) {
    for (int64_t h = 0; h < s->heads; h++) {
      int me = 0;
#ifdef _OPENMP
      me = omp_get_thread_num();
#endif
      for (int64_t j = 0; j < members; j++) {
        const int64_t o = gi + j * groups;
        head_backward(dout, q, k, v, p + (o * s->heads + h) * s->tq * s->tk, dq, dk, dv, scratch + (size_t)me * (size_t)(s->tq * s->tk), query_of(m, o),
                      key_of(m, o), o, h, d, s);
      }
    }
  }
  blas_threads_restore(blas_threads);
  free(scratch);
  return true;
}

static void zero(float* x, size_t n) {
#pragma omp parallel for simd schedule(static) if (n >= DADF_PARALLEL_MIN)
  for (size_t i = 0; i < n; i++) x[i] = 0.0f;
}

// Samples of t token rows, one every ld elements.
static Operand tokens(float* base, int64_t t, int64_t ld) { return (Operand){base, ld, t * ld}; }

// attention(q, k, v, out, p, n, tq, tk, w, heads, scale): per sample and head h (columns h·d…h·d+d
// of W), p = softmax(q kᵀ·scale) [n, heads, tq, tk] and out = p v, written in place of out's columns.
napi_value dadf_attention(napi_env env, napi_callback_info info) {
  float* v[5];
  Shape s;
  if (!attention_args(env, info, 5, "qkkqp", v, &s, NULL, "dadf blas: attention takes (Float32Array ×5, n, tq, tk, w, heads, scale) of fitting sizes"))
    return NULL;
  attend(tokens(v[0], s.tq, s.w), tokens(v[1], s.tk, s.w), tokens(v[2], s.tk, s.w), tokens(v[3], s.tq, s.w), v[4], &s, (Pairing){0, false});
  return NULL;
}

// attentionGrad(dout, q, k, v, p, dq, dk, dv, n, tq, tk, w, heads, scale): the gradients of
// attention for q, k and v from dout and the forward's probabilities p.
napi_value dadf_attention_grad(napi_env env, napi_callback_info info) {
  float* v[8];
  Shape s;
  if (!attention_args(env, info, 8, "qqkkpqkk", v, &s, NULL, "dadf blas: attentionGrad takes (Float32Array ×8, n, tq, tk, w, heads, scale) of fitting sizes"))
    return NULL;
  zero(v[5], (size_t)(s.n * s.tq * s.w));
  zero(v[6], (size_t)(s.n * s.tk * s.w));
  zero(v[7], (size_t)(s.n * s.tk * s.w));
  const Operand q = tokens(v[1], s.tq, s.w), k = tokens(v[2], s.tk, s.w), val = tokens(v[3], s.tk, s.w);
  const Operand dq = tokens(v[5], s.tq, s.w), dk = tokens(v[6], s.tk, s.w), dv = tokens(v[7], s.tk, s.w);
  if (!attend_backward(tokens(v[0], s.tq, s.w), q, k, val, v[4], dq, dk, dv, &s, (Pairing){0, false}))
    return dadf_fail(env, "dadf blas: attentionGrad could not allocate its scratch rows");
  return NULL;
}

// The stacked qkv [n, t, 3w] as its three operands, each read in place with a leading dimension of 3w.
static void split_qkv(float* qkv, const Shape* s, Operand* q, Operand* k, Operand* v) {
  *q = tokens(qkv, s->tq, 3 * s->w);
  *k = tokens(qkv + s->w, s->tq, 3 * s->w);
  *v = tokens(qkv + 2 * s->w, s->tq, 3 * s->w);
}

// The dual form's arguments: its arrays, sizes and which queries the memorial attention takes.
typedef struct {
  float* v[4];
  Shape s;
  bool memory_query;
} Dual;

// attention_args for the dual form: n even (two streams of n/2 samples), queries and keys of one length.
static bool dual_args(napi_env env, napi_callback_info info, size_t count, const char* layout, Dual* a, const char* what) {
  if (!attention_args(env, info, count, layout, a->v, &a->s, &a->memory_query, what)) return false;
  return a->s.n % 2 == 0 && a->s.tq == a->s.tk ? true : refuse(env, what);
}

// dualAttention(qkv, out, p, n, t, t, w, heads, scale, memoryQuery): n even; out[o] is the attention
// of sample o's queries, keys and values for o < n/2 (self), and for o ≥ n/2 (memorial) of its
// values with the queries of o and keys of o − n/2 (memoryQuery) or queries of o − n/2 and keys of o.
napi_value dadf_dual_attention(napi_env env, napi_callback_info info) {
  Dual a;
  if (!dual_args(env, info, 3, "xqp", &a, "dadf blas: dualAttention takes (Float32Array ×3, n even, t, t, w, heads, scale, memoryQuery) of fitting sizes"))
    return NULL;
  Operand q, k, val;
  split_qkv(a.v[0], &a.s, &q, &k, &val);
  attend(q, k, val, tokens(a.v[1], a.s.tq, a.s.w), a.v[2], &a.s, (Pairing){a.s.n / 2, a.memory_query});
  return NULL;
}

// dualAttentionGrad(dout, qkv, p, dqkv, n, t, t, w, heads, scale, memoryQuery): the gradient of dualAttention for qkv.
napi_value dadf_dual_attention_grad(napi_env env, napi_callback_info info) {
  Dual a;
  if (!dual_args(env, info, 4, "qxpx", &a, "dadf blas: dualAttentionGrad takes (Float32Array ×4, n even, t, t, w, heads, scale, memoryQuery) of fitting sizes"))
    return NULL;
  const Shape* s = &a.s;
  zero(a.v[3], (size_t)(s->n * s->tq * 3 * s->w));
  Operand q, k, val, dq, dk, dv;
  split_qkv(a.v[1], s, &q, &k, &val);
  split_qkv(a.v[3], s, &dq, &dk, &dv);
  if (!attend_backward(tokens(a.v[0], s->tq, s->w), q, k, val, a.v[2], dq, dk, dv, s, (Pairing){s->n / 2, a.memory_query}))
    return dadf_fail(env, "dadf blas: dualAttentionGrad could not allocate its scratch rows");
  return NULL;
}
