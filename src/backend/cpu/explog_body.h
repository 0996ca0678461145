/* explog_body.h -- the float32 exp/log family (expm1, log1p, log2, log10,
 * sinh, cosh, arcsinh, arccosh, arctanh, power, logaddexp), written once over
 * a small vector vocabulary and expanded three times: with plain floats in
 * scalar.h (the definition, em_*_f32), with AVX2 in simd_avx2.c and with
 * AVX-512 in simd_avx512.c. Every lane does the same operations in the same
 * order whichever expansion runs, so the results agree bit for bit. Branches
 * are selections (SEL): every lane computes each path, the mask picks one.
 *
 * The includer defines, before including (no include guard: once per
 * expansion; explog_undef.h removes them after), with the prefix VX_:
 *   TGT               function attributes (target(...) or nothing)
 *   FN(name)          the name of a function in this expansion
 *   V, M, VI          float vector, its mask, 32-bit integer vector
 *   SET(c) ISET(c)    broadcasts
 *   ADD SUB MUL DIV FMA(a,b,c)=a*b+c FMS(a,b,c)=a*b-c SQRT ABS NEG
 *   MIN(a,b) MAX(a,b) x86's: a<b?a:b and a>b?a:b (the second if a NaN)
 *   LT LE GT GE EQ NE (ordered) UNORD(a) SIGNM(a) (sign bit set) -> M
 *   MAND MOR MNOT ANY(m)  SEL(m, no, yes)  COPYSIGN(mag, sgn)  RINT(a)
 *   CASTI CASTF IADD ISUB IAND SRAI(a,k) CVTIF (int32 -> float)
 *   SCALE(p, n)       p * 2^n rounded once (n integral, |n| <= 151, p in
 *                     [0.5, 2): p * 2^(n>>1) exact, then * 2^(n - (n>>1)))
 *   EXPF(x)           the expansion's exp (em_exp_f32 / exp256 / exp512)
 *   VD, DSET, DADD, DSUB, DMUL, DDIV, DFMA, DMIN, DMAX, DEQ -> MD, DSEL,
 *   DI, DISET, DCASTI, DCASTF, DIADD, DISUB, DIAND, DIOR, DISRL, DISLL
 *                     the same over doubles (power computes in double)
 * The float32 constants used are in scalar.h. */

/* ---- expm1 ----
 * x = n ln2 + r as exp does (r's rounding error rc kept apart), expm1(r) =
 * r + r^2/2 + r^3 Q(r) + rc (1 + r), then 2^n (1 + q) - 1 as
 * fma(q, 2^n, 2^n - 1) (n >= -1), fma(q, 2^n, 2^n) - 1 (n <= -2, where the
 * subtraction is benign), (1 + q) 2^n for n > 24 (the -1 is lost there). */
