"""ember.core.random against MLX 0.32: raw Threefry bits, split, and every
distribution with fixed keys compared to values captured from MLX's CPU build
(data/random_mlx.json, written by data/gen_random_mlx.py); the global key
(seed, state, compile capture); moments with tolerances from the sample size
(fixed keys: nothing is flaky); gradients against finite differences; vmap
against a Python loop; and MLX's errors."""
import functools
import json
import math
import os

import numpy as np
import pytest

import ember.core as mx

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "data", "random_mlx.json")) as f:
    REF = json.load(f)

K = mx.random.key


# ---------------------------------------------------------------- exact bits


def test_bits_exact():
    for seed, width, n, want in REF["bits"]:
        b = mx.random.bits((n,), width, key=K(seed))
        assert b.dtype == {1: mx.uint8, 2: mx.uint16, 4: mx.uint32}[width]
        assert b.shape == (n,)
        assert np.array(b).astype(np.int64).tolist() == want, (seed, width, n)


def test_bits_shapes():
    k = K(9)
    flat = np.array(mx.random.bits((24,), 2, key=k))
    assert np.array_equal(np.array(mx.random.bits((2, 3, 4), 2, key=k)).ravel(), flat)
    assert mx.random.bits(key=k).shape == ()
    assert mx.random.bits(key=k).dtype == mx.uint32
    assert mx.random.bits((0, 3), key=k).size == 0
    # a key given as a non-contiguous view
    ks = mx.random.split(k, 3).T
    a = mx.random.bits((5,), key=ks[:, 1])
    assert np.array_equal(np.array(a), np.array(mx.random.bits((5,), key=mx.array(np.array(ks[:, 1])))))


def test_key_and_split():
    assert np.array(K(0)).tolist() == [0, 0]
    assert np.array(K(2**40 + 5)).tolist() == [256, 5]
    assert np.array(K(2**64 - 1)).tolist() == [2**32 - 1] * 2
    assert K(1).dtype == mx.uint32
    for seed, num, want in REF["split"]:
        s = mx.random.split(K(seed), num)
        assert s.shape == (num, 2) and s.dtype == mx.uint32
        assert np.array(s).tolist() == want
    assert mx.random.split(K(1), 0).shape == (0, 2)
    assert np.array_equal(np.array(mx.random.split(K(1))), np.array(mx.random.split(K(1), num=2)))
    for bad in (-1, 2**64):
        with pytest.raises(TypeError):
            K(bad)
        with pytest.raises(TypeError):
            mx.random.seed(bad)


# ---------------------------------------------------------------- distributions vs MLX


def decode(d):
    if "hex" in d:
        h = d["hex"]
        if d["dtype"] == "float16":
            return np.array([int(x, 16) for x in h], np.uint16).view(np.float16).reshape(d["shape"])
        return np.array([int(x, 16) for x in h], np.uint32).view(np.float32).reshape(d["shape"])
    if "re" in d:
        re = np.array([int(x, 16) for x in d["re"]], np.uint32).view(np.float32)
        im = np.array([int(x, 16) for x in d["im"]], np.uint32).view(np.float32)
        return (re + 1j * im).astype(np.complex64).reshape(d["shape"])
    return np.array(d["values"]).reshape(d["shape"])


DT = {"float32": mx.float32, "float16": mx.float16, "bfloat16": mx.bfloat16, "float64": mx.float64,
      "complex64": mx.complex64, "int32": mx.int32, "uint8": mx.uint8, "int16": mx.int16, "bool": mx.bool_}


def draw(d):
    a = dict(d["args"])
    k = K(a.pop("seed"))
    name = d["name"]
    if "dtype" in a:
        a["dtype"] = DT[a["dtype"]]
    for arr_arg in ("low", "logits", "mean", "cov", "x", "p"):
        if isinstance(a.get(arr_arg), list):
            a[arr_arg] = mx.array(a[arr_arg]) if arr_arg != "x" else mx.array(a[arr_arg], mx.int32)
    if name == "permutation" and "n" in a:
        return mx.random.permutation(a.pop("n"), key=k)
    if name == "multivariate_normal":
        return mx.random.multivariate_normal(a.pop("mean"), a.pop("cov"), key=k, **a)
    if name == "categorical":
        return mx.random.categorical(a.pop("logits"), key=k, **a)
    if name == "randint":
        return mx.random.randint(a.pop("low"), a.pop("high"), key=k, **a)
    if name == "truncated_normal":
        return mx.random.truncated_normal(a.pop("lower"), a.pop("upper"), key=k, **a)
    return getattr(mx.random, name)(key=k, **a)


