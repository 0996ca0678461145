/* sort.c -- CPU kernels of SORT, ARGSORT, PARTITION, ARGPARTITION and
 * SEARCHSORTED, for every dtype and any input strides.
 *
 * Keys. Each element becomes an unsigned key whose unsigned order is the
 * order we sort by: integers with the sign bit flipped, floats by their bits
 * (negatives complemented) with every NaN mapped to the largest key (NaN
 * last, as NumPy and MLX) and -0.0 to the key of +0.0 (they compare equal,
 * so a stable sort keeps their order), complex64 as (real, imaginary). Keys
 * of at most 32 bits travel with their index in one uint64 (key << 32 |
 * index): all such words are distinct, so any sort of them is stable, and
 * a line of up to 2^32 elements is allowed. 64-bit keys travel as (key,
 * index) pairs.
 *
 * Algorithms, per line (copied into a scratch buffer of keys first):
 * least-significant-digit radix sort (8-bit digits: 11-bit ones halve the
 * passes but scatter into 2048 streams at once, which thrashes the TLB and
 * ran 2x slower; a digit that every key shares is skipped) for long lines, introsort (median-of-three
 * quicksort with branch-free partitioning, heapsort below a depth limit,
 * insertion sort for short ranges) for short ones, and introselect for the
 * partitions. The arg variants write the sorted indices; the others write
 * each value back from its key (the key is invertible but for zeros, NaNs
 * and complex numbers, which are copied from the input through the index,
 * so -0.0 and NaN payloads survive), which keeps the writes sequential.
 *
 * Threads: independent lines are spread over the pool, each chunk with its
 * own scratch; a line's result never depends on the thread count. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/alloc.h"
#include "../../core/array.h"
#include "../../core/dtype.h"
#include "../../core/error.h"
#include "kernels.h"
#include "pool.h"

/* ---------------------------------------------------------------- keys */

/* Branch-free (the signs of random data defeat a branch predictor): flip
 * all bits of negatives and the sign bit of the rest, then send both zeros
 * to +0's key and every NaN to the top. */
static inline uint32_t key_f32_bits(uint32_t u) {
    uint32_t abs = u & 0x7fffffffu;
    uint32_t k = u ^ ((uint32_t)((int32_t)u >> 31) | 0x80000000u);
    k = abs == 0 ? 0x80000000u : k;
    return abs > 0x7f800000u ? 0xffffffffu : k;
}
static inline uint64_t key_f64_bits(uint64_t u) {
    const uint64_t sign = (uint64_t)1 << 63, abs = u & ~sign;
    uint64_t k = u ^ ((uint64_t)((int64_t)u >> 63) | sign);
    k = abs == 0 ? sign : k;
    return abs > 0x7ff0000000000000ull ? ~(uint64_t)0 : k;
}
static inline uint16_t key_half_bits(uint16_t h, uint16_t inf) {
    uint32_t abs = h & 0x7fffu;
    uint32_t k = ((uint32_t)h ^ ((uint32_t)((int32_t)((uint32_t)h << 16) >> 31) | 0x8000u)) & 0xffffu;
    k = abs == 0 ? 0x8000u : k;
    return (uint16_t)(abs > inf ? 0xffffu : k);
}

