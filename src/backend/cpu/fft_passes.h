/* fft_passes.h -- the forward complex FFT (butterfly passes and Bluestein) and
 * the even-length real pre/post-processing, written once for any "lane" type
 * and included once per lane type by fft.c.
 *
 * A lane type FP_R is float (one transform at a time, complex numbers stored
 * as complex64) or a GCC vector of floats: then each complex element holds
 * the same element of FP_W independent transforms (structure of arrays), so
 * every butterfly is FP_W butterflies and no shuffles are needed. Before
 * including, define:
 *   FP_R        the component type        FP_W     lanes in it (1 for float)
 *   FP_NAME(x)  the name of x here        FP_ATTR  attributes of every function
 *   FP_LANE(v, l)  lane l of a component (v itself for float)
 * Everything defined is static; the macros are undefined at the end. */

typedef struct { FP_R r, i; } FP_NAME(c);
#define C FP_NAME(c)

static inline FP_ATTR C FP_NAME(add)(C a, C b) { C z = {a.r + b.r, a.i + b.i}; return z; }
static inline FP_ATTR C FP_NAME(sub)(C a, C b) { C z = {a.r - b.r, a.i - b.i}; return z; }
/* a * w, w a scalar twiddle shared by every lane */
static inline FP_ATTR C FP_NAME(mulw)(C a, fft_cf w) {
    C z = {a.r * w.r - a.i * w.i, a.r * w.i + a.i * w.r};
    return z;
}
/* -i * a */
static inline FP_ATTR C FP_NAME(rotm)(C a) { C z = {a.i, -a.r}; return z; }
static inline FP_ATTR C FP_NAME(conj)(C a) { C z = {a.r, -a.i}; return z; }
#define ADD FP_NAME(add)
#define SUB FP_NAME(sub)
#define MULW FP_NAME(mulw)
#define ROTM FP_NAME(rotm)

/* FFTPACK's indexing: the input holds l1 blocks of ip * ido elements, the
 * output ip blocks of l1 * ido; WA(j, i) is the twiddle of output j, element i. */
#define CC(a, b, c) cc[(a) + ido * ((b) + ip * (c))]
#define CH(a, b, c) ch[(a) + ido * ((b) + l1 * (c))]
#define WA(j, i) wa[(j) * ido + (i)]

static FP_ATTR void FP_NAME(pass2)(size_t ido, size_t l1, const C *restrict cc, C *restrict ch,
                                   const fft_cf *restrict wa) {
    const size_t ip = 2;
    if (ido == 1) {
        for (size_t k = 0; k < l1; k++) {
            C t0 = CC(0, 0, k), t1 = CC(0, 1, k);
            CH(0, k, 0) = ADD(t0, t1);
            CH(0, k, 1) = SUB(t0, t1);
        }
        return;
    }
    for (size_t k = 0; k < l1; k++)
        for (size_t i = 0; i < ido; i++) {
            C t0 = CC(i, 0, k), t1 = CC(i, 1, k);
            CH(i, k, 0) = ADD(t0, t1);
            CH(i, k, 1) = MULW(SUB(t0, t1), WA(0, i));
        }
}

#define BFLY3(t0, t1, t2, y0, y1, y2)                                          \
    do {                                                                       \
        C s_ = ADD(t1, t2), d_ = SUB(t1, t2);                                  \
        y0 = ADD(t0, s_);                                                      \
        C c_ = {t0.r - 0.5f * s_.r, t0.i - 0.5f * s_.i};                       \
        C e_ = {tw3 * d_.i, -tw3 * d_.r};                                      \
        y1 = ADD(c_, e_);                                                      \
        y2 = SUB(c_, e_);                                                      \
    } while (0)

static FP_ATTR void FP_NAME(pass3)(size_t ido, size_t l1, const C *restrict cc, C *restrict ch,
                                   const fft_cf *restrict wa) {
    const size_t ip = 3;
    const float tw3 = 0.86602540378443864676f;
    for (size_t k = 0; k < l1; k++)
        for (size_t i = 0; i < ido; i++) {
            C y0, y1, y2, t0 = CC(i, 0, k), t1 = CC(i, 1, k), t2 = CC(i, 2, k);
            BFLY3(t0, t1, t2, y0, y1, y2);
            CH(i, k, 0) = y0;
            if (ido == 1) {
                CH(i, k, 1) = y1;
                CH(i, k, 2) = y2;
            } else {
                CH(i, k, 1) = MULW(y1, WA(0, i));
                CH(i, k, 2) = MULW(y2, WA(1, i));
            }
        }
}

#define BFLY4(t0, t1, t2, t3, y0, y1, y2, y3)                                  \
    do {                                                                       \
        C a_ = ADD(t0, t2), b_ = SUB(t0, t2), c_ = ADD(t1, t3), d_ = ROTM(SUB(t1, t3)); \
        y0 = ADD(a_, c_);                                                      \
        y2 = SUB(a_, c_);                                                      \
        y1 = ADD(b_, d_);                                                      \
        y3 = SUB(b_, d_);                                                      \
    } while (0)

