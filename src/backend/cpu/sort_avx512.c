/* sort_avx512.c -- an in-place AVX-512 quicksort of uint32 keys.
 *
 * Partition: the pivot is the median of a sample sorted in registers; a
 * pass reads blocks of 16 keys from whichever end of the unread middle has
 * less free room, and writes the keys below the pivot (compressed) to the
 * left end and the others to the right end. The first and last blocks are
 * held in registers so that both ends start with room. A range whose pivot
 * is its smallest key is split again into (== pivot, > pivot), so every pass
 * makes progress and runs of equal keys end in one or two passes.
 * Ranges of at most 256 keys are sorted by a bitonic network over 1 to 16
 * registers (padded with the largest key). Recursion deeper than twice the
 * ideal falls back to heapsort: no quadratic worst case.
 *
 * The order is not stable; the keys carry nothing but themselves. */
#include <immintrin.h>

#include "simd.h"
#include "sort_avx512.h"

bool cpu_sort_u32_avx512_ok(void) { return cpu_simd_active() == &cpu_simd_avx512_table; }

#define T512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl")))
#define INL inline __attribute__((always_inline))

typedef __m512i V;

enum { LANES = 16, LEAF = 256, UNROLL = 4 };

/* Lane masks: the upper member of the pairs 1, 2, 4, 8 lanes apart. */
static const uint16_t UPPER[4] = {0xAAAA, 0xCCCC, 0xF0F0, 0xFF00};

static T512 INL V swap_lanes(V v, int lj) {
    switch (lj) {
    case 0: return _mm512_shuffle_epi32(v, _MM_PERM_CDAB);           /* i ^ 1 */
    case 1: return _mm512_shuffle_epi32(v, _MM_PERM_BADC);           /* i ^ 2 */
    case 2: return _mm512_shuffle_i64x2(v, v, _MM_SHUFFLE(2, 3, 0, 1)); /* i ^ 4 */
    default: return _mm512_shuffle_i64x2(v, v, _MM_SHUFFLE(1, 0, 3, 2)); /* i ^ 8 */
    }
}

/* Compare-exchange of the lanes 2^lj apart: the lanes of up take the max. */
static T512 INL V cx_lanes(V v, int lj, __mmask16 up) {
    V p = swap_lanes(v, lj);
    return _mm512_mask_mov_epi32(_mm512_min_epu32(v, p), up, _mm512_max_epu32(v, p));
}

/* The 16 keys of v ascending (a bitonic network). */
static T512 INL V sort16(V v) {
    v = cx_lanes(v, 0, UPPER[0] ^ UPPER[1]);
    v = cx_lanes(v, 1, UPPER[1] ^ UPPER[2]);
    v = cx_lanes(v, 0, UPPER[0] ^ UPPER[2]);
    v = cx_lanes(v, 2, UPPER[2] ^ UPPER[3]);
    v = cx_lanes(v, 1, UPPER[1] ^ UPPER[3]);
    v = cx_lanes(v, 0, UPPER[0] ^ UPPER[3]);
    v = cx_lanes(v, 3, UPPER[3]);
    v = cx_lanes(v, 2, UPPER[2]);
    v = cx_lanes(v, 1, UPPER[1]);
    return cx_lanes(v, 0, UPPER[0]);
}

static T512 INL V reverse16(V v) {
    return _mm512_permutexvar_epi32(_mm512_set_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), v);
}

/* The networks below track which registers are padding (all the largest
 * key): pad[] is a compile-time constant once the loops are unrolled, so a
 * compare-exchange with a padding register becomes a move or nothing and a
 * line of 9 registers costs less than one of 16. */

/* Compare-exchange of registers r < s: the smaller keys to r. */
static T512 INL void cx_regs(V *v, bool *pad, int r, int s) {
    if (pad[s]) return; /* v[r] <= v[s] already */
    if (pad[r]) {       /* a move: the padding goes up */
        v[r] = v[s];
        pad[r] = false;
        pad[s] = true;
        return;
    }
    V lo = _mm512_min_epu32(v[r], v[s]), hi = _mm512_max_epu32(v[r], v[s]);
    v[r] = lo;
    v[s] = hi;
}

/* Merges the ascending runs v[0..M/2) and v[M/2..M) into v[0..M): the
 * second run reversed makes the whole bitonic, then half-cleaners. */