static inline VX_TGT VX_V VX_FN(expm1)(VX_V x) {
    VX_V c = VX_MAX(VX_SET(-20.0f), VX_MIN(VX_SET(EM_EXP_BOUND_F), x));
    VX_V nm = VX_FMA(c, VX_SET(EM_LOG2E_F), VX_SET(EM_ROUND_MAGIC_F));
    VX_V n = VX_SUB(nm, VX_SET(EM_ROUND_MAGIC_F));
    VX_V rh = VX_FMA(VX_NEG(n), VX_SET(EM_LN2_HI_F), c);
    VX_V rl = VX_MUL(VX_NEG(n), VX_SET(EM_LN2_LO_F));
    VX_V r = VX_ADD(rh, rl);
    VX_V rc = VX_ADD(VX_SUB(rh, r), rl);
    VX_V r2 = VX_MUL(r, r);
    VX_V q = VX_SET(EM_EXPM1_Q4);
    q = VX_FMA(q, r, VX_SET(EM_EXPM1_Q3));
    q = VX_FMA(q, r, VX_SET(EM_EXPM1_Q2));
    q = VX_FMA(q, r, VX_SET(EM_EXPM1_Q1));
    q = VX_FMA(q, r, VX_SET(EM_EXPM1_Q0));
    VX_V t = VX_FMA(VX_MUL(r2, r), q, VX_FMA(rc, r, rc));
    q = VX_ADD(r, VX_ADD(VX_MUL(VX_SET(0.5f), r2), t));
    VX_VI ni = VX_ISUB(VX_CASTI(nm), VX_CASTI(VX_SET(EM_ROUND_MAGIC_F)));
    VX_V s = VX_CASTF(VX_IAND(VX_SLLI(VX_IADD(ni, VX_ISET(127)), 23), VX_ISET(0x7fffffff)));
    VX_V one = VX_SET(1.0f);
    VX_V ra = VX_FMA(q, s, VX_SUB(s, one));
    VX_V rb = VX_SUB(VX_FMA(q, s, s), one);
    VX_V res = VX_SEL(VX_LT(n, VX_SET(-1.0f)), ra, rb);
    /* |x| < 16 and x != 0 in every lane (so n <= 24, no NaN): done */
    if (!VX_ANY(VX_MNOT(VX_MAND(VX_LT(VX_ABS(x), VX_SET(16.0f)), VX_NE(x, VX_SET(0.0f))))))
        return res;
    res = VX_SEL(VX_GT(n, VX_SET(24.0f)), res, VX_SCALE(VX_ADD(one, q), n));
    res = VX_SEL(VX_EQ(x, VX_SET(0.0f)), res, x);
    return VX_SEL(VX_UNORD(x), res, VX_ADD(x, x));
}

/* ---- log1p of th + tl ----
 * tl a correction far below th's ulp (0 for log1p itself); bump adds bump
 * ln 2 (exactly, through the exponent). th in [sqrt(1/2)-1, sqrt(2)-1): f =
 * th, e = 0; else u = 1 + th (its rounding error cu exact by Fast2Sum) is
 * split as 2^e (1 + f) like log's argument. The part of 1 + th + tl that f
 * misses, c, enters as c / u (approximately: it is below u's ulp). Then
 * log's polynomial in f. th > -1, finite:
 * the callers take the special values apart. */
static inline VX_TGT VX_V VX_FN(log1p2)(VX_V th, VX_V tl, VX_V bump) {
    VX_V one = VX_SET(1.0f);
    VX_V u = VX_ADD(one, th);
    VX_M small = VX_MAND(VX_GE(th, VX_SET(EM_SQRT_HALF_M1_F)), VX_LT(th, VX_SET(EM_SQRT2_M1_F)));
    VX_V cu = VX_ADD(VX_SUB(VX_MAX(th, one), u), VX_MIN(th, one));
    VX_VI ix = VX_ISUB(VX_CASTI(u), VX_ISET((int32_t)EM_SQRT_HALF_BITS));
    VX_V e = VX_CVTIF(VX_SRAI(ix, 23));
    VX_V f = VX_SUB(VX_CASTF(VX_IADD(VX_IAND(ix, VX_ISET(0x007fffff)), VX_ISET((int32_t)EM_SQRT_HALF_BITS))), one);
    e = VX_ADD(VX_SEL(small, e, VX_SET(0.0f)), bump);
    f = VX_SEL(small, f, th);
    /* c / u needs a few bits only (it is below u's ulp): 1/u from the bits
     * (within 12%) and one Newton step (within 1.5%), no division; u is
     * capped where the bit trick would fail (c / u is nothing there). */
    VX_V uc = VX_MIN(u, VX_SET(0x1p100f));
    VX_V r0 = VX_CASTF(VX_ISUB(VX_ISET(0x7ef311c7), VX_CASTI(uc)));
    VX_V cor = VX_MUL(VX_SEL(small, VX_ADD(cu, tl), tl), VX_MUL(r0, VX_FMA(VX_NEG(uc), r0, VX_SET(2.0f))));
    VX_V z = VX_MUL(f, f);
    VX_V p = VX_SET(EM_LOG_P8);
    p = VX_FMA(p, f, VX_SET(EM_LOG_P7));
    p = VX_FMA(p, f, VX_SET(EM_LOG_P6));
    p = VX_FMA(p, f, VX_SET(EM_LOG_P5));
    p = VX_FMA(p, f, VX_SET(EM_LOG_P4));
    p = VX_FMA(p, f, VX_SET(EM_LOG_P3));
    p = VX_FMA(p, f, VX_SET(EM_LOG_P2));
    p = VX_FMA(p, f, VX_SET(EM_LOG_P1));
    p = VX_FMA(p, f, VX_SET(EM_LOG_P0));
    VX_V y = VX_MUL(VX_MUL(p, f), z);
    y = VX_FMA(e, VX_SET(EM_LN2_LO_F), y);
    y = VX_FMA(VX_SET(-0.5f), z, y);
    y = VX_ADD(y, cor);
    VX_V r = VX_ADD(f, y);
    return VX_FMA(e, VX_SET(EM_LN2_HI_F), r);
}

