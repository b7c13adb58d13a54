// libm's float functions, vectorised through glibc's libmvec where glibc ≥ 2.35 has them.
#ifndef DADF_VECMATH_H
#define DADF_VECMATH_H
#include <math.h>

#if defined(__x86_64__) && defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 35))
// math.h declares the vector variants only under -ffast-math, which would also let the compiler
// reorder + and *. Declared here instead.
__attribute__((__simd__("notinbranch"))) float tanhf(float);
__attribute__((__simd__("notinbranch"))) float expf(float);
__attribute__((__simd__("notinbranch"))) float logf(float);
__attribute__((__simd__("notinbranch"))) float erff(float);
#endif
#endif