# Exact: everything computed from the bits with exactly rounded float32
# arithmetic. Within a few float32 epsilons (relative, or absolute below 1):
# whatever passes through erfinv, log, log1p, erf or an SVD, where ember's
# float32 functions differ from MLX's (glibc's and its own) by an ulp or two;
# the bounds are the measured maxima with a margin.
EXACT = {"uniform", "randint", "bernoulli", "categorical", "permutation"}
ULPS = {"normal": 4, "laplace": 4, "gumbel": 4, "truncated_normal": 16}


def close_eps(got, want, k):
    got = np.asarray(got, np.float64)
    want = np.asarray(want, np.float64)
    return bool((np.abs(got - want) <= k * 2.0 ** -23 * np.maximum(np.abs(want), 1)).all())


def ulp_diff(a, b):
    a = np.asarray(a, np.float32)
    b = np.asarray(b, np.float32)
    ia = a.view(np.int32).astype(np.int64)
    ib = b.view(np.int32).astype(np.int64)
    ia = np.where(ia < 0, -(ia & 0x7FFFFFFF), ia)
    ib = np.where(ib < 0, -(ib & 0x7FFFFFFF), ib)
    return np.abs(ia - ib)


@pytest.mark.parametrize("name", ["uniform", "normal", "randint", "bernoulli", "truncated_normal", "gumbel",
                                  "laplace", "categorical", "multivariate_normal", "permutation"])
def test_matches_mlx(name):
    cases = [d for d in REF["dists"] if d["name"] == name]
    assert cases
    for d in cases:
        got = draw(d)
        want = decode(d)
        assert got.shape == tuple(d["shape"]), d
        assert str(got.dtype).split(".")[-1] == d["dtype"], d
        g = np.array(got.astype(mx.float32) if got.dtype == mx.bfloat16 else got)
        if name in EXACT:
            assert np.array_equal(g.astype(want.dtype), want), d["args"]
        elif name == "multivariate_normal":
            np.testing.assert_allclose(g, want, rtol=2e-5, atol=2e-5)
        elif d["dtype"] in ("float16", "bfloat16"):
            # one float32 ulp apart can round to neighbouring 16-bit values
            tol = 2 ** -10 if d["dtype"] == "float16" else 2 ** -7
            np.testing.assert_allclose(g.astype(np.float32), want.astype(np.float32), rtol=tol, atol=0)
        elif d["dtype"] == "complex64":
            assert close_eps(g.real, want.real, ULPS[name]) and close_eps(g.imag, want.imag, ULPS[name])
        else:
            assert close_eps(g, want, ULPS[name]), d["args"]


def test_normal_mostly_exact():
    """erfinv differs from MLX's by at most a few ulp, and rarely."""
    d = next(x for x in REF["dists"] if x["name"] == "normal" and x["args"] == {"seed": 0, "shape": [150]})
    diff = ulp_diff(np.array(draw(d)), decode(d))
    assert (diff == 0).mean() > 0.5


# ---------------------------------------------------------------- the global key


def test_global_sequence():
    g = REF["global"]
    mx.random.seed(g["seed"])
    for want in g["uniform3"]:
        got = np.array(mx.random.uniform(shape=[3]))
        assert [f"{int(v):08x}" for v in got.view(np.uint32)] == want
    assert np.array(mx.random.state[0]).tolist() == g["state"]