static inline VX_TGT VX_V VX_FN(log1p)(VX_V x) {
    VX_V zero = VX_SET(0.0f);
    VX_V r = VX_FN(log1p2)(x, zero, zero);
    VX_M plain = VX_MAND(VX_MAND(VX_GT(x, VX_SET(-1.0f)), VX_LT(x, VX_SET(INFINITY))), VX_MNOT(VX_EQ(x, zero)));
    if (!VX_ANY(VX_MNOT(plain))) return r; /* no special value: the rules below change nothing */
    r = VX_SEL(VX_EQ(x, VX_SET(INFINITY)), r, x);
    r = VX_SEL(VX_EQ(x, VX_SET(-1.0f)), r, VX_SET(-INFINITY));
    r = VX_SEL(VX_LT(x, VX_SET(-1.0f)), r, VX_SET(NAN));
    r = VX_SEL(VX_EQ(x, zero), r, x);
    return VX_SEL(VX_UNORD(x), r, VX_ADD(x, x));
}

/* ---- log2, log10 ----
 * x = 2^e (1 + f) as in log (subnormals scaled first); log(1 + f) = f + y
 * with y = -f^2/2 + f^3 P(f). The products by log2(e) (log10(e)) are kept
 * exact as a head and a tail (fma), e + head by Fast2Sum, and all the small
 * parts are added last: one rounding of a sum within ~2^-30 of the value. */
/* plain: every lane a normal positive finite number (the common case): the
 * subnormal scaling and the special values are skipped, which changes no
 * lane's value (both are identities on such lanes). */
static inline VX_TGT VX_V VX_FN(log_parts)(VX_V x, bool plain, VX_V *e, VX_V *y) {
    VX_V xs = x;
    VX_VI ix;
    if (plain) {
        ix = VX_ISUB(VX_CASTI(xs), VX_ISET((int32_t)EM_SQRT_HALF_BITS));
        *e = VX_CVTIF(VX_SRAI(ix, 23));
    } else {
        VX_M sub = VX_LT(x, VX_SET(0x1p-126f));
        xs = VX_SEL(sub, x, VX_MUL(x, VX_SET(0x1p23f)));
        ix = VX_ISUB(VX_CASTI(xs), VX_ISET((int32_t)EM_SQRT_HALF_BITS));
        *e = VX_ADD(VX_CVTIF(VX_SRAI(ix, 23)), VX_SEL(sub, VX_SET(0.0f), VX_SET(-23.0f)));
    }
    VX_V f = VX_SUB(VX_CASTF(VX_IADD(VX_IAND(ix, VX_ISET(0x007fffff)), VX_ISET((int32_t)EM_SQRT_HALF_BITS))), VX_SET(1.0f));
    VX_V z = VX_MUL(f, f);
    VX_V p = VX_SET(EM_LOG_P8);
    p = VX_FMA(p, f, VX_SET(EM_LOG_P7));
    p = VX_FMA(p, f, VX_SET(EM_LOG_P6));
    p = VX_FMA(p, f, VX_SET(EM_LOG_P5));
    p = VX_FMA(p, f, VX_SET(EM_LOG_P4));
    p = VX_FMA(p, f, VX_SET(EM_LOG_P3));
    p = VX_FMA(p, f, VX_SET(EM_LOG_P2));
    p = VX_FMA(p, f, VX_SET(EM_LOG_P1));
    p = VX_FMA(p, f, VX_SET(EM_LOG_P0));
    *y = VX_FMA(VX_SET(-0.5f), z, VX_MUL(VX_MUL(p, f), z));
    return f;
}