static T512 INL void merge_runs(V *v, bool *pad, int M) {
    const int h = M / 2;
#pragma GCC unroll 8
    for (int i = 0; i < (h + 1) / 2; i++) {
        int x = h + i, y = M - 1 - i;
        V t = v[x];
        bool pt = pad[x];
        v[x] = pad[y] ? v[y] : reverse16(v[y]);
        pad[x] = pad[y];
        if (x != y) {
            v[y] = pt ? t : reverse16(t);
            pad[y] = pt;
        }
    }
#pragma GCC unroll 4
    for (int d = h; d > 0; d /= 2)
#pragma GCC unroll 16
        for (int r = 0; r < M; r++)
            if (!(r & d)) cx_regs(v, pad, r, r + d);
#pragma GCC unroll 16
    for (int r = 0; r < M; r++) {
        if (pad[r]) continue;
        v[r] = cx_lanes(v[r], 3, UPPER[3]);
        v[r] = cx_lanes(v[r], 2, UPPER[2]);
        v[r] = cx_lanes(v[r], 1, UPPER[1]);
        v[r] = cx_lanes(v[r], 0, UPPER[0]);
    }
}

/* The keys of v[0..R) ascending (key g in lane g % 16 of register g / 16),
 * R a power of two, the registers from Rn on padding. */
static T512 INL void bitonic(V *v, int R, int Rn) {
    bool pad[16];
#pragma GCC unroll 16
    for (int r = 0; r < R; r++) {
        pad[r] = r >= Rn;
        if (!pad[r]) v[r] = sort16(v[r]);
    }
#pragma GCC unroll 8
    for (int b = 0; b + 2 <= R; b += 2) merge_runs(v + b, pad + b, 2);
#pragma GCC unroll 4
    for (int b = 0; b + 4 <= R; b += 4) merge_runs(v + b, pad + b, 4);
#pragma GCC unroll 2
    for (int b = 0; b + 8 <= R; b += 8) merge_runs(v + b, pad + b, 8);
    if (R == 16) merge_runs(v, pad, 16);
}

static T512 INL __mmask16 head_mask(int64_t cnt) {
    unsigned c = cnt >= LANES ? LANES : cnt <= 0 ? 0 : (unsigned)cnt;
    return (__mmask16)((1u << c) - 1);
}

/* ---------------------------------------------------------------- keys */

static T512 INL V key_vec(int kind, V u) {
    if (kind == CPU_KEY32_UINT) return u;
    const V sign = _mm512_set1_epi32((int)0x80000000u);
    if (kind == CPU_KEY32_INT) return _mm512_xor_si512(u, sign);
    V abs = _mm512_andnot_si512(sign, u);
    V k = _mm512_xor_si512(u, _mm512_or_si512(_mm512_srai_epi32(u, 31), sign));
    k = _mm512_mask_mov_epi32(k, _mm512_cmpeq_epi32_mask(abs, _mm512_setzero_si512()), sign);
    return _mm512_mask_mov_epi32(k, _mm512_cmpgt_epu32_mask(abs, _mm512_set1_epi32(0x7f800000)),
                                 _mm512_set1_epi32(-1));
}

static T512 INL V unkey_vec(int kind, V k) {
    const V sign = _mm512_set1_epi32((int)0x80000000u);
    if (kind == CPU_KEY32_UINT) return k;
    if (kind == CPU_KEY32_INT) return _mm512_xor_si512(k, sign);
    /* negatives (top bit clear) flip all bits, the others the sign bit */
    V nk = _mm512_ternarylogic_epi32(k, k, k, 0x55); /* ~k */
    return _mm512_xor_si512(k, _mm512_or_si512(_mm512_srai_epi32(nk, 31), sign));
}


/* Sorts the n <= 16 R keys of a; stores them unkeyed as `kind`
 * (CPU_KEY32_UINT: as they are). */
static T512 INL void net_sort(uint32_t *a, int64_t n, int Rn, int kind) {
    const int R = Rn <= 1 ? 1 : Rn <= 2 ? 2 : Rn <= 4 ? 4 : Rn <= 8 ? 8 : 16;
    V v[16];
    const V top = _mm512_set1_epi32(-1);
#pragma GCC unroll 16
    for (int r = 0; r < R; r++)
        v[r] = r < Rn ? _mm512_mask_loadu_epi32(top, head_mask(n - r * LANES), a + r * LANES) : top;
    bitonic(v, R, Rn);
#pragma GCC unroll 16
    for (int r = 0; r < Rn; r++)
        _mm512_mask_storeu_epi32(a + r * LANES, head_mask(n - r * LANES), unkey_vec(kind, v[r]));
}