def test_state_and_seed():
    assert isinstance(mx.random.state, list) and len(mx.random.state) == 1
    mx.random.seed(3)
    assert np.array(mx.random.state[0]).tolist() == [0, 3]
    first, second = np.array(mx.random.split(K(3)))
    x = mx.random.normal(shape=(4,))
    assert np.array(mx.random.state[0]).tolist() == first.tolist()
    assert np.array_equal(np.array(x), np.array(mx.random.normal(shape=(4,), key=mx.array(second))))
    # reseeding repeats, and the list object stays the same
    st = mx.random.state
    mx.random.seed(11)
    a = np.array(mx.random.uniform(shape=(5,)))
    mx.random.seed(11)
    assert np.array_equal(a, np.array(mx.random.uniform(shape=(5,))))
    assert mx.random.state is st
    # an explicit key leaves the global one alone
    before = np.array(mx.random.state[0])
    mx.random.uniform(key=K(1))
    assert np.array_equal(before, np.array(mx.random.state[0]))


def test_compile_captures_state():
    st = [mx.random.state]

    @functools.partial(mx.compile, inputs=st, outputs=st)
    def f():
        return mx.random.uniform()

    mx.random.seed(1)
    a, b = f().item(), f().item()
    s = np.array(mx.random.state[0]).tolist()
    mx.random.seed(1)
    assert a == mx.random.uniform().item() and b == mx.random.uniform().item()
    assert s == np.array(mx.random.state[0]).tolist()


# ---------------------------------------------------------------- shapes, dtypes, arguments


def test_defaults_and_dtypes():
    k = K(0)
    assert mx.random.uniform(key=k).shape == () and mx.random.uniform(key=k).dtype == mx.float32
    assert mx.random.uniform(dtype=None, key=k).dtype == mx.float32
    assert mx.random.normal(key=k).shape == ()
    assert mx.random.bernoulli(key=k).dtype == mx.bool_
    assert mx.random.bernoulli(mx.array([0.1, 0.9]), key=k).shape == (2,)
    assert mx.random.bernoulli(mx.array([[0.1], [0.9]]), shape=(3, 2, 2), key=k).shape == (3, 2, 2)
    assert mx.random.bernoulli(mx.array([0.5], mx.float16), key=k).dtype == mx.bool_
    assert mx.random.randint(0, 5, key=k).dtype == mx.int32
    assert mx.random.randint(0, 5, shape=(2,), dtype=mx.uint64, key=k).dtype == mx.uint64
    assert mx.random.truncated_normal(mx.array([-1.0, 0.0]), mx.array([[1.0], [2.0]]), key=k).shape == (2, 2)
    assert mx.random.truncated_normal(0, 2, key=k).dtype == mx.float32
    assert mx.random.uniform(mx.zeros((2, 1)), shape=(2, 3), key=k).shape == (2, 3)
    assert mx.random.normal((3,), loc=mx.zeros((2, 1)), key=k).shape == (2, 3)
    assert mx.random.gumbel((2,), mx.float16, key=k).dtype == mx.float16
    assert mx.random.laplace((2,), mx.float64, key=k).dtype == mx.float64
    assert mx.random.categorical(mx.zeros((2, 3)), key=k).dtype == mx.uint32
    assert mx.random.categorical(mx.zeros((2, 3)), 0, key=k).shape == (3,)
    assert mx.random.multivariate_normal(mx.zeros((2, 3)), mx.eye(3), shape=(5, 1), key=k).shape == (5, 2, 3)
    # empty shapes
    assert mx.random.uniform(shape=(0, 4), key=k).shape == (0, 4)
    assert mx.random.normal(shape=(3, 0), key=k).size == 0
    # the stream, positional or keyword (MLX: positional-or-keyword)
    a = mx.random.uniform(0, 1, (3,), mx.float32, k, mx.cpu)
    assert np.array_equal(np.array(a), np.array(mx.random.uniform(shape=(3,), key=k, stream=mx.cpu)))
    assert mx.random.split(k, 2, mx.cpu).shape == (2, 2)


def test_bounds():
    k = K(4)
    u = np.array(mx.random.uniform(-2, 3, shape=(20000,), key=k))
    assert u.min() >= -2 and u.max() < 3
    r = np.array(mx.random.randint(-3, 4, shape=(20000,), key=k))
    assert r.min() == -3 and r.max() == 3
    t = np.array(mx.random.truncated_normal(-0.5, 0.25, shape=(20000,), key=k))
    assert t.min() >= -0.5 and t.max() <= 0.25
    p = np.array(mx.random.bernoulli(mx.array([0.0, 1.0]), shape=(1000, 2), key=k))
    assert not p[:, 0].any() and p[:, 1].all()