static inline VX_TGT bool VX_FN(log_plain)(VX_V x) {
    return !VX_ANY(VX_MNOT(VX_MAND(VX_GE(x, VX_SET(0x1p-126f)), VX_LT(x, VX_SET(INFINITY)))));
}

static inline VX_TGT VX_V VX_FN(log_specials)(VX_V x, VX_V r) {
    VX_V zero = VX_SET(0.0f);
    r = VX_SEL(VX_EQ(x, VX_SET(INFINITY)), r, x);
    r = VX_SEL(VX_EQ(x, zero), r, VX_SET(-INFINITY));
    r = VX_SEL(VX_LT(x, zero), r, VX_SET(NAN));
    return VX_SEL(VX_UNORD(x), r, VX_ADD(x, x));
}

static inline VX_TGT VX_V VX_FN(log2)(VX_V x) {
    VX_V e, y;
    bool plain = VX_FN(log_plain)(x);
    VX_V f = VX_FN(log_parts)(x, plain, &e, &y);
    VX_V ph = VX_MUL(f, VX_SET(EM_LOG2E_F));
    VX_V pl = VX_FMS(f, VX_SET(EM_LOG2E_F), ph);
    VX_V lo = VX_FMA(y, VX_SET(EM_LOG2E_F), VX_FMA(f, VX_SET(EM_LOG2E_LO_F), pl));
    VX_V s = VX_ADD(e, ph);
    VX_V es = VX_ADD(VX_SUB(e, s), ph);
    VX_V r = VX_ADD(s, VX_ADD(es, lo));
    return plain ? r : VX_FN(log_specials)(x, r);
}

static inline VX_TGT VX_V VX_FN(log10)(VX_V x) {
    VX_V e, y;
    bool plain = VX_FN(log_plain)(x);
    VX_V f = VX_FN(log_parts)(x, plain, &e, &y);
    VX_V eh = VX_MUL(e, VX_SET(EM_LOG10_2_HI_F));
    VX_V ph = VX_MUL(f, VX_SET(EM_LOG10E_F));
    VX_V pl = VX_FMS(f, VX_SET(EM_LOG10E_F), ph);
    VX_V s = VX_ADD(eh, ph);
    VX_V es = VX_ADD(VX_SUB(eh, s), ph);
    VX_V lo = VX_FMA(y, VX_SET(EM_LOG10E_F), VX_FMA(f, VX_SET(EM_LOG10E_LO_F), VX_FMA(e, VX_SET(EM_LOG10_2_LO_F), pl)));
    VX_V r = VX_ADD(s, VX_ADD(es, lo));
    return plain ? r : VX_FN(log_specials)(x, r);
}

/* ---- sinh, cosh ----
 * h = e^|x| / 2 from exp's reduction and polynomial (scaled by 2^(n-1), so
 * that h stays finite up to cosh's own overflow); cosh = h + 1/(4h);
 * sinh = h - 1/(4h) for |x| >= 1, x + x^3 S(x^2) below. */