static inline uint64_t key_bool(const char *p) { return (uint8_t)(*(const bool *)p); }
static inline uint64_t key_uint8(const char *p) { return *(const uint8_t *)p; }
static inline uint64_t key_int8(const char *p) { return (uint8_t)(*(const uint8_t *)p ^ 0x80u); }
static inline uint64_t key_uint16(const char *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline uint64_t key_int16(const char *p) { uint16_t v; memcpy(&v, p, 2); return (uint16_t)(v ^ 0x8000u); }
static inline uint64_t key_uint32(const char *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t key_int32(const char *p) { uint32_t v; memcpy(&v, p, 4); return v ^ 0x80000000u; }
static inline uint64_t key_uint64(const char *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static inline uint64_t key_int64(const char *p) { uint64_t v; memcpy(&v, p, 8); return v ^ ((uint64_t)1 << 63); }
static inline uint64_t key_float16(const char *p) { uint16_t v; memcpy(&v, p, 2); return key_half_bits(v, 0x7c00u); }
static inline uint64_t key_bfloat16(const char *p) { uint16_t v; memcpy(&v, p, 2); return key_half_bits(v, 0x7f80u); }
static inline uint64_t key_float32(const char *p) { uint32_t v; memcpy(&v, p, 4); return key_f32_bits(v); }
static inline uint64_t key_float64(const char *p) { uint64_t v; memcpy(&v, p, 8); return key_f64_bits(v); }
static inline uint64_t key_complex64(const char *p) {
    uint32_t re, im;
    memcpy(&re, p, 4);
    memcpy(&im, p + 4, 4);
    return (uint64_t)key_f32_bits(re) << 32 | key_f32_bits(im);
}

/* unkey_<dt>(k, o): writes the element whose key is k to o, or returns
 * false when the key does not determine it (a zero's sign, a NaN's payload,
 * complex numbers): the caller then copies the original element. */
#define UNKEY_INT(s, T, FLIP)                                                  \
    static inline bool unkey_##s(uint64_t k, char *o) {                        \
        T v = (T)(k ^ (FLIP));                                                 \
        memcpy(o, &v, sizeof v);                                               \
        return true;                                                           \
    }
UNKEY_INT(uint8, uint8_t, 0)
UNKEY_INT(int8, uint8_t, 0x80u)
UNKEY_INT(uint16, uint16_t, 0)
UNKEY_INT(int16, uint16_t, 0x8000u)
UNKEY_INT(uint32, uint32_t, 0)
UNKEY_INT(int32, uint32_t, 0x80000000u)
UNKEY_INT(uint64, uint64_t, 0)
UNKEY_INT(int64, uint64_t, (uint64_t)1 << 63)
#undef UNKEY_INT
static inline bool unkey_bool(uint64_t k, char *o) {
    *(bool *)(void *)o = k != 0;
    return true;
}
static inline bool unkey_half_(uint64_t k, char *o) {
    if (k == 0x8000u || k == 0xffffu) return false;
    uint32_t m = ((uint32_t)((int32_t)((uint32_t)~k << 16) >> 31) & 0x7fffu) | 0x8000u;
    uint16_t u = (uint16_t)((k ^ m) & 0xffffu);
    memcpy(o, &u, 2);
    return true;
}
static inline bool unkey_float16(uint64_t k, char *o) { return unkey_half_(k, o); }
static inline bool unkey_bfloat16(uint64_t k, char *o) { return unkey_half_(k, o); }
/* The inverse flip, branch-free: negatives (top bit clear) flip all bits. */
static inline bool unkey_float32(uint64_t k, char *o) {
    if (k == 0x80000000u || k == 0xffffffffu) return false;
    uint32_t kk = (uint32_t)k, u = kk ^ ((uint32_t)((int32_t)~kk >> 31) | 0x80000000u);
    memcpy(o, &u, 4);
    return true;
}
static inline bool unkey_float64(uint64_t k, char *o) {
    const uint64_t sign = (uint64_t)1 << 63;
    if (k == sign || k == ~(uint64_t)0) return false;
    uint64_t u = k ^ ((uint64_t)((int64_t)~k >> 63) | sign);
    memcpy(o, &u, 8);
    return true;
}
static inline bool unkey_complex64(uint64_t k, char *o) {
    (void)k;
    (void)o;
    return false;
}

/* A 64-bit key and its index. */
typedef struct { uint64_t k, i; } kv;

/* keys_c_<dt>: composite words (key << 32 | index) of n elements sb bytes
 * apart; keys_kv_<dt>: pairs; keys_p_<dt>: plain keys. */
#define DEF_KEYS(E, s, t)                                                      \
    static void keys_c_##s(const char *p, int64_t n, int64_t sb, uint64_t *o) { \
        for (int64_t i = 0; i < n; i++) o[i] = key_##s(p + i * sb) << 32 | (uint64_t)i; \
    }                                                                          \
    static void keys_kv_##s(const char *p, int64_t n, int64_t sb, kv *o) {     \
        for (int64_t i = 0; i < n; i++) o[i] = (kv){key_##s(p + i * sb), (uint64_t)i}; \
    }                                                                          \
    static void keys_p_##s(const char *p, int64_t n, int64_t sb, uint64_t *o) { \
        for (int64_t i = 0; i < n; i++) o[i] = key_##s(p + i * sb);            \
    }                                                                          \
    /* The values of sorted words / pairs, to o (os bytes apart), from the  \
     * keys or, where they do not tell, from the input line p. */           \
    static void vals_c_##s(const uint64_t *a, int64_t n, const char *p, int64_t sb, char *o, \
                           int64_t os) {                                       \
        for (int64_t j = 0; j < n; j++)                                        \
            if (!unkey_##s(a[j] >> 32, o + j * os))                            \
                memcpy(o + j * os, p + (int64_t)(uint32_t)a[j] * sb, sizeof(t)); \
    }                                                                          \
    static void keys_32_##s(const char *p, int64_t n, int64_t sb, uint32_t *o) { \
        for (int64_t i = 0; i < n; i++) o[i] = (uint32_t)key_##s(p + i * sb);  \
    }                                                                          \
    /* Sorted keys without indices: a key that does not tell its value (the \
     * zeros, the NaNs) takes the next input element with that key, in     \
     * input order, so equal keys keep their order (a stable sort). */      \
    static void vals_32_##s(const uint32_t *a, int64_t n, const char *p, int64_t sb, char *o, \
                            int64_t os) {                                      \
        int64_t cur[2] = {0, 0};                                               \
        for (int64_t j = 0; j < n; j++)                                        \
            if (!unkey_##s(a[j], o + j * os)) {                                \
                /* zeros and NaNs: NaNs, when present, hold the last key */  \
                int64_t *c = &cur[a[j] == a[n - 1]];                           \
                while ((uint32_t)key_##s(p + *c * sb) != a[j]) (*c)++;         \
                memcpy(o + j * os, p + *c * sb, sizeof(t));                    \
                (*c)++;                                                        \
            }                                                                  \
    }                                                                          \
    static void vals_kv_##s(const kv *a, int64_t n, const char *p, int64_t sb, char *o, \
                            int64_t os) {                                      \
        for (int64_t j = 0; j < n; j++)                                        \
            if (!unkey_##s(a[j].k, o + j * os))                                \
                memcpy(o + j * os, p + (int64_t)a[j].i * sb, sizeof(t));       \
    }
EM_DTYPES(DEF_KEYS)
#undef DEF_KEYS

typedef void (*keys_c_fn)(const char *, int64_t, int64_t, uint64_t *);
typedef void (*keys_kv_fn)(const char *, int64_t, int64_t, kv *);
typedef void (*vals_c_fn)(const uint64_t *, int64_t, const char *, int64_t, char *, int64_t);
typedef void (*vals_kv_fn)(const kv *, int64_t, const char *, int64_t, char *, int64_t);
typedef void (*keys_32_fn)(const char *, int64_t, int64_t, uint32_t *);
typedef void (*vals_32_fn)(const uint32_t *, int64_t, const char *, int64_t, char *, int64_t);
typedef struct {
    keys_c_fn c;
    keys_kv_fn kv;
    keys_c_fn p;
    vals_c_fn vc;
    vals_kv_fn vkv;
    keys_32_fn k32;
    vals_32_fn v32;
} key_entry;

static const key_entry key_table[EM_NUM_DTYPES] = {
#define X(E, s, t) [E] = {keys_c_##s, keys_kv_##s, keys_p_##s, vals_c_##s, vals_kv_##s, keys_32_##s, vals_32_##s},
    EM_DTYPES(X)
#undef X
};

/* The width of dt's keys in bits. */
static int key_bits(em_dtype dt) {
    switch (dt) {
    case EM_BOOL: case EM_UINT8: case EM_INT8: return 8;
    case EM_UINT16: case EM_INT16: case EM_FLOAT16: case EM_BFLOAT16: return 16;
    case EM_UINT32: case EM_INT32: case EM_FLOAT32: return 32;
    default: return 64;
    }
}

/* ---------------------------------------------------------------- sorts */

#define LESS_U64(x, y) ((x) < (y))
#define LESS_KV(x, y) ((x).k < (y).k || ((x).k == (y).k && (x).i < (y).i))
#define KEY_U64(v) ((v) >> 32)
#define KEY_KV(v) ((v).k)

/* For element type T with strict order LESS (all elements distinct):
 * NAME_qsort (introsort) and NAME_select (introselect: a[k] in place,
 * smaller before, larger after). DEF_RADIX: NAME_radix (LSD radix on KEY's
 * low P*D bits through the scratch b; returns the buffer holding the
 * result). */
#define DEF_SORTS(NAME, T, LESS)                                          \
    static inline void NAME##_isort(T *a, int64_t n) {                                \
        for (int64_t i = 1; i < n; i++) {                                      \
            T v = a[i];                                                        \
            int64_t j = i;                                                     \
            for (; j > 0 && LESS(v, a[j - 1]); j--) a[j] = a[j - 1];           \
            a[j] = v;                                                          \
        }                                                                      \
    }                                                                          \
    static inline void NAME##_sift(T *a, int64_t i, int64_t n) {                      \
        T v = a[i];                                                            \
        for (;;) {                                                             \
            int64_t c = 2 * i + 1;                                             \
            if (c >= n) break;                                                 \
            if (c + 1 < n && LESS(a[c], a[c + 1])) c++;                        \
            if (!LESS(v, a[c])) break;                                         \
            a[i] = a[c];                                                       \
            i = c;                                                             \
        }                                                                      \
        a[i] = v;                                                              \
    }                                                                          \
    static inline void NAME##_heapsort(T *a, int64_t n) {                             \
        for (int64_t i = n / 2 - 1; i >= 0; i--) NAME##_sift(a, i, n);         \
        for (int64_t e = n - 1; e > 0; e--) {                                  \
            T t = a[0];                                                        \
            a[0] = a[e];                                                       \
            a[e] = t;                                                          \
            NAME##_sift(a, 0, e);                                              \
        }                                                                      \
    }                                                                          \
    /* n > 16: median of three as pivot, then a branch-free Lomuto pass;    \
     * returns the pivot's final place. */                                    \
    static inline int64_t NAME##_part(T *a, int64_t n) {                              \
        int64_t m = n / 2;                                                     \
        T t;                                                                   \
        if (LESS(a[m], a[0])) t = a[m], a[m] = a[0], a[0] = t;                 \
        if (LESS(a[n - 1], a[m])) {                                            \
            t = a[n - 1], a[n - 1] = a[m], a[m] = t;                           \
            if (LESS(a[m], a[0])) t = a[m], a[m] = a[0], a[0] = t;             \
        }                                                                      \
        t = a[m], a[m] = a[n - 1], a[n - 1] = t;                               \
        T p = a[n - 1];                                                        \
        int64_t s = 0;                                                         \
        for (int64_t i = 0; i < n - 1; i++) {                                  \
            T x = a[i];                                                        \
            int64_t c = LESS(x, p);                                            \
            a[i] = a[s];                                                       \
            a[s] = x;                                                          \
            s += c;                                                            \
        }                                                                      \
        a[n - 1] = a[s];                                                       \
        a[s] = p;                                                              \
        return s;                                                              \
    }                                                                          \
    static inline void NAME##_qsort(T *a, int64_t n, int depth) {                     \
        while (n > 16) {                                                       \
            if (depth-- == 0) {                                                \
                NAME##_heapsort(a, n);                                         \
                return;                                                        \
            }                                                                  \
            int64_t s = NAME##_part(a, n);                                     \
            if (s < n - 1 - s) {                                               \
                NAME##_qsort(a, s, depth);                                     \
                a += s + 1;                                                    \
                n -= s + 1;                                                    \
            } else {                                                           \
                NAME##_qsort(a + s + 1, n - s - 1, depth);                     \
                n = s;                                                         \
            }                                                                  \
        }                                                                      \
        NAME##_isort(a, n);                                                    \
    }                                                                          \
    static inline void NAME##_select(T *a, int64_t n, int64_t k, int depth) {        \
        while (n > 16) {                                                       \
            if (depth-- == 0) {                                                \
                NAME##_heapsort(a, n);                                         \
                return;                                                        \
            }                                                                  \
            int64_t s = NAME##_part(a, n);                                     \
            if (s == k) return;                                                \
            if (k < s) {                                                       \
                n = s;                                                         \
            } else {                                                           \
                a += s + 1;                                                    \
                n -= s + 1;                                                    \
                k -= s + 1;                                                    \
            }                                                                  \
        }                                                                      \
        NAME##_isort(a, n);                                                    \
    }
