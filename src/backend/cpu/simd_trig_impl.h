/* simd_trig_impl.h -- the vectorised float32 trigonometry of scalar_trig.h, written once over a small set of
 * vector operations that simd_trig_avx512.c and simd_trig_avx2.c define before including it, so both builds do
 * the same arithmetic as the scalar functions, lane for lane. Every branch of a scalar function is computed in
 * every lane and blended; sin/cos/tan lanes beyond EM_TRIG_BOUND_F (and inf/NaN) are redone by the scalar exact
 * path.
 *
 * The includer defines: V (vector of W floats), M (lane mask), VI (vector of W int32), TGT (target attribute),
 * and the static inline functions vset, vadd, vsub, vmul, vdiv, vfma (a*b+c, one rounding), vfnma (-(a*b)+c),
 * vsqrt, vabs, vneg, vmax (a > b ? a : b), vmin (a < b ? a : b), vcopysign(mag, sgn), vsel(m, no, yes),
 * mgt/meq (ordered compares),
 * mnle (not a <= b: true on NaN), munord, mor, mand, mxor, msign (VI of sign bits where set), mneg (sign bit set), mbits (mask to an unsigned, lane i in bit i), vbits
 * (reinterpret), viand (and with a constant), viadd (add a constant), vislli30 (shift left by 30), vxorbits(v, VI),
 * modd (low bit of VI set),
 * and the loads and stores vload, vstore, vload_tail(p, k), vstore_tail(p, k, v) for k < W lanes. */

/* ---- sin, cos, tan ---- */

/* r = x - n pi/2; *k gets the rounded quotient whose bits hold n (scalar_trig.h's em_trig_reduce_f32) */
static inline TGT V trig_reduce(V x, VI *q) {
    V k = vfma(x, vset(EM_TRIG_2_PI_F), vset(EM_TRIG_MAGIC_F));
    *q = vbits(k);
    V n = vsub(k, vset(EM_TRIG_MAGIC_F));
    V r = vfnma(n, vset(EM_PIO2_1_F), x);
    r = vfnma(n, vset(EM_PIO2_2_F), r);
    return vfnma(n, vset(EM_PIO2_3_F), r);
}

static inline TGT V sincos_quadrant(V r, VI q) {
    V z = vmul(r, r);
    V ps = vset(EM_SIN_S2);
    ps = vfma(ps, z, vset(EM_SIN_S1));
    ps = vfma(ps, z, vset(EM_SIN_S0));
    V s = vfma(vmul(r, z), ps, r);
    V pc = vset(EM_COS_C2);
    pc = vfma(pc, z, vset(EM_COS_C1));
    pc = vfma(pc, z, vset(EM_COS_C0));
    V c = vfma(vmul(z, z), pc, vfnma(vset(0.5f), z, vset(1.0f)));
    V v = vsel(modd(q), s, c);
    return vxorbits(v, vislli30(viand(q, 2)));
}

static inline TGT V sin_v(V x) {
    VI q;
    V r = trig_reduce(x, &q);
    return vsel(meq(x, vset(0.0f)), sincos_quadrant(r, q), x);
}
static inline TGT V cos_v(V x) {
    VI q;
    V r = trig_reduce(x, &q);
    return sincos_quadrant(r, viadd(q, 1));
}
/* r = r_hi + r_lo (em_trig_reduce2_f32) */
static inline TGT V trig_reduce2(V x, VI *q, V *lo) {
    V k = vfma(x, vset(EM_TRIG_2_PI_F), vset(EM_TRIG_MAGIC_F));
    *q = vbits(k);
    V n = vsub(k, vset(EM_TRIG_MAGIC_F));
    V r1 = vfnma(n, vset(EM_PIO2_1_F), x);
    V c = vmul(n, vset(-EM_PIO2_2_F));
    V ce = vfma(n, vset(-EM_PIO2_2_F), vneg(c));
    V s = vadd(r1, c), bb = vsub(s, r1);
    V err = vadd(vsub(r1, vsub(s, bb)), vsub(c, bb));
    *lo = vfma(n, vset(-EM_PIO2_3_F), vadd(err, ce));
    return s;
}

static inline TGT V tan_v(V x) {
    VI q;
    V rl, rh = trig_reduce2(x, &q, &rl);
    V z = vmul(rh, rh);
    V p = vset(EM_TAN_T6);
    p = vfma(p, z, vset(EM_TAN_T5));
    p = vfma(p, z, vset(EM_TAN_T4));
    p = vfma(p, z, vset(EM_TAN_T3));
    p = vfma(p, z, vset(EM_TAN_T2));
    p = vfma(p, z, vset(EM_TAN_T1));
    p = vfma(p, z, vset(EM_TAN_T0));
    V tail = vfma(vmul(rh, z), p, rl);
    V th = vadd(rh, tail);
    V tl = vsub(tail, vsub(th, rh));
    V y = vdiv(vset(-1.0f), th);
    V rho = vfma(y, tl, vfma(y, th, vset(1.0f)));
    V r = vsel(modd(q), th, vfma(y, rho, y));
    return vsel(meq(x, vset(0.0f)), r, x);
}