static inline VX_TGT VX_V VX_FN(half_exp)(VX_V a) {
    VX_V c = VX_MIN(VX_SET(EM_EXP_BOUND_F), a);
    VX_V magic = VX_SET(EM_ROUND_MAGIC_F);
    VX_V n = VX_SUB(VX_FMA(c, VX_SET(EM_LOG2E_F), magic), magic);
    VX_V r = VX_FMA(VX_NEG(n), VX_SET(EM_LN2_HI_F), c);
    r = VX_FMA(VX_NEG(n), VX_SET(EM_LN2_LO_F), r);
    VX_V p = VX_SET(EM_EXP_C6);
    p = VX_FMA(p, r, VX_SET(EM_EXP_C5));
    p = VX_FMA(p, r, VX_SET(EM_EXP_C4));
    p = VX_FMA(p, r, VX_SET(EM_EXP_C3));
    p = VX_FMA(p, r, VX_SET(EM_EXP_C2));
    p = VX_FMA(p, r, VX_SET(1.0f));
    p = VX_FMA(p, r, VX_SET(1.0f));
    return VX_SCALE(p, VX_SUB(n, VX_SET(1.0f)));
}

static inline VX_TGT VX_V VX_FN(cosh)(VX_V x) {
    VX_V h = VX_FN(half_exp)(VX_ABS(x));
    VX_V r = VX_ADD(h, VX_DIV(VX_SET(0.25f), h));
    return VX_SEL(VX_UNORD(x), r, VX_ADD(x, x));
}

static inline VX_TGT VX_V VX_FN(sinh)(VX_V x) {
    VX_V a = VX_ABS(x);
    VX_V h = VX_FN(half_exp)(a);
    VX_V rb = VX_COPYSIGN(VX_SUB(h, VX_DIV(VX_SET(0.25f), h)), x);
    VX_V z = VX_MUL(x, x);
    VX_V p = VX_SET(EM_SINH_S3);
    p = VX_FMA(p, z, VX_SET(EM_SINH_S2));
    p = VX_FMA(p, z, VX_SET(EM_SINH_S1));
    p = VX_FMA(p, z, VX_SET(EM_SINH_S0));
    VX_V rs = VX_FMA(VX_MUL(p, z), x, x);
    VX_V r = VX_SEL(VX_LT(a, VX_SET(1.0f)), rb, rs);
    return VX_SEL(VX_UNORD(x), r, VX_ADD(x, x));
}

/* ---- arcsinh, arccosh, arctanh, through log1p2 ----
 * asinh|x| = log1p(|x| + x^2 / (1 + sqrt(1 + x^2))), the sum kept as a head
 * and an exact tail; above 2^28, log(2|x|) = log1p(|x|) + ln 2 (the 1 is
 * below the rounding). acosh x = log1p((x - 1) + sqrt(x^2 - 1)), x^2 - 1 by
 * one fma, x - 1 and the sum with their exact tails; log(2x) above 2^28.
 * atanh|x| = log1p(2|x| / (1 - |x|)) / 2, the quotient as q = 2|x| (1/d)
 * and its exact tail from the fma residual 2|x| - q d and d's own rounding
 * error (d = 1 - |x|). */
static inline VX_TGT VX_V VX_FN(arcsinh)(VX_V x) {
    VX_V a = VX_ABS(x), zero = VX_SET(0.0f), one = VX_SET(1.0f);
    VX_M big = VX_GT(a, VX_SET(0x1p28f));
    VX_V s = VX_SQRT(VX_FMA(a, a, one));
    VX_V term = VX_DIV(VX_MUL(a, a), VX_ADD(one, s));
    VX_V th = VX_ADD(a, term);
    VX_V tl = VX_ADD(VX_SUB(a, th), term);
    th = VX_SEL(big, th, a);
    tl = VX_SEL(big, tl, zero);
    VX_V r = VX_FN(log1p2)(th, tl, VX_SEL(big, zero, one));
    r = VX_COPYSIGN(r, x);
    if (!VX_ANY(VX_MNOT(VX_LT(a, VX_SET(INFINITY))))) return r; /* no inf, no NaN */
    r = VX_SEL(VX_EQ(a, VX_SET(INFINITY)), r, x);
    return VX_SEL(VX_UNORD(x), r, VX_ADD(x, x));
}

