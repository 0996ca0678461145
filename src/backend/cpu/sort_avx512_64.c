/* sort_avx512_64.c -- the AVX-512 quicksort of sort_avx512.c for uint64
 * words (8 lanes): argsort's composite words (key << 32 | index), all
 * distinct, so any order of them is the stable one.
 *
 * The same scheme as the 32-bit sort: pivot from a sorted sample, blocks of
 * 8 words compress-stored to both ends of the range, a split into (==
 * pivot, > pivot) when the pivot is the least word, bitonic networks over 1
 * to 16 registers (padding tracked at compile time) for ranges of at most
 * 128 words, heapsort past the depth limit. */
#include <immintrin.h>

#include "sort_avx512.h"

#define T512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl")))
#define INL inline __attribute__((always_inline))
#define NOINL __attribute__((noinline))

typedef __m512i V;

enum { LANES = 8, LEAF = 128, UNROLL = 4 };

/* Lane masks: the upper member of the pairs 1, 2, 4 lanes apart. */
static const uint8_t UPPER[3] = {0xAA, 0xCC, 0xF0};

static T512 INL V swap_lanes(V v, int lj) {
    switch (lj) {
    case 0: return _mm512_shuffle_epi32(v, _MM_PERM_BADC);              /* i ^ 1 */
    case 1: return _mm512_shuffle_i64x2(v, v, _MM_SHUFFLE(2, 3, 0, 1)); /* i ^ 2 */
    default: return _mm512_shuffle_i64x2(v, v, _MM_SHUFFLE(1, 0, 3, 2)); /* i ^ 4 */
    }
}

static T512 INL V cx_lanes(V v, int lj, __mmask8 up) {
    V p = swap_lanes(v, lj);
    return _mm512_mask_mov_epi64(_mm512_min_epu64(v, p), up, _mm512_max_epu64(v, p));
}

static T512 INL V sort8(V v) {
    v = cx_lanes(v, 0, UPPER[0] ^ UPPER[1]);
    v = cx_lanes(v, 1, UPPER[1] ^ UPPER[2]);
    v = cx_lanes(v, 0, UPPER[0] ^ UPPER[2]);
    v = cx_lanes(v, 2, UPPER[2]);
    v = cx_lanes(v, 1, UPPER[1]);
    return cx_lanes(v, 0, UPPER[0]);
}

static T512 INL V reverse8(V v) { return _mm512_permutexvar_epi64(_mm512_set_epi64(0, 1, 2, 3, 4, 5, 6, 7), v); }

static T512 INL void cx_regs(V *v, bool *pad, int r, int s) {
    if (pad[s]) return;
    if (pad[r]) {
        v[r] = v[s];
        pad[r] = false;
        pad[s] = true;
        return;
    }
    V lo = _mm512_min_epu64(v[r], v[s]), hi = _mm512_max_epu64(v[r], v[s]);
    v[r] = lo;
    v[s] = hi;
}