static FP_ATTR void FP_NAME(pass4)(size_t ido, size_t l1, const C *restrict cc, C *restrict ch,
                                   const fft_cf *restrict wa) {
    const size_t ip = 4;
    if (ido == 1) {
        for (size_t k = 0; k < l1; k++) {
            C y0, y1, y2, y3;
            BFLY4(CC(0, 0, k), CC(0, 1, k), CC(0, 2, k), CC(0, 3, k), y0, y1, y2, y3);
            CH(0, k, 0) = y0;
            CH(0, k, 1) = y1;
            CH(0, k, 2) = y2;
            CH(0, k, 3) = y3;
        }
        return;
    }
    for (size_t k = 0; k < l1; k++)
        for (size_t i = 0; i < ido; i++) {
            C y0, y1, y2, y3;
            BFLY4(CC(i, 0, k), CC(i, 1, k), CC(i, 2, k), CC(i, 3, k), y0, y1, y2, y3);
            CH(i, k, 0) = y0;
            CH(i, k, 1) = MULW(y1, WA(0, i));
            CH(i, k, 2) = MULW(y2, WA(1, i));
            CH(i, k, 3) = MULW(y3, WA(2, i));
        }
}

static FP_ATTR void FP_NAME(pass5)(size_t ido, size_t l1, const C *restrict cc, C *restrict ch,
                                   const fft_cf *restrict wa) {
    const size_t ip = 5;
    const float c1 = 0.30901699437494742410f, c2 = -0.80901699437494742410f,
                s1 = 0.95105651629515357212f, s2 = 0.58778525229247312917f;
    for (size_t k = 0; k < l1; k++)
        for (size_t i = 0; i < ido; i++) {
            C t0 = CC(i, 0, k), t1 = CC(i, 1, k), t2 = CC(i, 2, k), t3 = CC(i, 3, k), t4 = CC(i, 4, k);
            C sa = ADD(t1, t4), da = SUB(t1, t4), sb = ADD(t2, t3), db = SUB(t2, t3);
            C y0 = {t0.r + sa.r + sb.r, t0.i + sa.i + sb.i};
            C a1 = {t0.r + c1 * sa.r + c2 * sb.r, t0.i + c1 * sa.i + c2 * sb.i};
            C a2 = {t0.r + c2 * sa.r + c1 * sb.r, t0.i + c2 * sa.i + c1 * sb.i};
            /* b = -i * (sum of sines times differences) */
            C u1 = {s1 * da.r + s2 * db.r, s1 * da.i + s2 * db.i};
            C u2 = {s2 * da.r - s1 * db.r, s2 * da.i - s1 * db.i};
            C b1 = ROTM(u1), b2 = ROTM(u2);
            C y1 = ADD(a1, b1), y4 = SUB(a1, b1), y2 = ADD(a2, b2), y3 = SUB(a2, b2);
            CH(i, k, 0) = y0;
            if (ido == 1) {
                CH(i, k, 1) = y1;
                CH(i, k, 2) = y2;
                CH(i, k, 3) = y3;
                CH(i, k, 4) = y4;
            } else {
                CH(i, k, 1) = MULW(y1, WA(0, i));
                CH(i, k, 2) = MULW(y2, WA(1, i));
                CH(i, k, 3) = MULW(y3, WA(2, i));
                CH(i, k, 4) = MULW(y4, WA(3, i));
            }
        }
}

/* Any odd ip <= FFT_MAX_GENERIC: y_m = t0 + sum_j cos(2 pi jm/ip) s_j
 * -+ i sum_j sin(2 pi jm/ip) d_j, with s_j, d_j = t_j +- t_(ip-j). */
static FP_ATTR void FP_NAME(passg)(size_t ido, size_t l1, size_t ip, const C *restrict cc,
                                   C *restrict ch, const fft_cf *restrict wa,
                                   const fft_cf *restrict roots) {
    size_t h = (ip - 1) / 2;
    C s[FFT_MAX_GENERIC / 2 + 1], d[FFT_MAX_GENERIC / 2 + 1];
    for (size_t k = 0; k < l1; k++)
        for (size_t i = 0; i < ido; i++) {
            C t0 = CC(i, 0, k), y0 = t0;
            for (size_t j = 1; j <= h; j++) {
                C a = CC(i, j, k), b = CC(i, ip - j, k);
                s[j] = ADD(a, b);
                d[j] = SUB(a, b);
                y0 = ADD(y0, s[j]);
            }
            CH(i, k, 0) = y0;
            for (size_t m = 1; m <= h; m++) {
                C a = t0, v;
                v.r = 0 * t0.r;
                v.i = 0 * t0.i;
                size_t q = 0;
                for (size_t j = 1; j <= h; j++) {
                    q += m;
                    if (q >= ip) q -= ip;
                    /* roots[q] = cos - i sin: the sine's sign is folded in below */
                    float cr = roots[q].r, sn = -roots[q].i;
                    a.r += cr * s[j].r;
                    a.i += cr * s[j].i;
                    v.r += sn * d[j].r;
                    v.i += sn * d[j].i;
                }
                C b = ROTM(v), y1 = ADD(a, b), y2 = SUB(a, b);
                if (ido > 1) {
                    y1 = MULW(y1, WA(m - 1, i));
                    y2 = MULW(y2, WA(ip - m - 1, i));
                }
                CH(i, k, m) = y1;
                CH(i, k, ip - m) = y2;
            }
        }
}