static inline VX_TGT VX_V VX_FN(arccosh)(VX_V x) {
    VX_V zero = VX_SET(0.0f), one = VX_SET(1.0f);
    VX_M big = VX_GT(x, VX_SET(0x1p28f));
    VX_V am1 = VX_SUB(x, one);
    VX_V el = VX_SUB(VX_SUB(x, am1), one);
    VX_V s = VX_SQRT(VX_FMA(x, x, VX_SET(-1.0f)));
    VX_V th = VX_ADD(am1, s);
    VX_V tl = VX_ADD(VX_ADD(VX_SUB(s, th), am1), el);
    th = VX_SEL(big, th, x);
    tl = VX_SEL(big, tl, zero);
    VX_V r = VX_FN(log1p2)(th, tl, VX_SEL(big, zero, one));
    if (!VX_ANY(VX_MNOT(VX_MAND(VX_GE(x, one), VX_LT(x, VX_SET(INFINITY)))))) return r;
    r = VX_SEL(VX_EQ(x, VX_SET(INFINITY)), r, x);
    r = VX_SEL(VX_LT(x, one), r, VX_SET(NAN));
    return VX_SEL(VX_UNORD(x), r, VX_ADD(x, x));
}

static inline VX_TGT VX_V VX_FN(arctanh)(VX_V x) {
    VX_V a = VX_ABS(x), zero = VX_SET(0.0f), one = VX_SET(1.0f);
    VX_V d = VX_SUB(one, a);
    VX_V dl = VX_SUB(VX_SUB(one, d), a);
    VX_V rcp = VX_DIV(one, d);
    VX_V a2 = VX_ADD(a, a);
    VX_V q = VX_MUL(a2, rcp);
    VX_V rr = VX_FMA(VX_NEG(q), d, a2);
    VX_V tl = VX_MUL(VX_FMA(VX_NEG(q), dl, rr), rcp);
    VX_V r = VX_COPYSIGN(VX_MUL(VX_SET(0.5f), VX_FN(log1p2)(q, tl, zero)), x);
    if (!VX_ANY(VX_MNOT(VX_MAND(VX_LT(a, one), VX_NE(x, zero))))) return r; /* |x| < 1, x != 0 */
    r = VX_SEL(VX_EQ(a, one), r, VX_COPYSIGN(VX_SET(INFINITY), x));
    r = VX_SEL(VX_GT(a, one), r, VX_SET(NAN));
    r = VX_SEL(VX_EQ(x, zero), r, x);
    return VX_SEL(VX_UNORD(x), r, VX_ADD(x, x));
}

/* ---- logaddexp ----
 * max(a, b) + log1p(exp(-|a - b|)); a == b gives a + ln 2 (so inf, inf ->
 * inf and -inf, -inf -> -inf, as NumPy); a NaN operand is returned, quieted
 * (a's first). */
static inline VX_TGT VX_V VX_FN(logaddexp)(VX_V a, VX_V b) {
    VX_V zero = VX_SET(0.0f);
    VX_V d = VX_SUB(a, b);
    VX_V m = VX_MAX(a, b);
    VX_V e = VX_EXPF(VX_NEG(VX_ABS(d)));
    VX_V r = VX_ADD(m, VX_FN(log1p2)(e, zero, zero));
    if (!VX_ANY(VX_MNOT(VX_NE(a, b)))) return r; /* a != b, no NaN: nothing below applies */
    r = VX_SEL(VX_EQ(a, b), r, VX_ADD(a, VX_SET(EM_LN2_F)));
    r = VX_SEL(VX_UNORD(b), r, VX_ADD(b, b));
    return VX_SEL(VX_UNORD(a), r, VX_ADD(a, a));
}