#define NOINL __attribute__((noinline))
/* The networks by registers (1 to 16) and kind, and small_<kind>(a, n) for
 * n <= LEAF. */
#define NET(K, s, R) static T512 NOINL void net##R##_##s(uint32_t *a, int64_t n) { net_sort(a, n, R, K); }
#define DEF_NETS(K, s)                                                         \
    NET(K, s, 1) NET(K, s, 2) NET(K, s, 3) NET(K, s, 4) NET(K, s, 5) NET(K, s, 6) NET(K, s, 7) \
    NET(K, s, 8) NET(K, s, 9) NET(K, s, 10) NET(K, s, 11) NET(K, s, 12) NET(K, s, 13)         \
    NET(K, s, 14) NET(K, s, 15) NET(K, s, 16)                                  \
    static void (*const nets_##s[17])(uint32_t *, int64_t) = {                 \
        NULL, net1_##s, net2_##s, net3_##s, net4_##s, net5_##s, net6_##s, net7_##s, net8_##s, \
        net9_##s, net10_##s, net11_##s, net12_##s, net13_##s, net14_##s, net15_##s, net16_##s}; \
    static T512 void small_##s(uint32_t *a, int64_t n) {                      \
        if (n > 0) nets_##s[(n + LANES - 1) / LANES](a, n);                     \
    }
DEF_NETS(CPU_KEY32_UINT, u)
DEF_NETS(CPU_KEY32_INT, i)
DEF_NETS(CPU_KEY32_FLOAT, f)
#undef DEF_NETS
#undef NET

static T512 void small_sort(uint32_t *a, int64_t n, int kind) {
    if (kind == CPU_KEY32_FLOAT) small_f(a, n);
    else if (kind == CPU_KEY32_INT) small_i(a, n);
    else small_u(a, n);
}

/* ---------------------------------------------------------------- fallback */

static void sift(uint32_t *a, int64_t i, int64_t n) {
    uint32_t v = a[i];
    for (;;) {
        int64_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && a[c] < a[c + 1]) c++;
        if (v >= a[c]) break;
        a[i] = a[c];
        i = c;
    }
    a[i] = v;
}

static void heap_sort(uint32_t *a, int64_t n) {
    for (int64_t i = n / 2 - 1; i >= 0; i--) sift(a, i, n);
    for (int64_t e = n - 1; e > 0; e--) {
        uint32_t t = a[0];
        a[0] = a[e];
        a[e] = t;
        sift(a, 0, e);
    }
}

/* ---------------------------------------------------------------- partition */

/* Writes the keys of v that go left (mask left) at *ls and the others (of
 * the first cnt lanes) just below *rs, moving both. */
static T512 INL void emit(uint32_t *a, int64_t *ls, int64_t *rs, V v, __mmask16 left, int64_t cnt) {
    int64_t nl = __builtin_popcount((unsigned)left);
    _mm512_mask_compressstoreu_epi32(a + *ls, left, v);
    *ls += nl;
    *rs -= cnt - nl;
    _mm512_mask_compressstoreu_epi32(a + *rs, (__mmask16)(~left & head_mask(cnt)), v);
}

/* emit() of a whole vector. */
static T512 INL void emit16(uint32_t *a, int64_t *ls, int64_t *rs, V v, __mmask16 left) {
    int64_t nl = __builtin_popcount((unsigned)left);
    _mm512_mask_compressstoreu_epi32(a + *ls, left, v);
    *ls += nl;
    *rs -= LANES - nl;
    _mm512_mask_compressstoreu_epi32(a + *rs, (__mmask16)~left, v);
}

static T512 INL __mmask16 goes_left(V v, V p, bool le) {
    return le ? _mm512_cmple_epu32_mask(v, p) : _mm512_cmplt_epu32_mask(v, p);
}

/* Partitions a[0..n), n >= 2 UNROLL LANES, into [0, m) (keys < p, or <= p
 * with le) and [m, n) (the others); returns m. */
