/* random.h -- what the random ops share (src/ops/random.c, random_dist.c). */
#ifndef EM_OPS_RANDOM_H
#define EM_OPS_RANDOM_H

#include "ops.h"

/* A new reference to `key` when given, else the next key of the global
 * sequence (which advances). NULL with an error on failure. */
em_array *random_key_or_next(const em_array *key);
em_array *random_next_key(void);
/* MLX's key checks (uint32, shape (2)), with the "[bits]" messages. */
bool random_check_key(const em_array *key);

#endif