/* ---- power, in double ----
 * |x|^y = 2^(y log2|x|) for finite nonzero |x|: |x| = 2^e (1 + f) as log's
 * argument (in float, 16 lanes); log2(1 + f) = 2 log2(e) atanh(s), s =
 * f/(2 + f) with 1/(2 + f) from the float division refined by one Newton
 * step in double (relative error ~1e-14), |s| <= 0.1716, by its series to
 * s^15 (< 1e-14); then 2^t = 2^n e^(r ln 2), |r| <= 1/2, by Taylor to
 * degree 10 (< 3e-13), and the double rounded once to float: correctly
 * rounded but in the rarest near-halfway cases. */
static inline VX_TGT VX_V VX_FN(pow_reduce)(VX_V ax, VX_V *e, VX_V *rcp) {
    VX_M sub = VX_LT(ax, VX_SET(0x1p-126f));
    VX_V xs = VX_SEL(sub, ax, VX_MUL(ax, VX_SET(0x1p23f)));
    VX_VI ix = VX_ISUB(VX_CASTI(xs), VX_ISET((int32_t)EM_SQRT_HALF_BITS));
    *e = VX_ADD(VX_CVTIF(VX_SRAI(ix, 23)), VX_SEL(sub, VX_SET(0.0f), VX_SET(-23.0f)));
    VX_V f = VX_SUB(VX_CASTF(VX_IADD(VX_IAND(ix, VX_ISET(0x007fffff)), VX_ISET((int32_t)EM_SQRT_HALF_BITS))), VX_SET(1.0f));
    *rcp = VX_DIV(VX_SET(1.0f), VX_ADD(VX_SET(2.0f), f));
    return f;
}

static inline VX_TGT VX_VD VX_FN(pow_d)(VX_VD f, VX_VD e, VX_VD rcp, VX_VD y) {
    VX_VD d = VX_DADD(VX_DSET(2.0), f);
    VX_VD er = VX_DFMA(VX_DSUB(VX_DSET(0.0), d), rcp, VX_DSET(1.0));
    VX_VD s = VX_DMUL(f, VX_DFMA(rcp, er, rcp));
    VX_VD s2 = VX_DMUL(s, s);
    VX_VD p = VX_DSET(EM_POW_L7);
    p = VX_DFMA(p, s2, VX_DSET(EM_POW_L6));
    p = VX_DFMA(p, s2, VX_DSET(EM_POW_L5));
    p = VX_DFMA(p, s2, VX_DSET(EM_POW_L4));
    p = VX_DFMA(p, s2, VX_DSET(EM_POW_L3));
    p = VX_DFMA(p, s2, VX_DSET(EM_POW_L2));
    p = VX_DFMA(p, s2, VX_DSET(EM_POW_L1));
    p = VX_DFMA(p, s2, VX_DSET(EM_POW_L0));
    VX_VD t = VX_DMUL(y, VX_DFMA(s, p, e));
    t = VX_DMAX(VX_DSET(-400.0), VX_DMIN(VX_DSET(400.0), t));
    VX_VD magic = VX_DSET(0x1.8p52);
    VX_VD nm = VX_DADD(t, magic);
    VX_VD w = VX_DMUL(VX_DSUB(t, VX_DSUB(nm, magic)), VX_DSET(0x1.62e42fefa39efp-1));
    VX_VD q = VX_DSET(1.0 / 3628800.0);
    q = VX_DFMA(q, w, VX_DSET(1.0 / 362880.0));
    q = VX_DFMA(q, w, VX_DSET(1.0 / 40320.0));
    q = VX_DFMA(q, w, VX_DSET(1.0 / 5040.0));
    q = VX_DFMA(q, w, VX_DSET(1.0 / 720.0));
    q = VX_DFMA(q, w, VX_DSET(1.0 / 120.0));
    q = VX_DFMA(q, w, VX_DSET(1.0 / 24.0));
    q = VX_DFMA(q, w, VX_DSET(1.0 / 6.0));
    q = VX_DFMA(q, w, VX_DSET(0.5));
    q = VX_DFMA(q, w, VX_DSET(1.0));
    q = VX_DFMA(q, w, VX_DSET(1.0));
    VX_DI sc = VX_DISLL(VX_DIADD(VX_DISUB(VX_DCASTI(nm), VX_DCASTI(magic)), VX_DISET(1023)), 52);
    return VX_DMUL(q, VX_DCASTF(sc));
}