#define DEF_RADIX(NAME, T, KEY)                                               \
    static inline T *NAME##_radix(T *a, T *b, int64_t n, int D, int P, uint32_t *hist) { \
        const uint32_t nb = 1u << D, mask = nb - 1;                            \
        memset(hist, 0, sizeof(uint32_t) * (size_t)P * nb);                    \
        for (int64_t i = 0; i < n; i++) {                                      \
            uint64_t k = KEY(a[i]);                                            \
            for (int p = 0; p < P; p++) hist[p * nb + ((k >> (p * D)) & mask)]++; \
        }                                                                      \
        for (int p = 0; p < P; p++) {                                          \
            uint32_t *h = hist + p * nb, sum = 0;                              \
            if (h[(KEY(a[0]) >> (p * D)) & mask] == (uint32_t)n) continue;     \
            for (uint32_t d = 0; d < nb; d++) {                                \
                uint32_t c = h[d];                                             \
                h[d] = sum;                                                    \
                sum += c;                                                      \
            }                                                                  \
            int sh = p * D;                                                    \
            for (int64_t i = 0; i < n; i++) {                                  \
                T v = a[i];                                                    \
                b[h[(KEY(v) >> sh) & mask]++] = v;                             \
            }                                                                  \
            T *t = a;                                                          \
            a = b;                                                             \
            b = t;                                                             \
        }                                                                      \
        return a;                                                              \
    }