# ---------------------------------------------------------------- moments


def within(sample_mean, mean, var, n, sigmas=6):
    return abs(sample_mean - mean) <= sigmas * math.sqrt(var / n)


def test_moments():
    n = 200_000
    k = K(2024)
    u = np.array(mx.random.uniform(shape=(n,), key=k), np.float64)
    assert within(u.mean(), 0.5, 1 / 12, n) and within(u.var(), 1 / 12, 1 / 180, n)
    z = np.array(mx.random.normal(shape=(n,), key=k, loc=2.0, scale=3.0), np.float64)
    assert within(z.mean(), 2, 9, n) and within(z.var(), 9, 2 * 81, n)
    z = np.array(mx.random.normal(shape=(n,), key=k), np.float64)
    assert within((z ** 3).mean(), 0, 15, n)  # skew
    g = np.array(mx.random.gumbel(shape=(n,), key=k), np.float64)
    assert within(g.mean(), np.euler_gamma, math.pi ** 2 / 6, n)
    lp = np.array(mx.random.laplace(shape=(n,), key=k, loc=1.0, scale=0.5), np.float64)
    assert within(lp.mean(), 1.0, 2 * 0.25, n) and within(np.abs(lp - 1).mean(), 0.5, 0.25, n)
    b = np.array(mx.random.bernoulli(0.3, shape=(n,), key=k))
    assert within(b.mean(), 0.3, 0.21, n)
    c = np.array(mx.random.categorical(mx.log(mx.array([0.2, 0.3, 0.5])), num_samples=n, key=k))
    for j, q in enumerate([0.2, 0.3, 0.5]):
        assert within((c == j).mean(), q, q * (1 - q), n)
    cov = np.array([[2.0, 0.6], [0.6, 1.0]])
    x = np.array(mx.random.multivariate_normal(mx.array([1.0, -2.0]), mx.array(cov, mx.float32), shape=(n,),
                                               key=k), np.float64)
    assert within(x[:, 0].mean(), 1, 2, n) and within(x[:, 1].mean(), -2, 1, n)
    emp = np.cov(x.T)
    assert np.abs(emp - cov).max() < 6 * math.sqrt(2 * 4 / n)


def test_truncated_normal_moments():
    n = 200_000
    t = np.array(mx.random.truncated_normal(-1.0, 2.0, shape=(n,), key=K(8)), np.float64)
    phi = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)
    Phi = lambda x: 0.5 * (1 + math.erf(x / math.sqrt(2)))
    z = Phi(2) - Phi(-1)
    mean = (phi(-1) - phi(2)) / z
    var = 1 + (-1 * phi(-1) - 2 * phi(2)) / z - mean ** 2
    assert within(t.mean(), mean, var, n)


def test_permutation():
    p = np.array(mx.random.permutation(100, key=K(1)))
    assert sorted(p.tolist()) == list(range(100))
    x = mx.arange(12).reshape(3, 4)
    y = np.array(mx.random.permutation(x, axis=1, key=K(2)))
    assert (np.sort(y, axis=1) == np.arange(12).reshape(3, 4)).all()
    assert mx.random.permutation(0, key=K(0)).shape == (0,)


# ---------------------------------------------------------------- transforms


def fd(f, x, eps=1e-6):
    x = np.asarray(x, np.float64)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += eps
        xm[i] -= eps
        g[i] = (f(xp) - f(xm)) / (2 * eps)
    return g