static T512 INL void merge_runs(V *v, bool *pad, int M) {
    const int h = M / 2;
#pragma GCC unroll 8
    for (int i = 0; i < (h + 1) / 2; i++) {
        int x = h + i, y = M - 1 - i;
        V t = v[x];
        bool pt = pad[x];
        v[x] = pad[y] ? v[y] : reverse8(v[y]);
        pad[x] = pad[y];
        if (x != y) {
            v[y] = pt ? t : reverse8(t);
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
        v[r] = cx_lanes(v[r], 2, UPPER[2]);
        v[r] = cx_lanes(v[r], 1, UPPER[1]);
        v[r] = cx_lanes(v[r], 0, UPPER[0]);
    }
}

static T512 INL void bitonic(V *v, int R, int Rn) {
    bool pad[16];
#pragma GCC unroll 16
    for (int r = 0; r < R; r++) {
        pad[r] = r >= Rn;
        if (!pad[r]) v[r] = sort8(v[r]);
    }
#pragma GCC unroll 8
    for (int b = 0; b + 2 <= R; b += 2) merge_runs(v + b, pad + b, 2);
#pragma GCC unroll 4
    for (int b = 0; b + 4 <= R; b += 4) merge_runs(v + b, pad + b, 4);
#pragma GCC unroll 2
    for (int b = 0; b + 8 <= R; b += 8) merge_runs(v + b, pad + b, 8);
    if (R == 16) merge_runs(v, pad, 16);
}

static T512 INL __mmask8 head_mask(int64_t cnt) {
    unsigned c = cnt >= LANES ? LANES : cnt <= 0 ? 0 : (unsigned)cnt;
    return (__mmask8)((1u << c) - 1);
}

static T512 INL void net_sort(uint64_t *a, int64_t n, int Rn) {
    const int R = Rn <= 1 ? 1 : Rn <= 2 ? 2 : Rn <= 4 ? 4 : Rn <= 8 ? 8 : 16;
    V v[16];
    const V top = _mm512_set1_epi64(-1);
#pragma GCC unroll 16
    for (int r = 0; r < R; r++)
        v[r] = r < Rn ? _mm512_mask_loadu_epi64(top, head_mask(n - r * LANES), a + r * LANES) : top;
    bitonic(v, R, Rn);
#pragma GCC unroll 16
    for (int r = 0; r < Rn; r++) _mm512_mask_storeu_epi64(a + r * LANES, head_mask(n - r * LANES), v[r]);
}

#define NET(R) static T512 NOINL void net##R(uint64_t *a, int64_t n) { net_sort(a, n, R); }
NET(1) NET(2) NET(3) NET(4) NET(5) NET(6) NET(7) NET(8)
NET(9) NET(10) NET(11) NET(12) NET(13) NET(14) NET(15) NET(16)
#undef NET
static void (*const nets[17])(uint64_t *, int64_t) = {
    NULL, net1, net2, net3, net4, net5, net6, net7, net8,
    net9, net10, net11, net12, net13, net14, net15, net16};

/* ---------------------------------------------------------------- fallback */

static void sift(uint64_t *a, int64_t i, int64_t n) {
    uint64_t v = a[i];
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

static void heap_sort(uint64_t *a, int64_t n) {
    for (int64_t i = n / 2 - 1; i >= 0; i--) sift(a, i, n);
    for (int64_t e = n - 1; e > 0; e--) {
        uint64_t t = a[0];
        a[0] = a[e];
        a[e] = t;
        sift(a, 0, e);
    }
}

/* ---------------------------------------------------------------- partition */

static T512 INL void emit8(uint64_t *a, int64_t *ls, int64_t *rs, V v, __mmask8 left) {
    int64_t nl = __builtin_popcount((unsigned)left);
    _mm512_mask_compressstoreu_epi64(a + *ls, left, v);
    *ls += nl;
    *rs -= LANES - nl;
    _mm512_mask_compressstoreu_epi64(a + *rs, (__mmask8)~left, v);
}

static T512 INL __mmask8 goes_left(V v, V p, bool le) {
    return le ? _mm512_cmple_epu64_mask(v, p) : _mm512_cmplt_epu64_mask(v, p);
}

/* As sort_avx512.c's partition(); n >= 2 UNROLL LANES. */
static T512 INL int64_t partition(uint64_t *a, int64_t n, uint64_t pivot, bool le) {
    const V p = _mm512_set1_epi64((long long)pivot);
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
        for (int u = 0; u < UNROLL; u++) emit8(a, &ls, &rs, v[u], goes_left(v[u], p, le));
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
        emit8(a, &ls, &rs, v, goes_left(v, p, le));
    }
    if (r > l) {
        int64_t cnt = r - l, nl;
        __mmask8 m = head_mask(cnt);
        V v = _mm512_maskz_loadu_epi64(m, a + l);
        __mmask8 left = goes_left(v, p, le) & m;
        nl = __builtin_popcount((unsigned)left);
        _mm512_mask_compressstoreu_epi64(a + ls, left, v);
        ls += nl;
        rs -= cnt - nl;
        _mm512_mask_compressstoreu_epi64(a + rs, (__mmask8)(~left & m), v);
    }
#pragma GCC unroll 8
    for (int u = 0; u < 2 * UNROLL; u++) emit8(a, &ls, &rs, keep[u], goes_left(keep[u], p, le));
    return ls;
}

static T512 NOINL int64_t part_lt(uint64_t *a, int64_t n, uint64_t p) { return partition(a, n, p, false); }
static T512 NOINL int64_t part_le(uint64_t *a, int64_t n, uint64_t p) { return partition(a, n, p, true); }

/* The median of 8 (64 for n >= 8192) words spread over a[0..n). */
static T512 uint64_t pivot_of(const uint64_t *a, int64_t n) {
    enum { S = 8 * LANES };
    uint64_t s[S];
    int k = n >= 8192 ? S : LANES;
    int64_t step = n / k;
    for (int i = 0; i < k; i++) s[i] = a[step / 2 + i * step];
    if (k == S) net8(s, S);
    else net1(s, LANES);
    return s[k / 2];
}

static T512 void qsort_u64(uint64_t *a, int64_t n, int depth) {
    while (n > LEAF) {
        if (depth-- == 0) {
            heap_sort(a, n);
            return;
        }
        uint64_t p = pivot_of(a, n);
        int64_t m = part_lt(a, n, p);
        if (m == 0) {
            m = part_le(a, n, p);
            a += m;
            n -= m;
            continue;
        }
        if (m < n - m) {
            qsort_u64(a, m, depth);
            a += m;
            n -= m;
        } else {
            qsort_u64(a + m, n - m, depth);
            n = m;
        }
    }
    if (n > 0) nets[(n + LANES - 1) / LANES](a, n);
}

void cpu_sort_u64_avx512_depth(uint64_t *a, int64_t n, int depth) { qsort_u64(a, n, depth < 0 ? 0 : depth); }

void cpu_sort_u64_avx512(uint64_t *a, int64_t n) {
    int d = 0;
    for (int64_t t = n; t > 1; t >>= 1) d++;
    qsort_u64(a, n, 2 * d + 4);
}