#undef CC
#undef CH
#undef WA
#undef BFLY3
#undef BFLY4

/* The forward transform of x (p->n elements) by passes; returns where the
 * result is: x or scratch (p->n elements). */
static FP_ATTR C *FP_NAME(passes)(const fft_cplan *p, C *x, C *scratch) {
    C *p1 = x, *p2 = scratch;
    size_t n = (size_t)p->n, l1 = 1;
    for (int k = 0; k < p->nfct; k++) {
        size_t ip = (size_t)p->f[k].fct, ido = n / (l1 * ip);
        const fft_cf *tw = p->f[k].tw;
        switch (ip) {
        case 2: FP_NAME(pass2)(ido, l1, p1, p2, tw); break;
        case 3: FP_NAME(pass3)(ido, l1, p1, p2, tw); break;
        case 4: FP_NAME(pass4)(ido, l1, p1, p2, tw); break;
        case 5: FP_NAME(pass5)(ido, l1, p1, p2, tw); break;
        default: FP_NAME(passg)(ido, l1, ip, p1, p2, tw, p->f[k].roots); break;
        }
        C *t = p1;
        p1 = p2;
        p2 = t;
        l1 *= ip;
    }
    return p1;
}

/* The forward transform of x (p->n elements); scratch holds p->scratch
 * elements. Returns where the result is: x or scratch. Bluestein:
 * X_k = conj(w_k) sum_j x_j conj(w_j) w_(k-j) with w_j = e^(pi i j^2/n), a
 * circular convolution of length m done as conj(forward(conj(forward(a) *
 * bkf))) (the inverse through the forward); its result is in x. */
static FP_ATTR C *FP_NAME(cfft_to)(const fft_cplan *p, C *x, C *scratch) {
    if (!p->blue) return FP_NAME(passes)(p, x, scratch);
    int64_t n = p->n, m = p->m;
    C *a = scratch, *b = scratch + m;
    for (int64_t k = 0; k < n; k++) a[k] = MULW(x[k], p->bk[k]);
    for (int64_t k = n; k < m; k++) a[k].r = a[k].i = 0 * x[0].r;
    C *r = FP_NAME(passes)(p->blue, a, b);
    for (int64_t k = 0; k < m; k++) r[k] = FP_NAME(conj)(MULW(r[k], p->bkf[k]));
    C *r2 = FP_NAME(passes)(p->blue, r, r == a ? b : a);
    for (int64_t k = 0; k < n; k++) x[k] = MULW(FP_NAME(conj)(r2[k]), p->bk[k]);
    return x;
}

/* The same, the result in x. */
static FP_ATTR void FP_NAME(cfft)(const fft_cplan *p, C *x, C *scratch) {
    C *r = FP_NAME(cfft_to)(p, x, scratch);
    if (r != x) memcpy(x, r, (size_t)p->n * sizeof(C));
}

/* Real forward transform of even length n = 2h, after the complex one: Z
 * holds the h-point transform of z_j = x_(2j) + i x_(2j+1); out gets
 * X_0..X_h. */
static FP_ATTR void FP_NAME(r2c_post)(const fft_plan *p, const C *Z, C *out) {
    int64_t h = p->n / 2;
    C z0 = Z[0];
    out[0].r = z0.r + z0.i;
    out[h].r = z0.r - z0.i;
    out[0].i = out[h].i = 0 * z0.r;
    for (int64_t k = 1; k < h; k++) {
        C a = Z[k], b = FP_NAME(conj)(Z[h - k]);
        C e = {0.5f * (a.r + b.r), 0.5f * (a.i + b.i)};
        C o = {0.5f * (a.i - b.i), -0.5f * (a.r - b.r)}; /* (a - b) / (2i) */
        out[k] = ADD(e, MULW(o, p->rtw[k]));
    }
}

/* Real inverse transform of even length n = 2h, unnormalised, before the
 * complex one: X holds X_0..X_h (imaginary parts of X_0, X_h ignored); z
 * (h elements) gets conj(Z), whose forward transform is y packed as
 * y_(2j) - i y_(2j+1) (the caller takes re and -im). */
static FP_ATTR void FP_NAME(c2r_pre)(const fft_plan *p, const C *X, C *z) {
    int64_t h = p->n / 2;
    for (int64_t k = 0; k < h; k++) {
        C a = X[k], b = FP_NAME(conj)(X[h - k]);
        if (k == 0) a.i = b.i = 0 * a.r;
        C s = ADD(a, b), d = SUB(a, b);
        fft_cf w = {p->rtw[k].r, -p->rtw[k].i};
        C t = MULW(d, w);
        /* Z = s + i t, stored conjugated for the forward pass */
        z[k].r = s.r - t.i;
        z[k].i = -(s.i + t.r);
    }
}

#undef ADD
#undef SUB
#undef MULW
#undef ROTM
#undef C
