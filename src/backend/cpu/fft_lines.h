/* fft_lines.h -- one group of up to FP_W lines of an FFT node: gathered from
 * the input (conjugated for the inverse direction), transformed with the
 * passes of fft_passes.h, scattered to the output (conjugated back, scaled).
 * Also the four-step algorithm for long lines (columns and rows of the
 * n1 x n2 view moved through the lanes). Included by fft.c after
 * fft_passes.h, with the same FP_* macros, and optionally FP_GATHER,
 * FP_SCATTER, FP_LD_LANES, FP_ST_LANES, FP_LD_ROWS_TW naming the lane type's
 * shuffling versions of the copies below (see fft.c). */

#define C FP_NAME(c)

/* The forward transform of buf (c->n elements): the job's long-line routine
 * for four-step plans, when it has one, else the passes. Returns where the
 * result is (buf or scratch), NULL when out of memory (the error set). */
static FP_ATTR C *FP_NAME(xf)(const fft_job *j, const fft_cplan *c, C *buf, C *scratch) {
    if (c->sub1 && j->big) return j->big(c, buf, buf, 1.0f, 1.0f) ? buf : NULL;
    return FP_NAME(cfft_to)(c, buf, scratch);
}

/* Lane element e gets 8 / FP_W consecutive complex values (re, cj * im), and
 * the converse with scaling; FP_LD_LANES / FP_ST_LANES replace them where the
 * lane type has shuffles for it. */
static inline FP_ATTR void FP_NAME(ld_lanes)(const fft_cf *src, C *e, float cj) {
#ifdef FP_LD_LANES
    FP_LD_LANES(src, e, cj);
#else
    for (int l = 0; l < FP_W; l++) {
        FP_LANE(e->r, l) = src[l].r;
        FP_LANE(e->i, l) = cj * src[l].i;
    }
#endif
}

static inline FP_ATTR void FP_NAME(st_lanes)(fft_cf *dst, const C *e, float sr, float si) {
#ifdef FP_ST_LANES
    FP_ST_LANES(dst, e, sr, si);
#else
    for (int l = 0; l < FP_W; l++) {
        dst[l].r = sr * FP_LANE(e->r, l);
        dst[l].i = si * FP_LANE(e->i, l);
    }
#endif
}

/* Whether the nl line starts are `step` floats apart (adjacent lines, whose
 * same elements are consecutive complex values). */
static inline bool FP_NAME(adjacent)(const float *const *p, int nl, int64_t step) {
    for (int l = 1; l < nl; l++)
        if (p[l] != p[0] + l * step) return false;
    return true;
}

/* count pairs of nl lines into buf: lane l's element e is (src[l][e*step],
 * cj * src[l][e*step + imoff]). */
static FP_ATTR void FP_NAME(gather)(const float *const *src, int nl, int64_t count, int64_t step,
                                    int64_t imoff, C *buf, float cj) {
#ifdef FP_GATHER
    if (step == 2 && imoff == 1) {
        FP_GATHER(src, nl, count, buf, cj);
        return;
    }
#endif
#ifdef FP_LD_LANES
    if (imoff == 1 && nl == FP_W && FP_NAME(adjacent)(src, nl, 2)) {
        for (int64_t e = 0; e < count; e++)
            FP_LD_LANES((const fft_cf *)(const void *)(src[0] + e * step), buf + e, cj);
        return;
    }
#endif
    for (int l = 0; l < nl; l++) {
        const float *x = src[l];
        for (int64_t e = 0; e < count; e++) {
            FP_LANE(buf[e].r, l) = x[e * step];
            FP_LANE(buf[e].i, l) = cj * x[e * step + imoff];
        }
    }
}

/* The converse: dst[l][e*step] = sr * re, dst[l][e*step + imoff] = si * im. */
static FP_ATTR void FP_NAME(scatter)(float *const *dst, int nl, int64_t count, int64_t step,
                                     int64_t imoff, const C *buf, float sr, float si) {
#ifdef FP_SCATTER
    if (step == 2 && imoff == 1) {
        FP_SCATTER(dst, nl, count, buf, sr, si);
        return;
    }
#endif
#ifdef FP_ST_LANES
    if (imoff == 1 && nl == FP_W && FP_NAME(adjacent)((const float *const *)dst, nl, 2)) {
        for (int64_t e = 0; e < count; e++) FP_ST_LANES((fft_cf *)(void *)(dst[0] + e * step), buf + e, sr, si);
        return;
    }
#endif
    for (int l = 0; l < nl; l++) {
        float *y = dst[l];
        for (int64_t e = 0; e < count; e++) {
            y[e * step] = sr * FP_LANE(buf[e].r, l);
            y[e * step + imoff] = si * FP_LANE(buf[e].i, l);
        }
    }
}

/* ---------------------------------------------------------------- four-step */