/* The float32 rules around pow_d's value r of |x|^y (C99/IEEE pow, as
 * NumPy): zeros and infinities of x, the sign for odd integer y, NaN for a
 * negative finite x and non-integer y, NaN operands (x's first, quieted),
 * x^0 = 1^y = (-1)^+-inf = 1. The exponents the constant fast path of
 * binary.c takes apart give its values: x^2 = x*x, x^-1 = 1/x, x^0.5 =
 * sqrt(x) (but +0 and +inf at -0 and -inf), x^1 = x; x^3 (|x|^3 in double,
 * rounded once) the caller puts in r. */
static inline VX_TGT VX_V VX_FN(pow_fix)(VX_V x, VX_V y, VX_V r) {
    VX_V zero = VX_SET(0.0f), one = VX_SET(1.0f), inf = VX_SET(INFINITY);
    /* the common case, no lane touched by a rule below: r as it is */
    VX_M plain = VX_MAND(VX_MAND(VX_GT(x, zero), VX_LT(x, inf)), VX_MNOT(VX_EQ(x, one)));
    VX_V ay = VX_ABS(y);
    plain = VX_MAND(plain, VX_MAND(VX_LT(ay, inf), VX_GT(ay, zero)));
    plain = VX_MAND(plain, VX_MNOT(VX_MOR(VX_EQ(ay, one), VX_EQ(y, VX_SET(2.0f)))));
    if (!VX_ANY(VX_MNOT(VX_MAND(plain, VX_MNOT(VX_EQ(y, VX_SET(0.5f))))))) return r;
    VX_V ax = VX_ABS(x);
    VX_M yneg = VX_LT(y, zero);
    r = VX_SEL(VX_EQ(ax, zero), r, VX_SEL(yneg, zero, inf));
    r = VX_SEL(VX_EQ(ax, inf), r, VX_SEL(yneg, inf, zero));
    r = VX_SEL(VX_EQ(y, VX_SET(2.0f)), r, VX_MUL(ax, ax));
    VX_M inv = VX_EQ(y, VX_SET(-1.0f));
    if (VX_ANY(inv)) r = VX_SEL(inv, r, VX_DIV(one, ax));
    VX_M yint = VX_EQ(VX_RINT(y), y);
    VX_V hy = VX_MUL(y, VX_SET(0.5f));
    VX_M yodd = VX_MAND(yint, VX_MNOT(VX_EQ(VX_RINT(hy), hy)));
    r = VX_SEL(VX_MAND(VX_SIGNM(x), yodd), r, VX_NEG(r));
    r = VX_SEL(VX_MAND(VX_MAND(VX_LT(x, zero), VX_GT(x, VX_NEG(inf))), VX_MNOT(yint)), r, VX_SET(NAN));
    r = VX_SEL(VX_UNORD(y), r, VX_ADD(y, y));
    r = VX_SEL(VX_UNORD(x), r, VX_ADD(x, x));
    r = VX_SEL(VX_MOR(VX_EQ(y, zero), VX_EQ(x, one)), r, one);
    r = VX_SEL(VX_MAND(VX_EQ(x, VX_SET(-1.0f)), VX_EQ(VX_ABS(y), inf)), r, one);
    VX_M half = VX_MAND(VX_EQ(y, VX_SET(0.5f)), VX_MNOT(VX_MOR(VX_EQ(x, zero), VX_EQ(x, VX_NEG(inf)))));
    if (VX_ANY(half)) r = VX_SEL(half, r, VX_SQRT(x));
    return VX_SEL(VX_EQ(y, one), r, x);
}
