"""mlx.core.fast: fused rms_norm, layer_norm, rope and attention against NumPy
formulas; gradients against finite differences (float64); vmap against a
loop; MLX's errors; the custom-kernel builders' errors."""
import numpy as np
import pytest

import ember.core as mx

rng = np.random.default_rng(0)


def rnd(*shape, dtype=np.float64):
    return rng.standard_normal(shape).astype(dtype)


def np_rms(x, w, eps):
    y = x / np.sqrt((x * x).mean(-1, keepdims=True) + eps)
    return y * w if w is not None else y


def np_ln(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    y = (x - mu) / np.sqrt(((x - mu) ** 2).mean(-1, keepdims=True) + eps)
    if w is not None:
        y = y * w
    if b is not None:
        y = y + b
    return y


def np_rope(x, dims, trad, base, scale, offset, freqs=None):
    L, half = x.shape[-2], dims // 2
    inv = 1.0 / freqs if freqs is not None else base ** (-np.arange(half) / half)
    off = np.asarray(offset)
    pos = np.arange(L)[None, :] + (off.reshape(-1, 1) if off.ndim else off)  # (B or 1, L)
    th = (pos * scale)[..., None] * inv  # (B|1, L, half)
    th = th.reshape((th.shape[0],) + (1,) * (x.ndim - 3) + th.shape[1:])
    c, s = np.cos(th), np.sin(th)
    out = x.copy()
    if trad:
        x1, x2 = x[..., 0:dims:2], x[..., 1:dims:2]
        out[..., 0:dims:2] = x1 * c - x2 * s
        out[..., 1:dims:2] = x1 * s + x2 * c
    else:
        x1, x2 = x[..., :half], x[..., half:dims]
        out[..., :half] = x1 * c - x2 * s
        out[..., half:dims] = x1 * s + x2 * c
    return out


def np_sdpa(q, k, v, scale, mask=None, sinks=None):
    rep = q.shape[1] // k.shape[1]
    k, v = np.repeat(k, rep, 1), np.repeat(v, rep, 1)
    s = q @ k.swapaxes(-1, -2) * scale
    L, S = s.shape[-2:]
    low = np.finfo(s.dtype).min
    if isinstance(mask, str):
        s = np.where(np.arange(L)[:, None] + S - L >= np.arange(S)[None], s, low)
    elif mask is not None and mask.dtype == np.bool_:
        s = np.where(mask, s, low)
    elif mask is not None:
        s = s + mask
    if sinks is not None:
        sk = np.broadcast_to(sinks.reshape(1, -1, 1, 1), s.shape[:-1] + (1,))
        s = np.concatenate([sk, s], -1)
    p = np.exp(s - s.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    if sinks is not None:
        p = p[..., 1:]
    return p @ v


def close(a, b, tol):
    a = np.array(a.astype(mx.float32) if a.dtype in (mx.bfloat16, mx.float16) else a)
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


TOL = {mx.float32: 1e-5, mx.float64: 1e-9, mx.float16: 5e-3, mx.bfloat16: 3e-2}
NPD = {mx.float32: np.float32, mx.float64: np.float64, mx.float16: np.float16, mx.bfloat16: np.float32}


def cast(x, dt):
    return mx.array(x).astype(dt)


def ref_of(a):
    return np.array(a.astype(mx.float64))


# ---------------------------------------------------------------- values

@pytest.mark.parametrize("dt", [mx.float32, mx.float64, mx.float16, mx.bfloat16])
@pytest.mark.parametrize("shape", [(7,), (3, 16), (2, 3, 5), (0, 4), (4, 1), (2, 700)])
def test_rms_norm_values(dt, shape):
    x = cast(rnd(*shape), dt)
    w = cast(rnd(shape[-1]), dt)
    for weight in (w, None):
        r = mx.fast.rms_norm(x, weight, 1e-5)
        assert r.dtype == dt and r.shape == shape
        close(r, np_rms(ref_of(x), ref_of(weight) if weight is not None else None, 1e-5), TOL[dt])


@pytest.mark.parametrize("dt", [mx.float32, mx.float64, mx.float16, mx.bfloat16])
@pytest.mark.parametrize("shape", [(7,), (3, 16), (2, 3, 5), (0, 4), (2, 700)])
def test_layer_norm_values(dt, shape):
    x = cast(rnd(*shape), dt)
    w, b = cast(rnd(shape[-1]), dt), cast(rnd(shape[-1]), dt)
    for weight, bias in ((w, b), (None, b), (w, None), (None, None)):
        r = mx.fast.layer_norm(x, weight, bias, 1e-4)
        assert r.dtype == dt and r.shape == shape
        close(r, np_ln(ref_of(x), None if weight is None else ref_of(weight),
                       None if bias is None else ref_of(bias), 1e-4), TOL[dt])


def test_norm_promotion_and_strides():
    x = mx.array(rnd(4, 6, dtype=np.float32)).astype(mx.float16)
    w = mx.ones((6,))
    assert mx.fast.rms_norm(x, w, 1e-5).dtype == mx.float32
    assert mx.fast.layer_norm(x, w, None, 1e-5).dtype == mx.float32
    xt = mx.array(rnd(6, 4, dtype=np.float32)).T  # strided rows
    close(mx.fast.rms_norm(xt, None, 1e-6), np_rms(np.array(xt, dtype=np.float64), None, 1e-6), 1e-5)
    wb = mx.broadcast_to(mx.array(2.0), (6,))  # a zero-stride weight
    close(mx.fast.layer_norm(xt, wb, None, 1e-6), 2 * np_ln(np.array(xt, dtype=np.float64), None, None, 1e-6), 1e-5)


@pytest.mark.parametrize("dt", [mx.float32, mx.float64, mx.float16, mx.bfloat16])
@pytest.mark.parametrize("trad", [False, True])
@pytest.mark.parametrize("dims,base,scale,offset", [(8, 10000.0, 1.0, 0), (6, 500.0, 0.5, 3),
                                                    (4, 10.0, 2.0, np.array([1, 7])), (8, 10.0, 1.0, np.array([5]))])
def test_rope_values(dt, trad, dims, base, scale, offset):
    x = cast(rnd(2, 3, 5, 8), dt)
    off = mx.array(offset) if isinstance(offset, np.ndarray) else offset
    r = mx.fast.rope(x, dims, traditional=trad, base=base, scale=scale, offset=off)
    assert r.dtype == dt and r.shape == x.shape
    close(r, np_rope(ref_of(x), dims, trad, base, scale, offset), TOL[dt] * 4)


def test_rope_freqs_and_offset_array_scalar():
    x = mx.array(rnd(1, 4, 6, dtype=np.float32))
    f = np.array([1.0, 3.0, 9.0], np.float32)
    r = mx.fast.rope(x, 6, traditional=False, base=None, scale=1.0, offset=mx.array(2), freqs=mx.array(f))
    close(r, np_rope(np.array(x, dtype=np.float64), 6, False, None, 1.0, 2, f.astype(np.float64)), 1e-5)


@pytest.mark.parametrize("dt", [mx.float32, mx.float64, mx.float16, mx.bfloat16])
@pytest.mark.parametrize("mask", [None, "causal", "bool", "add", "add_bcast"])
@pytest.mark.parametrize("heads", [(4, 4), (4, 2), (4, 1)])
def test_sdpa_values(dt, mask, heads):
    H, Hk = heads
    L, S = (5, 9) if mask != "causal" else (9, 5)  # causal with L > S: fully masked rows
    q, k, v = cast(rnd(2, H, L, 8), dt), cast(rnd(2, Hk, S, 8), dt), cast(rnd(2, Hk, S, 6), dt)
    m = {"bool": lambda: mx.array(rng.random((L, S)) > 0.3), "add": lambda: cast(rnd(2, H, L, S), dt),
         "add_bcast": lambda: cast(rnd(1, 1, L, S), dt)}.get(mask, lambda: mask)()
    o = mx.fast.scaled_dot_product_attention(q, k, v, scale=0.375, mask=m)
    assert o.dtype == dt and o.shape == (2, H, L, 6)
    mn = None if m is None else m if isinstance(m, str) else (np.array(m) if m.dtype == mx.bool_ else ref_of(m))
    close(o, np_sdpa(ref_of(q), ref_of(k), ref_of(v), 0.375, mn), TOL[dt] * 4)


def test_sdpa_sinks_and_all_masked():
    q, k, v = (mx.array(rnd(*s, dtype=np.float32)) for s in ((1, 2, 3, 4), (1, 2, 5, 4), (1, 2, 5, 4)))
    sk = mx.array(np.array([0.5, -1.0], np.float32))
    o = mx.fast.scaled_dot_product_attention(q, k, v, scale=1.0, sinks=sk)
    close(o, np_sdpa(*(np.array(a, np.float64) for a in (q, k, v)), 1.0, sinks=np.array(sk, np.float64)), 1e-5)
    # every key masked: uniform weights, as MLX (the lowest float, not -inf)
    o = mx.fast.scaled_dot_product_attention(q, k, v, scale=1.0, mask=mx.zeros((3, 5), dtype=mx.bool_))
    close(o, np.broadcast_to(np.array(v).mean(2, keepdims=True), (1, 2, 3, 4)), 1e-5)


def test_sdpa_large_threads():
    q, k, v = (mx.array(rnd(*s, dtype=np.float32)) for s in ((1, 8, 130, 64), (1, 2, 130, 64), (1, 2, 130, 64)))
    o = mx.fast.scaled_dot_product_attention(q, k, v, scale=0.125, mask="causal")
    close(o, np_sdpa(*(np.array(a, np.float64) for a in (q, k, v)), 0.125, "causal"), 1e-5)


def test_sdpa_promotion():
    q = mx.ones((1, 1, 2, 4), dtype=mx.float16)
    assert mx.fast.scaled_dot_product_attention(q, mx.ones((1, 1, 3, 4)), mx.ones((1, 1, 3, 4)), scale=1.0).dtype == mx.float32


# ---------------------------------------------------------------- gradients

def fd_check(f, args, argnum, eps=1e-6, tol=1e-6):
    """vjp (grad of sum(f * c)) and jvp of f at args against central differences."""
    f64 = lambda a: mx.array(a, dtype=mx.float64)
    args = [f64(a) if isinstance(a, np.ndarray) else a for a in args]
    out = f(*args)
    assert out.dtype == mx.float64
    c = f64(rnd(*out.shape))
    g = mx.grad(lambda *a: (f(*a) * c).sum(), argnums=argnum)(*args)
    x0 = np.array(args[argnum])
    t = rnd(*x0.shape)

    def at(xv):
        a = list(args)
        a[argnum] = f64(xv)
        return np.array(f(*a))

    fd = (at(x0 + eps * t) - at(x0 - eps * t)) / (2 * eps)
    np.testing.assert_allclose((np.array(g) * t).sum(), (fd * np.array(c)).sum(), rtol=tol, atol=tol)
    _, jv = mx.jvp(lambda a: f(*(args[:argnum] + [a] + args[argnum + 1:])), [args[argnum]], [f64(t)])
    np.testing.assert_allclose(np.array(jv[0]), fd, rtol=1e-5, atol=1e-5)


def test_grads_norms():
    x, w, b = rnd(3, 6), rnd(6), rnd(6)
    for i in range(2):
        fd_check(lambda x, w: mx.fast.rms_norm(x, w, 1e-5), [x, w], i)
    for i in range(3):
        fd_check(lambda x, w, b: mx.fast.layer_norm(x, w, b, 1e-5), [x, w, b], i)


def test_grads_rope():
    x = rnd(2, 3, 4, 8)
    fd_check(lambda x: mx.fast.rope(x, 6, traditional=True, base=100.0, scale=0.7, offset=2), [x], 0)
    fd_check(lambda x: mx.fast.rope(x, 8, traditional=False, base=100.0, scale=1.0, offset=mx.array([1, 4])), [x], 0)


def test_grads_sdpa():
    q, k, v = rnd(1, 4, 3, 4), rnd(1, 2, 5, 4), rnd(1, 2, 5, 3)
    m, sk = rnd(1, 4, 3, 5), rnd(4)
    for i in range(3):
        fd_check(lambda q, k, v: mx.fast.scaled_dot_product_attention(q, k, v, scale=0.5, mask="causal"), [q, k, v], i)
    fd_check(lambda q, k, v, m: mx.fast.scaled_dot_product_attention(q, k, v, scale=0.5, mask=m), [q, k, v, m], 3)
    fd_check(lambda q, k, v, s: mx.fast.scaled_dot_product_attention(q, k, v, scale=0.5, sinks=s), [q, k, v, sk], 3)


# ---------------------------------------------------------------- vmap

def test_vmap_against_loop():
    x, w = mx.array(rnd(4, 3, 6, dtype=np.float32)), mx.array(rnd(6, dtype=np.float32))
    for f in (lambda x: mx.fast.rms_norm(x, w, 1e-5), lambda x: mx.fast.layer_norm(x, w, w, 1e-5)):
        for ax in (0, 1):
            got = mx.vmap(f, in_axes=ax)(x)
            ref = mx.stack([f(mx.take(x, i, axis=ax)) for i in range(x.shape[ax])])
            close(got, np.array(ref), 1e-6)
    ws = mx.array(rnd(4, 6, dtype=np.float32))
    got = mx.vmap(lambda x, w: mx.fast.rms_norm(x, w, 1e-5))(x, ws)
    close(got, np.array(mx.stack([mx.fast.rms_norm(x[i], ws[i], 1e-5) for i in range(4)])), 1e-6)
    xr = mx.array(rnd(3, 2, 2, 5, 8, dtype=np.float32))
    f = lambda a: mx.fast.rope(a, 8, traditional=False, base=1e4, scale=1.0, offset=1)
    close(mx.vmap(f)(xr), np.array(mx.stack([f(xr[i]) for i in range(3)])), 1e-6)
    q, k, v = (mx.array(rnd(*s, dtype=np.float32)) for s in ((3, 1, 2, 4, 8), (3, 1, 1, 6, 8), (3, 1, 1, 6, 8)))
    g = lambda q, k, v: mx.fast.scaled_dot_product_attention(q, k, v, scale=0.3, mask="causal")
    close(mx.vmap(g)(q, k, v), np.array(mx.stack([g(q[i], k[i], v[i]) for i in range(3)])), 1e-6)


# ---------------------------------------------------------------- errors

def err(exc, text, f):
    with pytest.raises(exc) as e:
        f()
    assert text in str(e.value), str(e.value)


def test_errors():
    x = mx.ones((2, 3, 8))
    err(ValueError, "[rms_norm] (*weight) must have the same size as the last dimension of x but has 4 elements.",
        lambda: mx.fast.rms_norm(x, mx.ones(4), 1e-5))
    err(ValueError, "[rms_norm] (*weight) must have 1 dimension but has 2 dimensions.",
        lambda: mx.fast.rms_norm(x, mx.ones((2, 8)), 1e-5))
    err(ValueError, "[rms_norm] Input must have at least 1 dimension but got input with 0 dimensions.",
        lambda: mx.fast.rms_norm(mx.ones(()), None, 1e-5))
    err(ValueError, "[rms_norm] Received unsupported type int32.", lambda: mx.fast.rms_norm(x.astype(mx.int32), None, 1e-5))
    err(ValueError, "[layer_norm] bias must have the same size as the last dimension of x but has 4 elements.",
        lambda: mx.fast.layer_norm(x, None, mx.ones(4), 1e-5))
    rope = lambda a, d=8, **k: mx.fast.rope(a, d, traditional=False, **{"base": 1e4, "scale": 1.0, "offset": 0, **k})
    err(ValueError, "[rope] Input must have at least 3 dimensions but got input with 2 dimensions.", lambda: rope(mx.ones((3, 8))))
    err(ValueError, "[rope] dims must be even but got 7.", lambda: rope(x, 7))
    err(ValueError, "[rope] Neither base nor freqs has a value.", lambda: rope(x, base=None))
    err(ValueError, "[rope] Only one of base or freqs can have a value.", lambda: rope(x, freqs=mx.ones(4)))
    err(ValueError, "[rope] freqs must be one dimensional with size 4 but got shape (3).",
        lambda: rope(x, base=None, freqs=mx.ones(3)))
    err(ValueError, "[rope] offset must be a scalar or vector with 2 elements but has shape (3).",
        lambda: rope(x, offset=mx.array([1, 2, 3])))
    err(ValueError, "[rope] offset must be an integer but got type float32.", lambda: rope(x, offset=mx.array(1.5)))
    err(ValueError, "[rope] offset must have at most one dimension but has shape (1,1).", lambda: rope(x, offset=mx.array([[1]])))
    err(ValueError, "[rope] Input must be a floating type but got int32.", lambda: rope(x.astype(mx.int32)))
    err(ValueError, "[rope] dims (10) must not exceed", lambda: rope(x, 10))
    sd = mx.fast.scaled_dot_product_attention
    q, k, v = mx.ones((2, 4, 5, 8)), mx.ones((2, 2, 7, 8)), mx.ones((2, 2, 7, 6))
    err(ValueError, "[scaled_dot_product_attention] invalid mask option 'foo'. Must be 'causal', or an array.",
        lambda: sd(q, k, v, scale=0.5, mask="foo"))
    err(ValueError, "invalid mask option ''.", lambda: sd(q, k, v, scale=0.5, mask=""))
    err(TypeError, "mask must be None, a str or an array", lambda: sd(q, k, v, scale=0.5, mask=3))
    err(ValueError, "[scaled_dot_product_attention] Received invalid shape for sinks (3).",
        lambda: sd(q, k, v, scale=0.5, sinks=mx.ones(3)))
    err(ValueError, "n_heads must be a multiple of n_kv_heads, found n_heads 4 for n_kv_heads 3.",
        lambda: sd(q, mx.ones((2, 3, 7, 8)), mx.ones((2, 3, 7, 8)), scale=0.5))
    err(ValueError, "input with shape (4,5,8) expected to be rank 4", lambda: sd(q[0], k[0], v[0], scale=0.5))
    err(ValueError, "query, keys expected to have matching last dimension; found query shape (2,4,5,8) for keys shape (2,2,7,4).",
        lambda: sd(q, mx.ones((2, 2, 7, 4)), v, scale=0.5))
    err(ValueError, "cannot be broadcast", lambda: sd(q, k, v, scale=0.5, mask=mx.ones((5, 8))))
    err(ValueError, "do not agree", lambda: sd(q, k, mx.ones((2, 2, 6, 6)), scale=0.5))
    err(ValueError, "Received unsupported type int32", lambda: sd(q.astype(mx.int32), k.astype(mx.int32), v.astype(mx.int32), scale=1.0))
    err(TypeError, "", lambda: mx.fast.rms_norm(x, None))


def test_custom_kernels_unavailable():
    kern = mx.fast.metal_kernel("k", ["a"], ["b"], "b[0] = a[0];")
    err(RuntimeError, "[metal_kernel] No Metal back-end.",
        lambda: kern(inputs=[mx.ones(2)], output_shapes=[(2,)], output_dtypes=[mx.float32], grid=(1, 1, 1), threadgroup=(1, 1, 1)))
    err(RuntimeError, "[cuda_kernel] No CUDA back-end.", lambda: mx.fast.cuda_kernel("k", ["a"], ["b"], "x"))
    err(RuntimeError, "[cuda_kernel] No CUDA back-end.", lambda: mx.fast.precompiled_cuda_kernel(
        name="k", compiled_source=b"", inputs=[mx.ones(2)], output_shapes=[(2,)], output_dtypes=[mx.float32],
        scalars=[], grid=(1, 1, 1), threadgroup=(1, 1, 1)))


def test_second_order():
    """grad of grad through the fused primitive's rules, against differences."""
    x = mx.array(rnd(2, 5), dtype=mx.float64)
    t = rnd(2, 5)
    g = lambda x: mx.grad(lambda y: (mx.fast.rms_norm(y, None, 1e-5) ** 3).sum())(x)
    h = mx.grad(lambda x: g(x).sum())(x)
    e = 1e-6
    fd = (np.array(g(x + mx.array(e * t, dtype=mx.float64))).sum()
          - np.array(g(x - mx.array(e * t, dtype=mx.float64))).sum()) / (2 * e)
    np.testing.assert_allclose((np.array(h) * t).sum(), fd, rtol=1e-6)


def test_compile_and_nested_transforms():
    q, k, v = (mx.array(rnd(*s, dtype=np.float32)) for s in ((1, 2, 3, 4), (1, 1, 5, 4), (1, 1, 5, 4)))
    f = lambda q, k, v: mx.fast.scaled_dot_product_attention(q, k, v, scale=0.5, mask="causal")
    close(mx.compile(f)(q, k, v), np.array(f(q, k, v)), 1e-6)
    gl = mx.vmap(mx.grad(lambda x: mx.fast.layer_norm(x, None, None, 1e-5)[0].sum() * 0 + (mx.fast.layer_norm(x, None, None, 1e-5) ** 2).sum()))
    xs = mx.array(rnd(3, 4, dtype=np.float32))
    loop = np.stack([np.array(mx.grad(lambda x: (mx.fast.layer_norm(x, None, None, 1e-5) ** 2).sum())(xs[i])) for i in range(3)])
    close(gl(xs), loop, 1e-5)