/* Lane l of buf[j] gets rows[l][j] * twq[l][j/64] * twr[l][j%64], j < count
 * (a transposing, twiddling copy of FP_W rows); FP_LD_ROWS_TW replaces it. */
static inline FP_ATTR void FP_NAME(ld_rows_tw)(const fft_cf *const *rows, const fft_cf *const *twq,
                                             const fft_cf *const *twr, int nl, int64_t count, C *buf) {
#ifdef FP_LD_ROWS_TW
    if (nl == FP_W) {
        FP_LD_ROWS_TW(rows, twq, twr, count, buf);
        return;
    }
#endif
    for (int l = 0; l < nl; l++) {
        const fft_cf *row = rows[l];
        for (int64_t j = 0; j < count; j++) {
            fft_cf q = twq[l][j / 64], r = twr[l][j % 64];
            float wr = q.r * r.r - q.i * r.i, wi = q.r * r.i + q.i * r.r;
            float re = row[j].r, im = row[j].i;
            FP_LANE(buf[j].r, l) = re * wr - im * wi;
            FP_LANE(buf[j].i, l) = re * wi + im * wr;
        }
    }
}

/* Columns (or rows) a four-step sweep moves at once: 64 complex, 512 bytes
 * of each row, so that the strided half of every sweep still touches whole
 * runs of cache lines (and few pages) per row. */
#define FP_NB (64 / FP_W)

/* The four-step forward transform of one dense line x (p->n complex64) into
 * y (which may be x): x is read conjugated when cj is -1, y gets
 * (re, cj * im) * sc. Its two sweeps are cut in blocks of 64 columns (rows),
 * each independent of the others, which the caller may run on several
 * threads, the columns all before the rows: fourstep_cols(b) moves columns
 * [64b, 64b + 64) of x through n1-point transforms into tmp (n complex);
 * fourstep_rows(b) moves rows [64b, 64b + 64) of tmp through twiddles and
 * n2-point transforms into y. buf holds FP_NB * (max(n1, n2) + 1) lane
 * elements, scratch the sub-plans' scratch, both the calling thread's own. */
static FP_ATTR void FP_NAME(fourstep_cols)(const fft_cplan *p, const fft_cf *x, fft_cf *tmp, int64_t blk,
                                           C *buf, C *scratch, float cj) {
    int64_t n1 = p->n1, n2 = p->n2, st = (n1 > n2 ? n1 : n2) + 1, j2 = 64 * blk;
    int g = n2 - j2 < 64 ? (int)(n2 - j2) : 64, full = g / FP_W, ng = (g + FP_W - 1) / FP_W;
    for (int64_t j1 = 0; j1 < n1; j1++) {
        const fft_cf *row = x + j1 * n2 + j2;
        /* rows are n2 apart: too far for the hardware prefetchers */
        if (j1 + 8 < n1)
            for (int c = 0; c < g; c += 8) __builtin_prefetch(row + 8 * n2 + c);
        for (int b = 0; b < full; b++) FP_NAME(ld_lanes)(row + b * FP_W, buf + b * st + j1, cj);
        for (int c = full * FP_W; c < g; c++) {
            C *e = buf + (c / FP_W) * st + j1;
            FP_LANE(e->r, c % FP_W) = row[c].r;
            FP_LANE(e->i, c % FP_W) = cj * row[c].i;
        }
    }
    for (int b = 0; b < ng; b++) FP_NAME(cfft)(p->sub1, buf + b * st, scratch);
    for (int64_t k1 = 0; k1 < n1; k1++) {
        fft_cf *out = tmp + k1 * n2 + j2;
        for (int b = 0; b < full; b++) FP_NAME(st_lanes)(out + b * FP_W, buf + b * st + k1, 1.0f, 1.0f);
        for (int c = full * FP_W; c < g; c++) {
            const C *e = buf + (c / FP_W) * st + k1;
            out[c].r = FP_LANE(e->r, c % FP_W);
            out[c].i = FP_LANE(e->i, c % FP_W);
        }
    }
}

static FP_ATTR void FP_NAME(fourstep_rows)(const fft_cplan *p, const fft_cf *tmp, fft_cf *y, int64_t blk,
                                           C *buf, C *scratch, float cj, float sc) {
    int64_t n1 = p->n1, n2 = p->n2, st = (n1 > n2 ? n1 : n2) + 1, k1 = 64 * blk;
    int g = n1 - k1 < 64 ? (int)(n1 - k1) : 64, full = g / FP_W, ng = (g + FP_W - 1) / FP_W;
    float si = cj * sc;
    for (int b = 0; b < ng; b++) {
        const fft_cf *rows[FP_W], *twq[FP_W], *twr[FP_W];
        int nl = g - b * FP_W < FP_W ? g - b * FP_W : FP_W;
        for (int l = 0; l < nl; l++) {
            int64_t r = k1 + b * FP_W + l;
            rows[l] = tmp + r * n2;
            twq[l] = p->twq + r * p->nq;
            twr[l] = p->twr + r * 64;
        }
        FP_NAME(ld_rows_tw)(rows, twq, twr, nl, n2, buf + b * st);
    }
    for (int b = 0; b < ng; b++) FP_NAME(cfft)(p->sub2, buf + b * st, scratch);
    for (int64_t k2 = 0; k2 < n2; k2++) {
        fft_cf *out = y + k2 * n1 + k1;
        for (int b = 0; b < full; b++) FP_NAME(st_lanes)(out + b * FP_W, buf + b * st + k2, sc, si);
        for (int c = full * FP_W; c < g; c++) {
            const C *e = buf + (c / FP_W) * st + k2;
            out[c].r = sc * FP_LANE(e->r, c % FP_W);
            out[c].i = si * FP_LANE(e->i, c % FP_W);
        }
    }
}