static T512 INL int64_t partition(uint32_t *a, int64_t n, uint32_t pivot, bool le) {
    const V p = _mm512_set1_epi32((int)pivot);
    V keep[2 * UNROLL];
#pragma GCC unroll 8
    for (int u = 0; u < UNROLL; u++) {
        keep[u] = _mm512_loadu_si512(a + u * LANES);
        keep[UNROLL + u] = _mm512_loadu_si512(a + n - (u + 1) * LANES);
    }
    int64_t l = UNROLL * LANES, r = n - UNROLL * LANES, ls = 0, rs = n;
    while (r - l >= UNROLL * LANES) {
        V v[UNROLL];
        if (l - ls <= rs - r) {
#pragma GCC unroll 8
            for (int u = 0; u < UNROLL; u++) v[u] = _mm512_loadu_si512(a + l + u * LANES);
            l += UNROLL * LANES;
        } else {
            r -= UNROLL * LANES;
#pragma GCC unroll 8
            for (int u = 0; u < UNROLL; u++) v[u] = _mm512_loadu_si512(a + r + u * LANES);
        }
#pragma GCC unroll 8
        for (int u = 0; u < UNROLL; u++) emit16(a, &ls, &rs, v[u], goes_left(v[u], p, le));
    }
    while (r - l >= LANES) {
        V v;
        if (l - ls <= rs - r) {
            v = _mm512_loadu_si512(a + l);
            l += LANES;
        } else {
            r -= LANES;
            v = _mm512_loadu_si512(a + r);
        }
        emit16(a, &ls, &rs, v, goes_left(v, p, le));
    }
    if (r > l) {
        int64_t cnt = r - l;
        V v = _mm512_maskz_loadu_epi32(head_mask(cnt), a + l);
        emit(a, &ls, &rs, v, goes_left(v, p, le) & head_mask(cnt), cnt);
    }
#pragma GCC unroll 8
    for (int u = 0; u < 2 * UNROLL; u++) emit16(a, &ls, &rs, keep[u], goes_left(keep[u], p, le));
    return ls;
}

static T512 __attribute__((noinline)) int64_t part_lt(uint32_t *a, int64_t n, uint32_t p) {
    return partition(a, n, p, false);
}
static T512 __attribute__((noinline)) int64_t part_le(uint32_t *a, int64_t n, uint32_t p) {
    return partition(a, n, p, true);
}

/* The median of 16 keys spread over a[0..n). */
static T512 uint32_t pivot_of(const uint32_t *a, int64_t n) {
    enum { BIG = 8192, S = 4 * LANES };
    uint32_t s[S];
    int k = n >= BIG ? S : LANES;
    int64_t step = n / k;
    for (int i = 0; i < k; i++) s[i] = a[step / 2 + i * step];
    if (k == S) net4_u(s, S);
    else net1_u(s, LANES);
    return s[k / 2];
}

#define DEF_KEY_LOOP(NAME, F)                                                  \
    static T512 INL void NAME(int kind, const void *in, int64_t n, void *out) { \
        const uint32_t *i32 = in;                                              \
        uint32_t *o32 = out;                                                   \
        int64_t i = 0;                                                         \
        for (; i + LANES <= n; i += LANES)                                     \
            _mm512_storeu_si512(o32 + i, F(kind, _mm512_loadu_si512(i32 + i))); \
        if (i < n) {                                                           \
            __mmask16 m = head_mask(n - i);                                    \
            _mm512_mask_storeu_epi32(o32 + i, m, F(kind, _mm512_maskz_loadu_epi32(m, i32 + i))); \
        }                                                                      \
    }
DEF_KEY_LOOP(keys_loop, key_vec)
DEF_KEY_LOOP(unkeys_loop, unkey_vec)
#undef DEF_KEY_LOOP

/* (kind a constant in each loop) */
T512 void cpu_keys32_avx512(int kind, const void *in, int64_t n, uint32_t *out) {
    if (kind == CPU_KEY32_FLOAT) keys_loop(CPU_KEY32_FLOAT, in, n, out);
    else if (kind == CPU_KEY32_INT) keys_loop(CPU_KEY32_INT, in, n, out);
    else keys_loop(CPU_KEY32_UINT, in, n, out);
}

