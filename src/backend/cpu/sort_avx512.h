/* sort_avx512.h -- an AVX-512 sort of bare uint32 keys (sort_avx512.c), for
 * the values-only path of sort.c. */
#ifndef EM_BACKEND_CPU_SORT_AVX512_H
#define EM_BACKEND_CPU_SORT_AVX512_H

#include <stdbool.h>
#include <stdint.h>

/* Whether cpu_sort_u32_avx512 may run: the CPU has AVX-512 F/BW/DQ/VL and
 * EMBER_SIMD / cpu_simd_force leave the AVX-512 level on. */
bool cpu_sort_u32_avx512_ok(void);

/* Sorts the n keys of a ascending, in place (not stable: equal keys are
 * indistinguishable). Call only where cpu_sort_u32_avx512_ok(). */
void cpu_sort_u32_avx512(uint32_t *a, int64_t n);
/* The same with the partition depth after which heapsort takes over (for
 * the tests of that fallback). */
void cpu_sort_u32_avx512_depth(uint32_t *a, int64_t n, int depth);

/* Sorts the n contiguous 32-bit elements of `kind` at in into out (n
 * contiguous elements, not overlapping in) by their keys: out then holds
 * the sorted values, except that float32 zeros come out as +0.0 and NaNs as
 * some NaN (the caller restores their bits). */
void cpu_sort32_avx512(int kind, const void *in, int64_t n, void *out);
/* The same where a already holds the n keys (sorted in place, then
 * unkeyed). */
void cpu_sort32_avx512_keys(int kind, uint32_t *a, int64_t n);

/* Keys of n contiguous 32-bit elements (sort.c's: unsigned order is the
 * sort order; float32 zeros share +0's key and NaNs take 0xffffffff) and
 * back. Unkeying a float32 zero or NaN key gives +0.0 or some NaN: the
 * caller restores the original bits of those. */
enum { CPU_KEY32_UINT, CPU_KEY32_INT, CPU_KEY32_FLOAT };
void cpu_keys32_avx512(int kind, const void *in, int64_t n, uint32_t *out);
void cpu_unkeys32_avx512(int kind, const uint32_t *keys, int64_t n, void *out);

/* sort_avx512_64.c: the same quicksort of uint64 words, ascending, in place
 * (argsort's composite words); call only where cpu_sort_u32_avx512_ok(). */
void cpu_sort_u64_avx512(uint64_t *a, int64_t n);
void cpu_sort_u64_avx512_depth(uint64_t *a, int64_t n, int depth);

#endif