def test_grad_normal_loc_scale_float64():
    k = K(5)
    w = np.linspace(-1, 1, 4)

    def f(loc, scale):
        s = mx.random.normal(shape=(4,), dtype=mx.float64, loc=loc, scale=scale, key=k)
        return (s * s * mx.array(w, mx.float64)).sum()

    loc, scale = mx.array([0.3, -0.2, 0.1, 0.5], mx.float64), mx.array(1.7, mx.float64)
    gl, gs = mx.grad(f, argnums=(0, 1))(loc, scale)
    num_l = fd(lambda v: f(mx.array(v, mx.float64), scale).item(), np.array(loc))
    num_s = fd(lambda v: f(loc, mx.array(v, mx.float64)).item(), np.array(scale))
    np.testing.assert_allclose(np.array(gl), num_l, rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(np.array(gs), num_s, rtol=1e-7, atol=1e-8)
    # jvp along the scale
    _, (t,) = mx.jvp(lambda s_: f(loc, s_), [scale], [mx.array(1.0, mx.float64)])
    np.testing.assert_allclose(t.item(), num_s, rtol=1e-7)


def test_grad_uniform_bounds():
    # d/dlow = 1 - u01, d/dhigh = u01 (computed in float32)
    k = K(6)
    u01 = np.array(mx.random.uniform(shape=(5,), key=k), np.float64)
    gl, gh = mx.grad(lambda lo, hi: mx.random.uniform(lo, hi, shape=(5,), key=k).sum(), argnums=(0, 1))(
        mx.array(-1.0), mx.array(2.0))
    assert abs(gl.item() - (1 - u01).sum()) < 1e-5 and abs(gh.item() - u01.sum()) < 1e-5


def test_vmap_over_keys():
    keys = mx.random.split(K(3), 4)
    for f in (lambda k: mx.random.uniform(shape=(3,), key=k),
              lambda k: mx.random.normal(shape=(2, 2), key=k),
              lambda k: mx.random.bits((5,), 1, key=k),
              lambda k: mx.random.categorical(mx.zeros((3, 4)), key=k),
              lambda k: mx.random.split(k, 3)):
        want = np.stack([np.array(f(k)) for k in keys])
        assert np.array_equal(np.array(mx.vmap(f)(keys)), want)
        assert np.array_equal(np.array(mx.vmap(f, in_axes=1)(keys.T)), want)
    nested = mx.random.split(K(1), 6).reshape(2, 3, 2)
    g = lambda k: mx.random.normal(shape=(2,), key=k)
    want = np.array([[np.array(g(nested[i, j])) for j in range(3)] for i in range(2)])
    assert np.array_equal(np.array(mx.vmap(mx.vmap(g))(nested)), want)
    # a key that is not mapped: every element sees the same draw
    h = lambda x: x + mx.random.normal(shape=(3,), key=K(0))
    out = np.array(mx.vmap(h)(mx.zeros((2, 3))))
    assert np.array_equal(out[0], out[1])


# ---------------------------------------------------------------- errors


def test_errors():
    k = K(1)
    cases = [
        (lambda: mx.random.uniform(shape=(3,), key=mx.zeros((3,), mx.uint32)), ValueError,
         "[bits] Expected key shape (2) but received (3)."),
        (lambda: mx.random.uniform(shape=(3,), key=mx.zeros((2,), mx.int32)), ValueError,
         "[bits] Expected key type uint32 but received int32."),
        (lambda: mx.random.split(mx.zeros((2, 2), mx.uint32)), ValueError,
         "[bits] Expected key shape (2) but received (2,2)."),
        (lambda: mx.random.split(k, -1), ValueError, "[bits] Negative dimensions not allowed."),
        (lambda: mx.random.bits((2,), 3, key=k), ValueError, "[bits] Bit width must be in {1, 2, 4} but got 3."),
        (lambda: mx.random.uniform(shape=(-1,), key=k), ValueError, "Negative dimensions not allowed."),
        (lambda: mx.random.uniform(shape=(3,), dtype=mx.int32, key=k), ValueError,
         "[uniform] Can only generate uniform numbers with real floating point type."),
        (lambda: mx.random.uniform(shape=(3,), dtype=mx.float64, key=k), RuntimeError,
         "[uniform] Unsupported type."),
        (lambda: mx.random.uniform(low=mx.zeros((2,)), shape=(3,), key=k), ValueError,
         "[broadcast_shapes] Shapes (3) and (2) cannot be broadcast."),
        (lambda: mx.random.uniform(0, mx.ones((4,)), key=k), ValueError,
         "[uniform] Cannot generate random values of shape () from broadcasted shape (4)."),
        (lambda: mx.random.normal(shape=(3,), dtype=mx.int32, key=k), ValueError,
         "[normal] Only floating point and complex64 types are supported."),
        (lambda: mx.random.randint(0, 10, shape=(3,), dtype=mx.float32, key=k), ValueError,
         "[randint] randint only accepts integer dtypes and bool."),
        (lambda: mx.random.bernoulli(mx.array([1, 0]), key=k), ValueError,
         "[bernoulli] bernoulli probability `p` must be a float type."),
        (lambda: mx.random.bernoulli(1, key=k), ValueError,
         "[bernoulli] bernoulli probability `p` must be a float type."),
        (lambda: mx.random.bernoulli(mx.array([[0.1], [0.9]]), shape=(2,), key=k), ValueError,
         "[bernoulli] shape of `p` is incompatible with argument `shape`."),
        (lambda: mx.random.truncated_normal(0.0, 2.0, dtype=mx.int32, key=k), ValueError,
         "[trunc_normal] trunc_normal only accepts floating point dtypes."),
        (lambda: mx.random.truncated_normal(mx.zeros((2,)), 2.0, shape=(3,), key=k), ValueError,
         "[broadcast_shapes] Shapes (3) and (2) cannot be broadcast."),
        (lambda: mx.random.gumbel(shape=(2,), dtype=mx.int32, key=k), ValueError,
         "[uniform] Can only generate uniform numbers with real floating point type."),
        (lambda: mx.random.laplace(shape=(2,), dtype=mx.int32, key=k), ValueError,
         "[laplace] Only real floating point types are supported."),
        (lambda: mx.random.categorical(mx.zeros((2, 3)), axis=2, key=k), IndexError,
         "[categorical] Invalid axis 2 for logits with 2 dimensions."),
        (lambda: mx.random.categorical(mx.zeros((2, 3)), axis=-3, key=k), IndexError,
         "[categorical] Invalid axis -3 for logits with 2 dimensions."),
        (lambda: mx.random.categorical(mx.array(1.0), key=k), IndexError,
         "[categorical] Invalid axis -1 for logits with 0 dimensions."),
        (lambda: mx.random.categorical(mx.zeros((2, 3)), shape=(5, 3), key=k), ValueError,
         "[broadcast_shapes] Shapes (5,3) and (2) cannot be broadcast."),
        (lambda: mx.random.categorical(mx.zeros((2, 3)), num_samples=4, shape=(4, 2), key=k), ValueError,
         "[categorical] At most one of shape or num_samples can be specified."),
        (lambda: mx.random.multivariate_normal(mx.zeros((3,)), mx.eye(3), dtype=mx.float16, key=k), ValueError,
         "[multivariate_normal] dtype must be float32."),
        (lambda: mx.random.multivariate_normal(mx.array(0.0), mx.eye(3), key=k), ValueError,
         "[multivariate_normal] mean must have at least one dimension."),
        (lambda: mx.random.multivariate_normal(mx.zeros((3,)), mx.ones((3,)), key=k), ValueError,
         "[multivariate_normal] cov must have at least two dimensions."),
        (lambda: mx.random.multivariate_normal(mx.zeros((3,)), mx.ones((3, 2)), key=k), ValueError,
         "[multivariate_normal] last two dimensions of cov must be equal."),
        (lambda: mx.random.multivariate_normal(mx.zeros((2,)), mx.eye(3), key=k), ValueError,
         "[multivariate_normal] mean and cov must have compatible shapes."),
        (lambda: mx.random.multivariate_normal(mx.zeros((2, 3)), mx.eye(3), shape=(5,), key=k), ValueError,
         "[broadcast_shapes] Shapes (5) and (2) cannot be broadcast."),
    ]
    for f, exc, msg in cases:
        with pytest.raises(exc) as e:
            mx.eval(f())
        assert msg in str(e.value), (msg, str(e.value))
    with pytest.raises(TypeError):
        mx.random.uniform(key=[0, 1])
    with pytest.raises(TypeError):
        mx.random.randint(0)
    with pytest.raises(TypeError):
        mx.random.split([1, 2])
    with pytest.raises(IndexError):
        mx.random.permutation(mx.zeros((2, 2)), axis=2, key=k)
    with pytest.raises(ValueError):
        mx.random.permutation(-1, key=k)


def test_state_replaced_by_junk():
    st = mx.random.state
    old = st[0]
    st[0] = "not a key"
    try:
        with pytest.raises(TypeError):
            mx.random.uniform()
    finally:
        st[0] = old
