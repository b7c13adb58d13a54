// Shared by the addon's files: N-API argument helpers and the functions addon.c registers.
// Every kernel works on typed-array views of the tfjs wasm backend's heap, in place.
#ifndef DADF_NATIVE_H
#define DADF_NATIVE_H
#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// Below this many elements a kernel runs on one thread: waking the other costs more than it saves.
#define DADF_PARALLEL_MIN 32768

#ifdef _OPENMP
#include <omp.h>
#endif

// This thread's share of [0, total) inside a parallel region, in multiples of 16 elements
// (whole vectors and cache lines); all of it outside one.
static inline void dadf_chunk(size_t total, size_t* begin, size_t* count) {
#ifdef _OPENMP
  const size_t threads = (size_t)omp_get_num_threads(), me = (size_t)omp_get_thread_num();
  const size_t per = ((total + threads - 1) / threads + 15) / 16 * 16;
  *begin = me * per < total ? me * per : total;
  *count = *begin + per < total ? per : total - *begin;
#else
  *begin = 0;
  *count = total;
#endif
}

// Runs the statement with `begin` and `count` set to each thread's share of [0, n); one thread when n is small.
#define DADF_CHUNKED(n, ...)                                  \
  do {                                                        \
    const size_t total_ = (n);                                \
    _Pragma("omp parallel if (total_ >= DADF_PARALLEL_MIN)") { \
      size_t begin = 0, count = total_;                       \
      dadf_chunk(total_, &begin, &count);                     \
      __VA_ARGS__;                                            \
    }                                                         \
  } while (0)

// Per-thread partial sums in double (a bias or filter gradient over many rows): the team size
// of a parallel region, a thread's slice of the zeroed partials, and the slices' sum in thread
// order, so the result is the same for the same thread count.
static inline int dadf_team(bool parallel) {
#ifdef _OPENMP
  return parallel ? omp_get_max_threads() : 1;
#else
  (void)parallel;
  return 1;
#endif
}

static inline double* dadf_my_partial(double* partial, size_t width) {
#ifdef _OPENMP
  return partial + (size_t)omp_get_thread_num() * width;
#else
  (void)width;
  return partial;
#endif
}

// out[i] = Σ_t partial[t·width + first + i] for i < count.
static inline void dadf_sum_partials(const double* partial, int threads, size_t width, size_t first, size_t count, float* out) {
  for (size_t i = 0; i < count; i++) {
    double sum = 0.0;
    for (int t = 0; t < threads; t++) sum += partial[(size_t)t * width + first + i];
    out[i] = (float)sum;
  }
}

// Reads exactly n arguments into argv; false (with a JS error thrown) otherwise.
bool dadf_args(napi_env env, napi_callback_info info, size_t n, napi_value* argv, const char* what);
// A typed array's data and element count, when it has the wanted type.
bool dadf_view(napi_env env, napi_value value, napi_typedarray_type type, void** data, size_t* length);
// A typed array's data, its length in bytes and the size of one element, whatever its type.
bool dadf_bytes(napi_env env, napi_value value, uint8_t** data, size_t* bytes, size_t* element);
bool dadf_int64(napi_env env, napi_value value, int64_t* out);
bool dadf_double(napi_env env, napi_value value, double* out);
napi_value dadf_fail(napi_env env, const char* message);

// Every function of the addon: its C name (dadf_<name>) and its JavaScript name.
#define DADF_FUNCTIONS(X)                                                                             \
  X(sgemm, "sgemm") X(threads, "threads") X(config, "config") X(parallel_threads, "parallelThreads")  \
  X(broadcast, "broadcast") X(unary, "unary") X(binary, "binary") X(greater, "greater")               \
  X(select, "select") X(reduce, "reduce") X(copy_rows, "copyRows") X(gather_last, "gatherLast") X(transpose, "transpose")     \
  X(transpose2d, "transpose2d") \
  X(layer_norm, "layerNorm") X(layer_norm_grad, "layerNormGrad") X(gelu, "gelu") X(gelu_grad, "geluGrad") X(adam, "adam") \
  X(coupling_forward, "couplingForward") X(coupling_backward, "couplingBackward") \
  X(depthwise, "depthwise") X(depthwise_filter_grad, "depthwiseFilterGrad") \
  X(bias_activation, "biasActivation") X(bias_activation_grad, "biasActivationGrad") X(resize_bilinear, "resizeBilinear") \
  X(attention, "attention") X(attention_grad, "attentionGrad") X(dual_attention, "dualAttention") X(dual_attention_grad, "dualAttentionGrad")

#define DADF_DECLARE(name, js) napi_value dadf_##name(napi_env env, napi_callback_info info);
DADF_FUNCTIONS(DADF_DECLARE)
#endif