DEF_SORTS(su, uint64_t, LESS_U64)
DEF_SORTS(skv, kv, LESS_KV)
#define KEY_ID(v) (v)
DEF_RADIX(su, uint64_t, KEY_U64)
DEF_RADIX(skv, kv, KEY_KV)
DEF_RADIX(s32, uint32_t, KEY_ID)

static int depth_limit(int64_t n) {
    int d = 0;
    while (n > 1) n >>= 1, d++;
    return 2 * d + 4;
}

/* Lines at least this long are radix sorted (by key width). */
static int64_t radix_min(int bits) { return bits <= 16 ? 256 : bits <= 32 ? 1024 : 4096; }

/* The digit width of a radix sort of n keys of `bits` bits (the passes are
 * bits / width, rounded up): 32-bit keys of long lines take three passes of
 * 11 bits instead of four of 8 (a 2048-bucket histogram still fits in L1). */
static int radix_digit(int bits, int64_t n) { return bits == 32 && n >= 65536 ? 11 : 8; }

/* ---------------------------------------------------------------- lines */

typedef struct {
    const key_entry *ke;
    int bits;
    em_prim_id prim;
    int64_t len, kth;
    bool tail, values;
    size_t es;                  /* item size of the input */
    int64_t sa;                 /* the input's byte stride along the axis */
    int64_t os;                 /* the output's element stride along the axis */
    int64_t inner;              /* elements after the axis in the output */
    int nd;                     /* the other dims of the input */
    int64_t shp[EM_MAX_NDIM], str[EM_MAX_NDIM]; /* their sizes and byte strides */
    const char *in;
    char *out;
    atomic_bool failed;
} sort_job;