/* ---- arcsin, arccos ---- */

static inline TGT V asin_horner(V z) {
    V p = vset(EM_ASIN_A4);
    p = vfma(p, z, vset(EM_ASIN_A3));
    p = vfma(p, z, vset(EM_ASIN_A2));
    p = vfma(p, z, vset(EM_ASIN_A1));
    return vfma(p, z, vset(EM_ASIN_A0));
}

static inline TGT V asin_v(V x) {
    V a = vabs(x);
    M big = mgt(a, vset(0.5f));
    V zb = vmul(vset(0.5f), vsub(vset(1.0f), a));
    V z = vsel(big, vmul(x, x), zb);
    V s = vsel(big, x, vsqrt(zb));
    V p = asin_horner(z), sz = vmul(s, z);
    V w = vfma(sz, p, s);
    V h = vfnma(vset(2.0f), s, vset(EM_PIO2_HI_F));
    V e = vsub(vmul(vset(-2.0f), s), vsub(h, vset(EM_PIO2_HI_F)));
    V rb = vadd(h, vadd(e, vfnma(vset(2.0f), vmul(sz, p), vset(EM_PIO2_LO_F))));
    return vsel(big, w, vcopysign(rb, x));
}

static inline TGT V acos_v(V x) {
    V a = vabs(x);
    M big = mgt(a, vset(0.5f));
    V zb = vmul(vset(0.5f), vsub(vset(1.0f), a));
    V z = vsel(big, vmul(x, x), zb);
    V p = asin_horner(z);
    V s = vsqrt(zb);
    V sz = vmul(s, z);
    V w2 = vmul(vset(2.0f), vfma(sz, p, s));
    V h = vfnma(vset(2.0f), s, vset(EM_PI_HI_F));
    V e = vsub(vmul(vset(-2.0f), s), vsub(h, vset(EM_PI_HI_F)));
    V rn = vadd(h, vadd(e, vfnma(vset(2.0f), vmul(sz, p), vset(EM_PI_LO_F))));
    V rb = vsel(mgt(x, vset(0.0f)), rn, w2);
    V u = vfma(vmul(x, z), p, vset(-EM_PIO2_LO_F));
    V rs = vsub(vset(EM_PIO2_HI_F), vadd(x, u));
    return vsel(big, rs, rb);
}

/* ---- arctan, arctan2 ---- */

static inline TGT V atan_horner(V z) {
    V p = vset(EM_ATAN_B8);
    p = vfma(p, z, vset(EM_ATAN_B7));
    p = vfma(p, z, vset(EM_ATAN_B6));
    p = vfma(p, z, vset(EM_ATAN_B5));
    p = vfma(p, z, vset(EM_ATAN_B4));
    p = vfma(p, z, vset(EM_ATAN_B3));
    p = vfma(p, z, vset(EM_ATAN_B2));
    p = vfma(p, z, vset(EM_ATAN_B1));
    return vfma(p, z, vset(EM_ATAN_B0));
}

/* em_atan_sum_f32 */
static inline TGT V atan_sum(V hi, V t, V u) {
    V s = vadd(hi, t);
    V e = vsub(t, vsub(s, hi));
    return vadd(s, vadd(e, u));
}

static inline TGT V atan_v(V x) {
    V a = vabs(x), zero = vset(0.0f);
    M big = mgt(a, vset(1.0f));
    V num = vsel(big, a, vset(-1.0f));
    V den = vsel(big, vset(1.0f), vmin(a, vset(0x1p100f)));
    V t = vdiv(num, den);
    V tl = vmul(vfnma(t, den, num), t);
    V hi = vsel(big, zero, vset(EM_PIO2_HI_F)), lo = vsel(big, zero, vset(EM_PIO2_LO_F));
    V z = vmul(t, t);
    V u = vfma(vmul(t, z), atan_horner(z), vsub(lo, tl));
    return vcopysign(atan_sum(hi, t, u), x);
}

/* arctan2 for lanes with max(|y|, |x|) in [2^-60, 2^125], min 0 or >= 2^-100 and no NaN: the scalar function's
 * general case; *out gets the other lanes. */
static inline TGT V atan2_v(V y, V x, unsigned *out) {
    V a = vabs(y), b = vabs(x), zero = vset(0.0f);
    V mx = vmax(a, b), mn = vmin(a, b);
    *out = mbits(mor(mor(mnle(mx, vset(0x1p125f)), mgt(vset(0x1p-60f), mx)),
                     mor(mand(mgt(vset(0x1p-100f), mn), mgt(mn, zero)), munord(a, b))));
    V d = vdiv(vset(1.0f), mx);
    V t = vmul(mn, d);
    V tl = vmul(vfnma(t, mx, mn), d);
    M big = mgt(a, b), neg = mneg(x);
    V hi = vsel(big, vsel(neg, zero, vset(EM_PI_HI_F)), vset(EM_PIO2_HI_F));
    V lo = vsel(big, vsel(neg, zero, vset(EM_PI_LO_F)), vset(EM_PIO2_LO_F));
    V z = vmul(t, t);
    V p = atan_horner(z);
    VI sg = msign(mxor(big, neg));
    V tz = vxorbits(vmul(t, z), sg);
    t = vxorbits(t, sg);
    tl = vxorbits(tl, sg);
    V u = vfma(tz, p, vadd(tl, lo));
    return vcopysign(atan_sum(hi, t, u), y);
}

