/* tiled.c -- the strided walk in tiles, for operands read across their
 * rows (a transposed view: x.T + 1, a copy of x.T).
 *
 * Walking the output row by row reads such an operand one element per
 * cache line, a whole column of lines per output row; when the column is
 * longer than the caches hold (with power-of-two row lengths, whose lines
 * fall in a few cache sets, much sooner) every line is fetched again for
 * each output row that uses it: a 1024x1024 float32 transpose took 11 ms,
 * 40 times a copy. Here the output is walked in tiles of TILE_R rows by
 * TILE_C columns; each operand read across its rows is first gathered, for
 * the tile, into a small contiguous scratch block (reading whole lines
 * along its own rows), and the inner loop runs on the tile's rows with
 * every operand contiguous or as it was. */
#include <stdint.h>
#include <string.h>

#include "loops.h"
#include "pool.h"

enum {
    TILE_R = 16,          /* output rows per tile */
    TILE_C = 64,          /* output columns per tile */
    TILE_MIN_STRIDE = 256 /* bytes: below this, neighbouring rows share lines anyway */
};

static int64_t abs64(int64_t v) { return v < 0 ? -v : v; }

typedef struct {
    const cpu_iter *it;
    cpu_inner_fn fn;
    const void *ctx;
    int64_t bands;               /* bands of TILE_R rows per outer position */
    bool across[CPU_MAX_OPS];    /* gathered through scratch */
} tiled_job;

/* dst[r * cols + c] = src[r * sr + c * sc] for r < rows, c < cols, items of
 * sz bytes; read along r (the source's short stride) for each c. Each c
 * reads another line, far from the last (another page, mostly): the line
 * the next tile reads at the same c is prefetched, or the hardware would
 * fetch one line at a time. */
static void gather(char *dst, const char *src, int64_t rows, int64_t cols, int64_t sr, int64_t sc,
                   int64_t sz) {
    const int64_t ahead = TILE_C * sc;
    switch (sz) {
#define CASE(T)                                                                \
    case sizeof(T):                                                            \
        for (int64_t c = 0; c < cols; c++) {                                   \
            __builtin_prefetch((const void *)((uintptr_t)src + (uintptr_t)(c * sc + ahead))); \
            for (int64_t r = 0; r < rows; r++)                                 \
                memcpy(dst + (r * cols + c) * (int64_t)sizeof(T), src + r * sr + c * sc, sizeof(T)); \
        }                                                                      \
        return;
        CASE(uint8_t) CASE(uint16_t) CASE(uint32_t) CASE(uint64_t)
#undef CASE
    default:
        for (int64_t c = 0; c < cols; c++)
            for (int64_t r = 0; r < rows; r++)
                memcpy(dst + (r * cols + c) * sz, src + r * sr + c * sc, (size_t)sz);
    }
}

/* Items [b, e): bands of TILE_R rows of the last two dims at their outer
 * positions, each walked tile by tile. */
static void tiled_part(void *v, int64_t b, int64_t e) {
    const tiled_job *j = v;
    const cpu_iter *it = j->it;
    int nd = it->ndim, nops = it->nops, ra = nd - 2, cb = nd - 1;
    int64_t rows = it->shape[ra], cols = it->shape[cb];
    _Alignas(64) char scratch[CPU_MAX_OPS][TILE_R * TILE_C * 8];
    for (int64_t item = b; item < e; item++) {
        int64_t outer = item / j->bands, r0 = item % j->bands * TILE_R;
        int64_t nr = rows - r0 < TILE_R ? rows - r0 : TILE_R;
        char *base[CPU_MAX_OPS];
        for (int k = 0; k < nops; k++) base[k] = it->base[k] + r0 * it->strides[k][ra];
        for (int d = nd - 3; d >= 0; d--) {
            int64_t i = outer % it->shape[d];
            outer /= it->shape[d];
            for (int k = 0; k < nops; k++) base[k] += i * it->strides[k][d];
        }
        for (int64_t c0 = 0; c0 < cols; c0 += TILE_C) {
            int64_t nc = cols - c0 < TILE_C ? cols - c0 : TILE_C;
            int64_t rs[CPU_MAX_OPS], inner[CPU_MAX_OPS];
            char *p[CPU_MAX_OPS];
            for (int k = 0; k < nops; k++) {
                if (j->across[k]) {
                    gather(scratch[k], base[k] + c0 * it->strides[k][cb], nr, nc, it->strides[k][ra],
                           it->strides[k][cb], it->itemsize[k]);
                    p[k] = scratch[k];
                    rs[k] = nc * it->itemsize[k];
                    inner[k] = it->itemsize[k];
                } else {
                    p[k] = base[k] + c0 * it->strides[k][cb];
                    rs[k] = it->strides[k][ra];
                    inner[k] = it->strides[k][cb];
                }
            }
            for (int64_t r = 0; r < nr; r++) {
                char *q[CPU_MAX_OPS];
                for (int k = 0; k < nops; k++) q[k] = p[k] + r * rs[k];
                j->fn(q, inner, nc, j->ctx);
            }
        }
    }
}

bool cpu_iter_run_tiled(const cpu_iter *it, cpu_inner_fn fn, const void *ctx) {
    int nd = it->ndim;
    if (nd < 2) return false;
    int ra = nd - 2, cb = nd - 1;
    if (it->shape[ra] < 2 * TILE_R || it->shape[cb] < 2 * TILE_C) return false;
    tiled_job j = {it, fn, ctx, (it->shape[ra] + TILE_R - 1) / TILE_R, {false}};
    bool any = false;
    /* Operand 0 is the output: it is written, never gathered. */
    for (int k = 1; k < it->nops; k++) {
        int64_t sc = abs64(it->strides[k][cb]), sr = abs64(it->strides[k][ra]);
        j.across[k] = it->itemsize[k] <= 8 && sc >= TILE_MIN_STRIDE && sr < sc;
        any = any || j.across[k];
    }
    if (!any || abs64(it->strides[0][cb]) > abs64(it->strides[0][ra])) return false;
    int64_t outer = 1;
    for (int d = 0; d < ra; d++) outer *= it->shape[d];
    int64_t per = TILE_R * it->shape[cb]; /* elements per item */
    cpu_pool_parallel_for(outer * j.bands, per >= CPU_GRAIN_ELEMS ? 1 : CPU_GRAIN_ELEMS / per,
                          tiled_part, &j);
    return true;
}