/* The bytes a chunk needs: two buffers of n words or pairs and the
 * histograms. */
static size_t scratch_bytes(int bits, int64_t n) {
    size_t w = bits <= 32 ? sizeof(uint64_t) : sizeof(kv);
    return 2 * (size_t)n * w + sizeof(uint32_t) * 8 * 2048;
}

/* topk's path for a long line and a small k = n - kth (keys of <= 32 bits):
 * blocks of keys are filtered against the running k-th largest word, the
 * survivors gathered in buf (capacity max(4k, 4096) <= n) and cut back to
 * the k largest by introselect whenever it fills. Then the k largest are
 * sorted into [kth, n) and the others written to [0, kth) in index order.
 * One pass of key making and comparing instead of a partition of all n
 * words; the result is the one the general path gives up to the order of
 * the part before kth, which a partition leaves unspecified. */
static void topk_line(const sort_job *J, uint64_t *buf, const char *p, char *o) {
    enum { BLK = 512 };
    uint64_t blk[BLK];
    int64_t n = J->len, k = n - J->kth, cap = 4 * k < 4096 ? 4096 : 4 * k, m = 0;
    uint64_t thr = 0;
    for (int64_t b0 = 0; b0 < n; b0 += BLK) {
        int64_t bn = n - b0 < BLK ? n - b0 : BLK;
        J->ke->c(p + b0 * J->sa, bn, J->sa, blk);
        for (int64_t i = 0; i < bn; i++) {
            uint64_t v = blk[i] + (uint64_t)b0;
            if (v < thr) continue;
            buf[m++] = v;
            if (m == cap) {
                su_select(buf, m, m - k, depth_limit(m));
                memmove(buf, buf + m - k, (size_t)k * sizeof *buf);
                m = k;
                thr = buf[0] + 1; /* the k-th largest so far, excluded */
            }
        }
    }
    su_select(buf, m, m - k, depth_limit(m));
    uint64_t *top = buf + m - k;
    su_qsort(top, k, depth_limit(k));
    uint64_t T = top[0];
    int64_t os = J->os, es = (int64_t)J->es, j = 0;
    uint32_t *q = (uint32_t *)(void *)o;
    for (int64_t b0 = 0; b0 < n; b0 += BLK) {
        int64_t bn = n - b0 < BLK ? n - b0 : BLK;
        J->ke->c(p + b0 * J->sa, bn, J->sa, blk);
        if (!J->values) {
            for (int64_t i = 0; i < bn; i++)
                if (blk[i] + (uint64_t)b0 < T) q[j++ * os] = (uint32_t)(b0 + i);
            continue;
        }
        const char *pb = p + b0 * J->sa;
        switch (es) {
#define COPY_REST(W)                                                           \
    case W:                                                                    \
        for (int64_t i = 0; i < bn; i++)                                       \
            if (blk[i] + (uint64_t)b0 < T) memcpy(o + j++ * os * W, pb + i * J->sa, W); \
        break;
            COPY_REST(1)
            COPY_REST(2)
            COPY_REST(4)
            COPY_REST(8)
#undef COPY_REST
        default:
            for (int64_t i = 0; i < bn; i++)
                if (blk[i] + (uint64_t)b0 < T) memcpy(o + j++ * os * es, pb + i * J->sa, (size_t)es);
        }
    }
    if (J->values) J->ke->vc(top, k, p, J->sa, o + J->kth * os * es, os * es);
    else
        for (int64_t t = 0; t < k; t++) q[(J->kth + t) * os] = (uint32_t)top[t];
}

