/* error.c -- the thread-local error state of the C API. */
#include <stdarg.h>
#include <stdio.h>

#include "error.h"

static _Thread_local em_status tl_code = EM_OK;
static _Thread_local char tl_msg[1024];

static void vset(em_status code, const char *fmt, va_list ap) {
    if (tl_code != EM_OK) return; /* the first error wins */
    tl_code = code;
    vsnprintf(tl_msg, sizeof tl_msg, fmt, ap);
}

void *error_set(em_status code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vset(code, fmt, ap);
    va_end(ap);
    return NULL;
}

em_status error_status(em_status code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vset(code, fmt, ap);
    va_end(ap);
    return code;
}

void *error_null_arg(const char *op) {
    if (tl_code == EM_OK)
        error_set(EM_ERR_NULL, "[%s] Received a NULL array handle.", op);
    return NULL;
}

bool error_is_set(void) { return tl_code != EM_OK; }

EM_API em_status em_error_code(void) { return tl_code; }
EM_API const char *em_error_message(void) { return tl_code == EM_OK ? "" : tl_msg; }
EM_API void em_error_clear(void) {
    tl_code = EM_OK;
    tl_msg[0] = '\0';
}

EM_API const char *em_version(void) { return "0.1.0"; }

EM_API em_status em_error_set(em_status code, const char *message) {
    return error_status(code, "%s", message ? message : "");
}