/* ---- loops ---- */

/* sin/cos/tan: lanes with !(|x| <= bound) (in bits) take the scalar exact path. */
__attribute__((noinline, cold)) static TGT V trig_fix_big(V x, V r, unsigned bits, float (*big)(float)) {
    float xs[W], rs[W];
    vstore(xs, x);
    vstore(rs, r);
    for (int j = 0; j < W; j++)
        if (bits >> j & 1u) rs[j] = big(xs[j]);
    return vload(rs);
}

#define TRIG_UNARY(name, F, HAS_BIG, BIG)                                      \
    static TGT void name(const float *a, float *o, int64_t n) {               \
        int64_t i = 0;                                                         \
        for (; i + 2 * W <= n; i += 2 * W) { /* two independent vectors */     \
            V x0 = vload(a + i), x1 = vload(a + i + W);                        \
            V r0 = F(x0), r1 = F(x1);                                          \
            if (HAS_BIG) {                                                     \
                unsigned b0 = mbits(mnle(vabs(x0), vset(EM_TRIG_BOUND_F)));    \
                unsigned b1 = mbits(mnle(vabs(x1), vset(EM_TRIG_BOUND_F)));    \
                if (b0 | b1) {                                                 \
                    if (b0) r0 = trig_fix_big(x0, r0, b0, BIG);                \
                    if (b1) r1 = trig_fix_big(x1, r1, b1, BIG);                \
                }                                                              \
            }                                                                  \
            vstore(o + i, r0);                                                 \
            vstore(o + i + W, r1);                                             \
        }                                                                      \
        for (; i < n; i += W) {                                                \
            int64_t k = n - i;                                                 \
            V x = k >= W ? vload(a + i) : vload_tail(a + i, k);                \
            V r = F(x);                                                        \
            if (HAS_BIG) {                                                     \
                unsigned bits = mbits(mnle(vabs(x), vset(EM_TRIG_BOUND_F)));   \
                if (bits) r = trig_fix_big(x, r, bits, BIG);                   \
            }                                                                  \
            if (k >= W) vstore(o + i, r);                                      \
            else vstore_tail(o + i, k, r);                                     \
        }                                                                      \
    }
TRIG_UNARY(trig_sin, sin_v, 1, em_sin_big_f32)
TRIG_UNARY(trig_cos, cos_v, 1, em_cos_big_f32)
TRIG_UNARY(trig_tan, tan_v, 1, em_tan_big_f32)
TRIG_UNARY(trig_arcsin, asin_v, 0, em_sin_big_f32)
TRIG_UNARY(trig_arccos, acos_v, 0, em_sin_big_f32)
TRIG_UNARY(trig_arctan, atan_v, 0, em_sin_big_f32)
#undef TRIG_UNARY

/* arctan2's lanes outside the vector case (out), through the scalar function */
__attribute__((noinline, cold)) static TGT V atan2_fix(V y, V x, V r, unsigned out) {
    float ys[W], xs[W], rs[W];
    vstore(ys, y);
    vstore(xs, x);
    vstore(rs, r);
    for (int j = 0; j < W; j++)
        if (out >> j & 1u) rs[j] = em_arctan2_f32(ys[j], xs[j]);
    return vload(rs);
}

static TGT void trig_arctan2(const float *a, const float *b, float *o, int64_t n, int mode) {
    V va = vset(a[0]), vb = vset(b[0]);
    int64_t i = 0;
    if (mode == CPU_SIMD_VV) {
        for (; i + 2 * W <= n; i += 2 * W) { /* two independent vectors */
            V y0 = vload(a + i), x0 = vload(b + i), y1 = vload(a + i + W), x1 = vload(b + i + W);
            unsigned out0, out1;
            V r0 = atan2_v(y0, x0, &out0), r1 = atan2_v(y1, x1, &out1);
            if (out0 | out1) {
                if (out0) r0 = atan2_fix(y0, x0, r0, out0);
                if (out1) r1 = atan2_fix(y1, x1, r1, out1);
            }
            vstore(o + i, r0);
            vstore(o + i + W, r1);
        }
    }
    for (; i < n; i += W) {
        int64_t k = n - i;
        V y = mode == CPU_SIMD_SV ? va : k >= W ? vload(a + i) : vload_tail(a + i, k);
        V x = mode == CPU_SIMD_VS ? vb : k >= W ? vload(b + i) : vload_tail(b + i, k);
        unsigned out;
        V r = atan2_v(y, x, &out);
        if (out) r = atan2_fix(y, x, r, out);
        if (k >= W) vstore(o + i, r);
        else vstore_tail(o + i, k, r);
    }
}