/* Sorts, or partitions, one line starting at p into o. */
static void do_line(const sort_job *J, void *scratch, const char *p, char *o) {
    int64_t n = J->len, os = J->os;
    bool sort = J->prim == EM_PRIM_SORT || J->prim == EM_PRIM_ARGSORT;
    uint32_t *q = (uint32_t *)(void *)o;
    if (J->bits <= 32 && J->tail && n >= 8192 && (n - J->kth) * 16 <= n) {
        topk_line(J, scratch, p, o);
        return;
    }
    if (J->bits <= 32 && J->prim == EM_PRIM_SORT && n >= radix_min(J->bits)) {
        /* values only: radix sort the bare keys (half the traffic) */
        uint32_t *a = scratch, *b = a + n;
        uint32_t *hist = (uint32_t *)(void *)(b + n);
        J->ke->k32(p, n, J->sa, a);
        int D = radix_digit(J->bits, n);
        a = s32_radix(a, b, n, D, (J->bits + D - 1) / D, hist);
        J->ke->v32(a, n, p, J->sa, o, os * (int64_t)J->es);
        return;
    }
    if (J->bits <= 32) {
        uint64_t *a = scratch, *b = a + n;
        uint32_t *hist = (uint32_t *)(void *)(b + n);
        J->ke->c(p, n, J->sa, a);
        if (sort) {
            int D = radix_digit(J->bits, n);
            if (n >= radix_min(J->bits)) a = su_radix(a, b, n, D, (J->bits + D - 1) / D, hist);
            else su_qsort(a, n, depth_limit(n));
        } else {
            su_select(a, n, J->kth, depth_limit(n));
            if (J->tail) su_qsort(a + J->kth, n - J->kth, depth_limit(n - J->kth));
        }
        if (J->values) J->ke->vc(a, n, p, J->sa, o, os * (int64_t)J->es);
        else
            for (int64_t j = 0; j < n; j++) q[j * os] = (uint32_t)a[j];
    } else {
        kv *a = scratch, *b = a + n;
        uint32_t *hist = (uint32_t *)(void *)(b + n);
        J->ke->kv(p, n, J->sa, a);
        if (sort) {
            if (n >= radix_min(64)) a = skv_radix(a, b, n, 8, 8, hist);
            else skv_qsort(a, n, depth_limit(n));
        } else {
            skv_select(a, n, J->kth, depth_limit(n));
            if (J->tail) skv_qsort(a + J->kth, n - J->kth, depth_limit(n - J->kth));
        }
        if (J->values) J->ke->vkv(a, n, p, J->sa, o, os * (int64_t)J->es);
        else
            for (int64_t j = 0; j < n; j++) q[j * os] = (uint32_t)a[j].i;
    }
}

