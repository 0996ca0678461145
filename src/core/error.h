/* error.h -- the thread-local error of the C API and the helpers ops use to set it. */
#ifndef EM_CORE_ERROR_H
#define EM_CORE_ERROR_H

#include "ember.h"

/* Sets the calling thread's error (printf-style message) and returns NULL, so
 * an op can `return error_set(...)`. The first error wins: while one is set,
 * later calls do not overwrite it (em_error_clear resets). */
void *error_set(em_status code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Same, returning the code (for actions that return em_status). */
em_status error_status(em_status code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* An op got a NULL argument: keeps an earlier error if there is one, else sets
 * EM_ERR_NULL naming the op. Returns NULL. */
void *error_null_arg(const char *op);
bool error_is_set(void);

/* For ops: bail out with NULL if any argument is NULL. */
#define EM_CHECK_ARG(op, x)                                                    \
    do {                                                                       \
        if (!(x)) return error_null_arg(op);                                   \
    } while (0)

#endif