#undef FP_NB

/* Lines t0 .. t0 + nl - 1 of job j (nl <= FP_W). buf and buf2 hold n + 1
 * elements, scratch the plan's scratch. */
static FP_ATTR em_status FP_NAME(group)(const fft_job *j, int64_t t0, int nl, void *bufv, void *buf2v,
                                        void *scratchv) {
    C *restrict buf = bufv, *restrict buf2 = buf2v, *restrict scratch = scratchv;
    const float *src[FP_W];
    float *dst[FP_W];
    for (int l = 0; l < FP_W; l++) {
        int64_t io = 0, oo = 0;
        fft_job_offsets(j, t0 + (l < nl ? l : 0), &io, &oo);
        bool cin = j->kind != EM_FFT_R2C, cout = j->kind != EM_FFT_C2R;
        src[l] = j->in + (cin ? 2 * io : io);
        dst[l] = j->out + (cout ? 2 * oo : oo);
    }
    int64_t n = j->n, is = j->is, os = j->os, h = n / 2;
    float sc = j->scale, cj = j->inverse ? -1.0f : 1.0f;
    const fft_plan *p = j->plan;
    C *r;
    switch (j->kind) {
    case EM_FFT_C2C:
        if (nl == 1 && p->c->sub1 && j->big && is == 1 && os == 1)
            /* a long dense line: four-step straight from input to output */
            return j->big(p->c, src[0], dst[0], cj, sc) ? EM_OK : em_error_code();
        FP_NAME(gather)(src, nl, n, 2 * is, 1, buf, cj);
        if (!(r = FP_NAME(xf)(j, p->c, buf, scratch))) return em_error_code();
        FP_NAME(scatter)(dst, nl, n, 2 * os, 1, r, sc, cj * sc);
        break;
    case EM_FFT_R2C:
        if (n % 2 == 0) {
            /* z_e = x_2e + i x_2e+1 */
            FP_NAME(gather)(src, nl, h, 2 * is, is, buf, 1.0f);
            if (!(r = FP_NAME(xf)(j, p->c, buf, scratch))) return em_error_code();
            FP_NAME(r2c_post)(p, r, buf2);
            FP_NAME(scatter)(dst, nl, h + 1, 2 * os, 1, buf2, sc, cj * sc);
        } else {
            for (int l = 0; l < nl; l++)
                for (int64_t e = 0; e < n; e++) {
                    FP_LANE(buf[e].r, l) = src[l][e * is];
                    FP_LANE(buf[e].i, l) = 0;
                }
            if (!(r = FP_NAME(xf)(j, p->c, buf, scratch))) return em_error_code();
            FP_NAME(scatter)(dst, nl, h + 1, 2 * os, 1, r, sc, cj * sc);
        }
        break;
    case EM_FFT_C2R:
        /* the inverse is the natural direction here: the forward one reads
         * the input conjugated */
        FP_NAME(gather)(src, nl, h + 1, 2 * is, 1, buf, j->inverse ? 1.0f : -1.0f);
        if (n % 2 == 0) {
            FP_NAME(c2r_pre)(p, buf, buf2);
            if (!(r = FP_NAME(xf)(j, p->c, buf2, scratch))) return em_error_code();
            /* y_2e = re, y_2e+1 = -im */
            FP_NAME(scatter)(dst, nl, h, 2 * os, os, r, sc, -sc);
        } else {
            /* the full Hermitian spectrum, conjugated for the forward pass */
            buf2[0].r = buf[0].r;
            buf2[0].i = 0 * buf[0].r;
            for (int64_t k = 1; k <= h; k++) {
                buf2[k] = FP_NAME(conj)(buf[k]);
                buf2[n - k] = buf[k];
            }
            if (!(r = FP_NAME(xf)(j, p->c, buf2, scratch))) return em_error_code();
            for (int l = 0; l < nl; l++)
                for (int64_t e = 0; e < n; e++) dst[l][e * os] = sc * FP_LANE(r[e].r, l);
        }
        break;
    default: break;
    }
    return EM_OK;
}

#undef C