static void sort_range(void *v, int64_t b, int64_t e) {
    sort_job *J = v;
    /* from the buffer cache: a fresh malloc of megabytes may fault in
     * every page again at each call */
    size_t bytes = scratch_bytes(J->bits, J->len);
    void *scratch = alloc_bytes(bytes);
    if (!scratch) {
        atomic_store(&J->failed, true);
        return;
    }
    size_t os_bytes = J->values ? J->es : sizeof(uint32_t);
    for (int64_t l = b; l < e; l++) {
        int64_t r = l, off = 0;
        for (int d = J->nd - 1; d >= 0; d--) {
            off += (r % J->shp[d]) * J->str[d];
            r /= J->shp[d];
        }
        int64_t oo = (l / J->inner) * J->len * J->inner + l % J->inner;
        do_line(J, scratch, J->in + off, J->out + oo * (int64_t)os_bytes);
    }
    alloc_free(scratch, bytes);
}

static em_status sort_kernel(const em_node *n, const em_array *in, em_array *out) {
    const em_sort_params *p = NODE_PARAMS(n, em_sort_params);
    int axis = p->axis;
    if (axis < 0 || axis >= in->ndim) return cpu_unsupported(n, in->dtype);
    if (out->size == 0) return EM_OK;
    sort_job J;
    memset(&J, 0, sizeof J);
    J.ke = &key_table[in->dtype];
    J.bits = key_bits(in->dtype);
    J.prim = n->prim;
    J.len = in->shape[axis];
    J.kth = p->kth;
    J.tail = p->sorted_tail != 0;
    J.values = n->prim == EM_PRIM_SORT || n->prim == EM_PRIM_PARTITION;
    J.es = array_itemsize(in);
    if (J.len > (int64_t)UINT32_MAX)
        return error_status(EM_ERR_VALUE, "[%s] Lines of more than 2^32 elements are not supported.",
                            em_primitives[n->prim].name);
    if (!J.values && out->dtype != EM_UINT32) return cpu_unsupported(n, out->dtype);
    if (J.kth < 0 || (J.len > 0 && J.kth >= J.len)) J.kth = 0;
    J.sa = in->strides[axis] * (int64_t)J.es;
    J.inner = 1;
    for (int d = axis + 1; d < in->ndim; d++) J.inner *= in->shape[d];
    J.os = J.inner;
    for (int d = 0; d < in->ndim; d++)
        if (d != axis) {
            J.shp[J.nd] = in->shape[d];
            J.str[J.nd++] = in->strides[d] * (int64_t)J.es;
        }
    J.in = array_ptr(in);
    J.out = array_ptr(out);
    atomic_init(&J.failed, false);
    int64_t lines = out->size / J.len;
    int64_t grain = J.len >= 4096 ? 1 : 4096 / J.len;
    cpu_pool_parallel_for(lines, grain, sort_range, &J);
    if (atomic_load(&J.failed))
        return error_status(EM_ERR_MEMORY, "[%s] Out of memory for a scratch buffer.",
                            em_primitives[n->prim].name);
    return EM_OK;
}