T512 void cpu_unkeys32_avx512(int kind, const uint32_t *keys, int64_t n, void *out) {
    if (kind == CPU_KEY32_FLOAT) unkeys_loop(CPU_KEY32_FLOAT, keys, n, out);
    else if (kind == CPU_KEY32_INT) unkeys_loop(CPU_KEY32_INT, keys, n, out);
    else unkeys_loop(CPU_KEY32_UINT, keys, n, out);
}

/* ---------------------------------------------------------------- sort */

/* Sorts the n keys of a, storing them unkeyed as kind: every key leaves
 * through a network, a run of keys equal to a pivot, or the heapsort. */
static T512 void qsort_u32(uint32_t *a, int64_t n, int depth, int kind) {
    while (n > LEAF) {
        if (depth-- == 0) {
            heap_sort(a, n);
            cpu_unkeys32_avx512(kind, a, n, a);
            return;
        }
        uint32_t p = pivot_of(a, n);
        int64_t m = part_lt(a, n, p);
        if (m == 0) { /* p is the least key: peel off the keys equal to it */
            m = part_le(a, n, p);
            cpu_unkeys32_avx512(kind, a, m, a);
            a += m;
            n -= m;
            continue;
        }
        if (m < n - m) {
            qsort_u32(a, m, depth, kind);
            a += m;
            n -= m;
        } else {
            qsort_u32(a + m, n - m, depth, kind);
            n = m;
        }
    }
    small_sort(a, n, kind);
}

/* The keys of the n (> LEAF) elements of in, partitioned around the median
 * of a sample of them (as pivot_of) into out; returns the count of keys
 * below it. */
static T512 INL int64_t part_keys(int kind, const uint32_t *in, int64_t n, uint32_t *out) {
    enum { S = 4 * LANES };
    uint32_t smp[S];
    int k = n >= 8192 ? S : LANES;
    int64_t step = n / k;
    for (int i = 0; i < k; i++) smp[i] = in[step / 2 + i * step];
    for (int i = 0; i < k; i += LANES)
        _mm512_storeu_si512(smp + i, key_vec(kind, _mm512_loadu_si512(smp + i)));
    if (k == S) net4_u(smp, S);
    else net1_u(smp, LANES);
    const V p = _mm512_set1_epi32((int)smp[k / 2]);
    int64_t ls = 0, rs = n, i = 0;
    for (; i + LANES <= n; i += LANES) {
        V v = key_vec(kind, _mm512_loadu_si512(in + i));
        emit16(out, &ls, &rs, v, _mm512_cmplt_epu32_mask(v, p));
    }
    if (i < n) {
        __mmask16 m = head_mask(n - i);
        V v = key_vec(kind, _mm512_maskz_loadu_epi32(m, in + i));
        emit(out, &ls, &rs, v, _mm512_cmplt_epu32_mask(v, p) & m, n - i);
    }
    return ls;
}

static int depth_of(int64_t n) {
    int d = 0;
    for (int64_t t = n; t > 1; t >>= 1) d++;
    return 2 * d + 4;
}

T512 void cpu_sort32_avx512(int kind, const void *in, int64_t n, void *out) {
    uint32_t *o = out;
    if (n <= LEAF) {
        cpu_keys32_avx512(kind, in, n, o);
        small_sort(o, n, kind);
        return;
    }
    int64_t m;
    if (kind == CPU_KEY32_FLOAT) m = part_keys(CPU_KEY32_FLOAT, in, n, o);
    else if (kind == CPU_KEY32_INT) m = part_keys(CPU_KEY32_INT, in, n, o);
    else m = part_keys(CPU_KEY32_UINT, in, n, o);
    int depth = depth_of(n) - 1;
    if (m == 0) {
        qsort_u32(o, n, depth, kind);
        return;
    }
    qsort_u32(o, m, depth, kind);
    qsort_u32(o + m, n - m, depth, kind);
}

void cpu_sort32_avx512_keys(int kind, uint32_t *a, int64_t n) { qsort_u32(a, n, depth_of(n), kind); }

void cpu_sort_u32_avx512_depth(uint32_t *a, int64_t n, int depth) {
    qsort_u32(a, n, depth < 0 ? 0 : depth, CPU_KEY32_UINT);
}

void cpu_sort_u32_avx512(uint32_t *a, int64_t n) { qsort_u32(a, n, depth_of(n), CPU_KEY32_UINT); }
