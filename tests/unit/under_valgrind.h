/* under_valgrind.h: UNDER_VALGRIND() is true when a unit test runs under
 * valgrind (dev/test.sh runs them so), for the few tests that must do less
 * there: valgrind runs the SIMD code ~50x slower and does not model the
 * MXCSR modes (FTZ, DAZ). False where valgrind's header is missing. */
#ifndef LF_TESTS_UNDER_VALGRIND_H
#define LF_TESTS_UNDER_VALGRIND_H

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define UNDER_VALGRIND() (RUNNING_ON_VALGRIND != 0)
#endif
#endif
#ifndef UNDER_VALGRIND
#define UNDER_VALGRIND() 0
#endif

#endif