/* ---------------------------------------------------------------- searchsorted */

typedef struct {
    const uint64_t *seq;
    int64_t n;
    bool right;
    const em_array *v;
    const key_entry *ke;
    uint32_t *out;
} search_job;

static void search_range(void *vj, int64_t b, int64_t e) {
    const search_job *J = vj;
    const em_array *v = J->v;
    size_t es = array_itemsize(v);
    const char *base = array_ptr(v);
    for (int64_t t = b; t < e; t++) {
        int64_t r = t, off = 0;
        for (int d = v->ndim - 1; d >= 0; d--) {
            off += (r % v->shape[d]) * v->strides[d];
            r /= v->shape[d];
        }
        uint64_t k;
        J->ke->p(base + off * (int64_t)es, 1, 0, &k);
        int64_t lo = 0, hi = J->n;
        while (lo < hi) {
            int64_t mid = lo + (hi - lo) / 2;
            bool go_right = J->right ? J->seq[mid] <= k : J->seq[mid] < k;
            if (go_right) lo = mid + 1;
            else hi = mid;
        }
        J->out[t] = (uint32_t)lo;
    }
}

static em_status searchsorted_kernel(const em_node *n, em_array *const *in, em_array *out) {
    const em_sort_params *p = NODE_PARAMS(n, em_sort_params);
    const em_array *s = in[0], *v = in[1];
    if (s->ndim != 1 || s->dtype != v->dtype || out->dtype != EM_UINT32)
        return cpu_unsupported(n, s->dtype);
    if (out->size == 0) return EM_OK;
    const key_entry *ke = &key_table[s->dtype];
    uint64_t *keys = malloc((size_t)(s->size ? s->size : 1) * sizeof(uint64_t));
    if (!keys) return error_status(EM_ERR_MEMORY, "[SearchSorted] Out of memory for a scratch buffer.");
    ke->p(array_ptr(s), s->size, s->strides[0] * (int64_t)array_itemsize(s), keys);
    search_job J = {keys, s->size, p->sorted_tail != 0, v, ke, (uint32_t *)(void *)array_ptr(out)};
    cpu_pool_parallel_for(out->size, 4096, search_range, &J);
    free(keys);
    return EM_OK;
}

em_status cpu_sort_kernel(const em_node *n, em_array *const *in, em_array *const *out) {
    switch (n->prim) {
    case EM_PRIM_SORT:
    case EM_PRIM_ARGSORT:
    case EM_PRIM_PARTITION:
    case EM_PRIM_ARGPARTITION: return sort_kernel(n, in[0], out[0]);
    case EM_PRIM_SEARCHSORTED: return searchsorted_kernel(n, in, out[0]);
    default: return cpu_unsupported(n, in[0]->dtype);
    }
}
