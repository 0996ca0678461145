/* alloc.h -- the host buffer allocator: a size-bucketed cache of freed blocks
 * with a cache limit, plus the counters behind the memory API. Thread-safe. */
#ifndef EM_CORE_ALLOC_H
#define EM_CORE_ALLOC_H

#include <stddef.h>

/* Returns a 64-byte aligned block of at least n bytes (n may be 0), or NULL
 * with EM_ERR_MEMORY set (naming the size) when the memory limit or the system
 * refuses. */
void *alloc_bytes(size_t n);
/* Returns a block from alloc_bytes(n) (same n) to the cache. NULL-safe. */
void alloc_free(void *p, size_t n);
/* Registers the allocator's fork handlers (once; before any handler whose
 * fork preparation may free buffers). */
void alloc_fork_register(void);

#endif
