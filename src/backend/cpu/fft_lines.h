/* fft_lines.h -- one group of up to FP_W lines of an FFT node: gathered from
 * the input (conjugated for the inverse direction), transformed with the
 * passes of fft_passes.h, scattered to the output (conjugated back, scaled).
 * Included by fft.c after fft_passes.h, with the same FP_* macros, and
 * FP_GATHER / FP_SCATTER naming the lane type's transposing copies of dense
 * interleaved pairs when it has them (see fft.c). */

#define C FP_NAME(c)

/* The forward transform of buf (c->n elements) in place: the job's long-line
 * routine for four-step plans, when it has one, else the passes. */
static FP_ATTR void FP_NAME(xf)(const fft_job *j, const fft_cplan *c, C *buf, C *scratch) {
    if (c->sub1 && j->big) j->big(c, buf, buf, j->bigwork, 1.0f, 1.0f);
    else FP_NAME(cfft)(c, buf, scratch);
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
    for (int l = 0; l < nl; l++) {
        float *y = dst[l];
        for (int64_t e = 0; e < count; e++) {
            y[e * step] = sr * FP_LANE(buf[e].r, l);
            y[e * step + imoff] = si * FP_LANE(buf[e].i, l);
        }
    }
}

/* Lines t0 .. t0 + nl - 1 of job j (nl <= FP_W). buf and buf2 hold n + 1
 * elements, scratch the plan's scratch. */
static FP_ATTR void FP_NAME(group)(const fft_job *j, int64_t t0, int nl, void *bufv, void *buf2v,
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
    switch (j->kind) {
    case EM_FFT_C2C:
        if (nl == 1 && p->c->sub1 && j->big && is == 1 && os == 1) {
            /* a long dense line: four-step straight from input to output */
            j->big(p->c, src[0], dst[0], j->bigwork, cj, sc);
            break;
        }
        FP_NAME(gather)(src, nl, n, 2 * is, 1, buf, cj);
        FP_NAME(xf)(j, p->c, buf, scratch);
        FP_NAME(scatter)(dst, nl, n, 2 * os, 1, buf, sc, cj * sc);
        break;
    case EM_FFT_R2C:
        if (n % 2 == 0) {
            /* z_e = x_2e + i x_2e+1 */
            FP_NAME(gather)(src, nl, h, 2 * is, is, buf, 1.0f);
            FP_NAME(xf)(j, p->c, buf, scratch);
            FP_NAME(r2c_post)(p, buf, buf2);
            FP_NAME(scatter)(dst, nl, h + 1, 2 * os, 1, buf2, sc, cj * sc);
        } else {
            for (int l = 0; l < nl; l++)
                for (int64_t e = 0; e < n; e++) {
                    FP_LANE(buf[e].r, l) = src[l][e * is];
                    FP_LANE(buf[e].i, l) = 0;
                }
            FP_NAME(xf)(j, p->c, buf, scratch);
            FP_NAME(scatter)(dst, nl, h + 1, 2 * os, 1, buf, sc, cj * sc);
        }
        break;
    case EM_FFT_C2R:
        /* the inverse is the natural direction here: the forward one reads
         * the input conjugated */
        FP_NAME(gather)(src, nl, h + 1, 2 * is, 1, buf, j->inverse ? 1.0f : -1.0f);
        if (n % 2 == 0) {
            FP_NAME(c2r_pre)(p, buf, buf2);
            FP_NAME(xf)(j, p->c, buf2, scratch);
            /* y_2e = re, y_2e+1 = -im */
            FP_NAME(scatter)(dst, nl, h, 2 * os, os, buf2, sc, -sc);
        } else {
            /* the full Hermitian spectrum, conjugated for the forward pass */
            buf2[0].r = buf[0].r;
            buf2[0].i = 0 * buf[0].r;
            for (int64_t k = 1; k <= h; k++) {
                buf2[k] = FP_NAME(conj)(buf[k]);
                buf2[n - k] = buf[k];
            }
            FP_NAME(xf)(j, p->c, buf2, scratch);
            for (int l = 0; l < nl; l++)
                for (int64_t e = 0; e < n; e++) dst[l][e * os] = sc * FP_LANE(buf2[e].r, l);
        }
        break;
    default: break;
    }
}

#undef C
